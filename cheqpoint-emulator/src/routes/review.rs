//! The decision API for people and tests: `GET /emulator/approvals` (newest first, a page at a
//! time, optionally filtered by `?status=`), `POST /emulator/approvals/{id}/decision`,
//! `GET /emulator/events` (the inbox's live updates), `GET /emulator/callbacks` (the deliveries)
//! — these behind the reviewer token when one is set — and `GET /emulator/health`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::middleware;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::events;
use super::guards;
use crate::errors::{ApiError, JsonObject};
use crate::fields::Fields;
use crate::record::CallbackDelivery;
use crate::record::{ApprovalRecord, Decision, Status};
use crate::state::AppState;

/// The review routes.
pub(crate) fn routes(app: Arc<AppState>) -> Router<Arc<AppState>> {
    let guarded = Router::new()
        .route("/emulator/approvals", get(list))
        .route("/emulator/approvals/{id}/decision", post(decide))
        .route("/emulator/events", get(events::events))
        .route("/emulator/callbacks", get(callbacks))
        .route_layer(middleware::from_fn_with_state(
            app,
            guards::require_review_token,
        ));
    Router::new()
        .route("/emulator/health", get(health))
        .merge(guarded)
}

/// `GET /emulator/health`: `{"ok": true}`.
async fn health() -> Json<Value> {
    Json(json!({ "ok": true }))
}

/// How many records a page of `GET /emulator/approvals` holds unless `?limit=` says otherwise.
const DEFAULT_PAGE: usize = 100;
/// The most records one page may hold.
const MAX_PAGE: usize = 1000;

#[derive(Deserialize)]
struct ListQuery {
    /// `pending`, `approved` or `rejected`, in any letter case.
    status: Option<String>,
    /// How many records, 1 to [`MAX_PAGE`].
    limit: Option<String>,
    /// The id of the last record of the previous page: this page starts after it.
    before: Option<String>,
}

/// `GET /emulator/approvals[?status=…][&limit=N][&before=ID]`: the records, newest first, at most
/// `limit` (100 by default, 1,000 at most); the next page is `?before=` the last id of this one.
async fn list(
    State(app): State<Arc<AppState>>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<ApprovalRecord>>, ApiError> {
    let wanted: Option<Status> = query
        .status
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(ApiError::bad_request)?;
    let limit = match query.limit.as_deref() {
        None => DEFAULT_PAGE,
        Some(text) => text
            .parse()
            .ok()
            .filter(|limit| (1..=MAX_PAGE).contains(limit))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "`limit` must be a whole number from 1 to {MAX_PAGE}, got {text:?}"
                ))
            })?,
    };
    Ok(Json(app.store.page(
        wanted,
        query.before.as_deref(),
        limit,
    )?))
}

/// `GET /emulator/callbacks`: `{"deliveries": [...]}`, the deliveries of decisions to callback
/// URLs, newest first (the last 10,000).
async fn callbacks(State(app): State<Arc<AppState>>) -> Json<Value> {
    let deliveries: Vec<Value> = app
        .callbacks
        .deliveries()
        .iter()
        .rev()
        .map(CallbackDelivery::to_json)
        .collect();
    Json(json!({ "deliveries": deliveries }))
}

/// `POST /emulator/approvals/{id}/decision` with `{"decision": "approve"|"reject",
/// "modifiedDetails"?: {…}, "note"?: "…", "reasonCode"?: "…"}`: the decided record.
async fn decide(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<ApprovalRecord>, ApiError> {
    let fields = Fields(&body);
    let status = fields.required("decision", "\"approve\" or \"reject\"", |value| match value
        .as_str()?
    {
        "approve" => Some(Status::Approved),
        "reject" => Some(Status::Rejected),
        _ => None,
    })?;
    let modified_details = fields.optional_object("modifiedDetails")?;
    if status == Status::Rejected && modified_details.is_some() {
        return Err(ApiError::bad_request(
            "`modifiedDetails` can only come with an approval",
        ));
    }
    let decision = Decision {
        reason_code: fields.optional_text("reasonCode")?,
        ..Decision::new(status, modified_details, fields.optional_text("note")?)
    };
    Ok(Json(app.decide(&id, decision)?))
}
