//! The API that agents call (docs/protocol.md §1–3), behind the API key guard:
//! `POST /api/approvals/request`, `GET /api/approvals/{id}` and `POST /api/webhooks/inbound`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::middleware;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::errors::{ApiError, DecisionError, JsonObject};
use crate::fields::Fields;
use crate::record::{ApprovalRecord, Endpoint, NewRequest};
use crate::rules::risk_level_score;
use crate::state::AppState;

use super::guards;

/// The agent-facing routes.
pub(crate) fn routes(app: Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/approvals/request", post(create))
        .route("/api/approvals/{id}", get(read))
        .route("/api/webhooks/inbound", post(inbound))
        .route_layer(middleware::from_fn_with_state(app, guards::require_api_key))
}

/// `POST /api/approvals/request`: `{"id", "status"}`, the status in upper case.
async fn create(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let request = new_request(&Fields(&body), Endpoint::Request)?;
    let agent = agent(&headers, request.agent_name.as_deref());
    let record = app.create(request, &agent);
    Ok(Json(json!({ "id": record.id, "status": record.status })))
}

/// `GET /api/approvals/{id}`: the whole record.
async fn read(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<ApprovalRecord>, ApiError> {
    app.store
        .get(&id)
        .map(Json)
        .ok_or_else(|| DecisionError::NotFound(id).into())
}

/// `POST /api/webhooks/inbound`: answers at once, or after waiting up to `maxWaitMs` for a
/// decision; status in lower case. A call that would be held while the cap on held calls is
/// reached gets 503 and creates nothing.
async fn inbound(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let fields = Fields(&body);
    let request = new_request(&fields, Endpoint::Inbound)?;
    let max_wait_ms = fields.optional(
        "maxWaitMs",
        "a whole number of milliseconds, 0 or more",
        Value::as_u64,
    )?;
    let _held = match max_wait_ms {
        Some(wait) if wait > 0 => Some(app.held_calls.take()?),
        _ => None,
    };
    let agent = agent(&headers, request.agent_name.as_deref());
    let record = app.create(request, &agent);
    let record = match max_wait_ms {
        Some(max_wait_ms) if !record.status.is_decided() => app
            .store
            .wait_for_decision(&record.id, capped_wait(max_wait_ms, app.max_hold))
            .await
            .unwrap_or(record),
        _ => record,
    };
    let mut answer = json!({
        "status": record.status.lower(),
        "approvalId": record.id,
        "modifiedDetails": record.modified_details,
    });
    if record.status.is_decided() {
        answer["decisionNote"] = json!(record.decision_note);
    } else {
        answer["reviewUrl"] = json!(app.review_url(&record.id));
    }
    Ok(Json(answer))
}

/// The agent a request counts against for the limits: its `agentName`, else its API key.
fn agent(headers: &HeaderMap, agent_name: Option<&str>) -> String {
    match agent_name {
        Some(name) => format!("name:{name}"),
        None => {
            let key = headers
                .get(guards::API_KEY_HEADER)
                .map(|key| key.as_bytes());
            format!("key:{}", String::from_utf8_lossy(key.unwrap_or_default()))
        }
    }
}

/// How long to hold an inbound call that asked for `max_wait_ms`.
fn capped_wait(max_wait_ms: u64, max_hold: Duration) -> Duration {
    Duration::from_millis(max_wait_ms).min(max_hold)
}

/// Reads the fields both create routes take. The inbound route's published defaults apply to it
/// alone: `riskLevel` medium, `priority` normal.
fn new_request(fields: &Fields<'_>, endpoint: Endpoint) -> Result<NewRequest, ApiError> {
    let (default_risk_level, default_priority) = match endpoint {
        Endpoint::Request => (None, None),
        Endpoint::Inbound => (Some("medium"), Some("normal")),
    };
    let risk_level = fields.optional("riskLevel", "one of low, medium, high", |value| {
        value
            .as_str()
            .filter(|level| risk_level_score(level).is_some())
            .map(str::to_owned)
    })?;
    let priority = fields.optional_choice("priority", &["low", "normal", "urgent"])?;
    Ok(NewRequest {
        endpoint,
        action: fields.text("action")?,
        summary: fields.text("summary")?,
        details: fields.object("details")?,
        risk_score: fields.optional("riskScore", "a number from 0 to 1, or null", |value| {
            value.as_f64().filter(|score| (0.0..=1.0).contains(score))
        })?,
        risk_level: risk_level.or(default_risk_level.map(str::to_owned)),
        justification: fields.optional_text("justification")?,
        priority: priority.or(default_priority.map(str::to_owned)),
        agent_name: fields.optional_text("agentName")?,
        metadata: fields.optional_object("metadata")?,
        callback_url: callback_url(fields)?,
        trace: fields.optional_object("trace")?,
    })
}

/// The URL to POST the decision to: `callbackUrl`, or its other name `webhookUrl`.
fn callback_url(fields: &Fields<'_>) -> Result<Option<String>, ApiError> {
    let read = |name| {
        fields.optional(name, "an http:// or https:// URL", |value| {
            value
                .as_str()
                .filter(|url| is_http_url(url))
                .map(str::to_owned)
        })
    };
    match (read("callbackUrl")?, read("webhookUrl")?) {
        (Some(callback), Some(webhook)) if callback != webhook => Err(ApiError::bad_request(
            "`callbackUrl` and `webhookUrl` name different URLs: give one",
        )),
        (callback, webhook) => Ok(callback.or(webhook)),
    }
}

fn is_http_url(text: &str) -> bool {
    reqwest::Url::parse(text).is_ok_and(|url| matches!(url.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_wait_is_capped_at_ten_seconds() {
        let cap = crate::emulator::MAX_HOLD;
        assert_eq!(capped_wait(0, cap), Duration::ZERO);
        assert_eq!(capped_wait(2_500, cap), Duration::from_millis(2_500));
        assert_eq!(capped_wait(10_000, cap), Duration::from_secs(10));
        assert_eq!(capped_wait(30_000, cap), Duration::from_secs(10));
        assert_eq!(capped_wait(u64::MAX, cap), Duration::from_secs(10));
        assert_eq!(
            capped_wait(5_000, Duration::from_millis(50)),
            Duration::from_millis(50)
        );
    }

    #[test]
    fn callback_urls_must_be_http() {
        assert!(is_http_url("http://127.0.0.1:9000/hook"));
        assert!(is_http_url("https://example.com/hook"));
        assert!(!is_http_url("ftp://example.com/hook"));
        assert!(!is_http_url("/hook"));
    }
}
