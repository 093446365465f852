//! The layer that applies faults: it logs each API call, takes the fault that matches it, and
//! answers in place of the service or changes the service's answer.

use std::convert::Infallible;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use serde_json::{Value, json};

use std::sync::Arc;

use super::fault::{Fault, FaultKind, MAX_RETRY_AFTER_DATE, RetryAfter, Route};
use super::state::{Connection, Faults};
use crate::state::AppState;

/// What the fault layer and the control routes work on: the faults, and the emulator's state (to
/// restart it).
#[derive(Clone)]
pub(crate) struct Injection {
    pub app: Arc<AppState>,
    pub faults: Arc<Faults>,
}

impl Injection {
    /// Forgets every request and closes every connection but `keep`, as a restart of a server
    /// that keeps nothing on disk would.
    pub(crate) fn restart(&self, keep: Option<&Connection>) {
        self.app.store.clear();
        self.app.limits.clear();
        self.faults.cut_connections(keep);
        tracing::info!("restarted: every request forgotten");
    }
}
use crate::record::Status;

/// How long `stall` holds a request before answering 504.
const STALL: Duration = Duration::from_secs(60);
/// The size of the `huge` answer.
const HUGE: usize = 10 * 1024 * 1024;
/// The largest real answer a fault reads to change it.
const MAX_REAL_ANSWER: usize = 16 * 1024 * 1024;
/// How long `reset` lets the first half of an answer go out before closing the connection.
const RESET_AFTER: Duration = Duration::from_millis(50);

/// Logs the call and applies the fault that matches it, if any.
pub(crate) async fn apply(
    State(injection): State<Injection>,
    request: Request,
    next: Next,
) -> Response {
    let Some(route) = Route::of(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let fault = injection.faults.take(route);
    let idempotency_key = request
        .headers()
        .get("idempotency-key")
        .and_then(|key| key.to_str().ok());
    injection.faults.log(
        route,
        request.method().as_str(),
        request.uri().path(),
        idempotency_key,
        fault.as_ref(),
    );
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    tracing::info!(%fault, path = %request.uri().path(), "applying a fault");
    let connection = request.extensions().get::<Connection>().cloned();
    let retry_after = fault.retry_after_value();
    match fault.kind() {
        FaultKind::Hangup => hang_up(connection.as_ref()).await,
        FaultKind::Restart => {
            injection.restart(connection.as_ref());
            next.run(request).await
        }
        FaultKind::Refuse => next.run(request).await,
        kind if kind.rewrites_the_answer() => {
            let real = next.run(request).await;
            let (answer, real_json) = rewrite(kind, real, connection).await;
            settle_forged_status(&injection, route, kind, real_json.as_ref(), &fault);
            answer
        }
        kind => {
            if fault.is_processed() {
                // The service acts on the request; its answer is lost on the way back.
                drop(next.run(request).await);
            }
            with_retry_after(replace(kind).await, retry_after)
        }
    }
}

/// Closes the connection without answering.
async fn hang_up(connection: Option<&Connection>) -> Response {
    match connection {
        Some(connection) => {
            connection.cut();
            std::future::pending().await
        }
        // Not served by the emulator's own server (cannot happen): the closest answer.
        None => error(StatusCode::BAD_GATEWAY, "injected fault: hangup"),
    }
}

/// The answer of a fault that answers in place of the service.
async fn replace(kind: &FaultKind) -> Response {
    match kind {
        FaultKind::Status(code) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let reason = status.canonical_reason().unwrap_or("");
            error(status, &format!("injected fault: {code} {reason}"))
        }
        FaultKind::NotJson => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "OK (this answer is not JSON)",
        )
            .into_response(),
        FaultKind::HtmlError => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            HTML_ERROR_PAGE,
        )
            .into_response(),
        FaultKind::Huge => {
            let mut body = Vec::with_capacity(HUGE);
            body.extend_from_slice(br#"{"padding":""#);
            body.resize(HUGE - 2, b'x');
            body.extend_from_slice(br#""}"#);
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        FaultKind::Stall => {
            tokio::time::sleep(STALL).await;
            error(StatusCode::GATEWAY_TIMEOUT, "injected fault: stalled")
        }
        other => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("fault {other:?} does not answer by itself"),
        ),
    }
}

/// When a fault sets the `status` of a create's answer to a decision, the stored request takes
/// that decision too: what the agent reads later agrees with what it was told, as it would with a
/// service that decided at creation. Other values (`EXPIRED`, `PENDING`) change only the answer.
fn settle_forged_status(
    injection: &Injection,
    route: Route,
    kind: &FaultKind,
    real: Option<&Value>,
    fault: &Fault,
) {
    let FaultKind::SetField(field, value) = kind else {
        return;
    };
    if field != "status" || !matches!(route, Route::Create | Route::Inbound) {
        return;
    }
    let status = value.as_str().and_then(|text| text.parse::<Status>().ok());
    let id = real.and_then(|real| real.get("id").or_else(|| real.get("approvalId")));
    if let (Some(status), Some(id)) = (
        status.filter(|status| status.is_decided()),
        id.and_then(Value::as_str),
    ) {
        injection
            .app
            .decide_by_fault(id, status, &fault.to_string());
    }
}

/// Changes the service's real answer; also gives the real answer, when it was a JSON object with a
/// success status.
async fn rewrite(
    kind: &FaultKind,
    real: Response,
    connection: Option<Connection>,
) -> (Response, Option<Value>) {
    let (mut parts, body) = real.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_REAL_ANSWER).await else {
        return (
            error(StatusCode::BAD_GATEWAY, "the real answer could not be read"),
            None,
        );
    };
    let real_json = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .filter(|answer| parts.status.is_success() && answer.is_object());
    parts.headers.remove(header::CONTENT_LENGTH);
    let half = bytes.slice(..bytes.len() / 2);
    let answer = match kind {
        FaultKind::Truncated => Response::from_parts(parts, Body::from(half)),
        FaultKind::Reset => {
            // Announce the whole answer, send half, then close the connection.
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            let cut = async move {
                tokio::time::sleep(RESET_AFTER).await;
                if let Some(connection) = connection {
                    connection.cut();
                }
                std::future::pending::<Result<Bytes, Infallible>>().await
            };
            let body =
                stream::once(async move { Ok::<_, Infallible>(half) }).chain(stream::once(cut));
            Response::from_parts(parts, Body::from_stream(body))
        }
        FaultKind::SetField(..) | FaultKind::RemoveField(_) => {
            let changed = real_json.clone().and_then(|mut answer| {
                let object = answer.as_object_mut()?;
                match kind {
                    FaultKind::SetField(field, value) => {
                        object.insert(field.clone(), value.clone());
                    }
                    FaultKind::RemoveField(field) => {
                        object.remove(field);
                    }
                    _ => {}
                }
                serde_json::to_vec(&answer).ok()
            });
            // An answer that is not a JSON object (an error) goes back as it was.
            Response::from_parts(parts, Body::from(changed.unwrap_or_else(|| bytes.to_vec())))
        }
        _ => Response::from_parts(parts, Body::from(bytes)),
    };
    (answer, real_json)
}

/// `{"error": message}` with this status.
fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

fn with_retry_after(mut response: Response, retry_after: Option<RetryAfter>) -> Response {
    let value = match retry_after {
        None => return response,
        Some(RetryAfter::Seconds(seconds)) => seconds.to_string(),
        Some(RetryAfter::DateIn(seconds)) => {
            // At most a year ahead: `httpdate` panics past the year 9999, and `+` on overflow.
            let ahead = Duration::from_secs(seconds.min(MAX_RETRY_AFTER_DATE));
            match SystemTime::now().checked_add(ahead) {
                Some(when) => httpdate::fmt_http_date(when),
                None => return response,
            }
        }
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// What a proxy in front of a failed service answers.
const HTML_ERROR_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\
<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
</body>\r\n</html>\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn retry_after_is_sent_in_seconds_or_as_a_date() {
        let seconds = with_retry_after(
            replace(&FaultKind::Status(429)).await,
            Some(RetryAfter::Seconds(2)),
        );
        assert_eq!(seconds.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(seconds.headers()[header::RETRY_AFTER], "2");
        let date = with_retry_after(
            replace(&FaultKind::Status(503)).await,
            Some(RetryAfter::DateIn(30)),
        );
        let when = httpdate::parse_http_date(date.headers()[header::RETRY_AFTER].to_str().unwrap())
            .unwrap();
        let ahead = when.duration_since(SystemTime::now()).unwrap();
        assert!(ahead > Duration::from_secs(28) && ahead <= Duration::from_secs(30));
    }

    #[tokio::test]
    async fn a_retry_after_date_too_far_ahead_is_sent_as_one_year() {
        for seconds in [u64::MAX, 300_000_000_000, MAX_RETRY_AFTER_DATE + 1] {
            let date = with_retry_after(
                replace(&FaultKind::Status(503)).await,
                Some(RetryAfter::DateIn(seconds)),
            );
            let when =
                httpdate::parse_http_date(date.headers()[header::RETRY_AFTER].to_str().unwrap())
                    .unwrap();
            let ahead = when.duration_since(SystemTime::now()).unwrap();
            let year = Duration::from_secs(MAX_RETRY_AFTER_DATE);
            assert!(
                ahead > year - Duration::from_secs(2) && ahead <= year,
                "{seconds}: {ahead:?}"
            );
        }
    }

    #[tokio::test]
    async fn fields_are_set_and_removed_on_json_objects_only() {
        let real = || axum::Json(json!({"id": "req_1", "status": "PENDING"})).into_response();
        let set = FaultKind::SetField("status".into(), json!("EXPIRED"));
        let (answer, _) = rewrite(&set, real(), None).await;
        let body = to_bytes(answer.into_body(), 1 << 20).await.unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap(),
            json!({"id": "req_1", "status": "EXPIRED"})
        );
        let (removed, _) = rewrite(&FaultKind::RemoveField("id".into()), real(), None).await;
        let body = to_bytes(removed.into_body(), 1 << 20).await.unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap(),
            json!({"status": "PENDING"})
        );
        let failed = error(StatusCode::NOT_FOUND, "no such request");
        let (kept, _) = rewrite(&set, failed, None).await;
        assert_eq!(kept.status(), StatusCode::NOT_FOUND);
        let body = to_bytes(kept.into_body(), 1 << 20).await.unwrap();
        assert_eq!(&body[..], br#"{"error":"no such request"}"#);
    }

    #[tokio::test]
    async fn truncated_answers_are_half_and_framed() {
        let real = axum::Json(json!({"id": "req_1", "status": "PENDING"})).into_response();
        let (answer, _) = rewrite(&FaultKind::Truncated, real, None).await;
        let body = to_bytes(answer.into_body(), 1 << 20).await.unwrap();
        assert_eq!(&body[..], br#"{"id":"req_1","s"#);
    }
}
