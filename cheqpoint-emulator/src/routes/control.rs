//! The control routes, so that a test can drive the binary as it drives the library:
//!
//! | route | what |
//! | --- | --- |
//! | `GET /emulator/faults` | `{"faults": [SPEC, …]}`, the active faults with what is left of them |
//! | `POST /emulator/faults` | `{"fault": SPEC}` or `{"faults": [SPEC, …]}`: injects them; answers as `GET` |
//! | `DELETE /emulator/faults` | clears every fault and opens the port; `{"faults": []}` |
//! | `GET /emulator/calls` | `{"created": N, "calls": [{"route", "method", "path", "at", "fault", "idempotencyKey"}, …]}`: the last 100,000 calls |
//! | `POST /emulator/restart` | forgets every request; `{"ok": true}` |
//!
//! Each of them can forge an answer (`get:status=APPROVED`) or wipe the emulator's state, so they
//! sit behind the reviewer token, as the review routes do ([`guards`](super::guards)).

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::middleware;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::guards;
use crate::errors::{ApiError, JsonObject};
use crate::faults::{Connection, Fault, Injection};
use crate::record::rfc3339;

/// The control routes, behind the reviewer token, for any router state.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(injection: Injection) -> Router<S> {
    let app = Arc::clone(&injection.app);
    Router::new()
        .route("/emulator/faults", get(list).post(inject).delete(clear))
        .route("/emulator/calls", get(calls))
        .route("/emulator/restart", post(restart))
        .route_layer(middleware::from_fn_with_state(
            app,
            guards::require_review_token,
        ))
        .with_state(injection)
}

async fn list(State(injection): State<Injection>) -> Json<Value> {
    Json(json!({ "faults": injection.faults.describe() }))
}

async fn inject(
    State(injection): State<Injection>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let specs: Vec<&Value> = match (body.get("fault"), body.get("faults")) {
        (Some(one), None) => vec![one],
        (None, Some(Value::Array(many))) => many.iter().collect(),
        _ => {
            return Err(ApiError::bad_request(
                "give `fault` (a string such as \"get:502x3\") or `faults` (an array of them)",
            ));
        }
    };
    // Every fault is read before any is injected, so a bad one injects nothing.
    let faults = specs
        .into_iter()
        .map(|spec| {
            spec.as_str()
                .ok_or_else(|| ApiError::bad_request(format!("a fault is a string, not {spec}")))?
                .parse::<Fault>()
                .map_err(|e| ApiError::bad_request(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for fault in faults {
        injection.faults.inject(fault);
    }
    Ok(list(State(injection)).await)
}

async fn clear(State(injection): State<Injection>) -> Json<Value> {
    injection.faults.clear();
    Json(json!({ "faults": [] }))
}

async fn calls(State(injection): State<Injection>) -> Json<Value> {
    let calls: Vec<Value> = injection
        .faults
        .calls()
        .into_iter()
        .map(|call| {
            json!({
                "route": call.route.name(),
                "method": call.method,
                "path": call.path,
                "at": rfc3339(call.at),
                "fault": call.fault,
                "idempotencyKey": call.idempotency_key,
            })
        })
        .collect();
    Json(json!({ "created": injection.app.store.created_count(), "calls": calls }))
}

async fn restart(
    State(injection): State<Injection>,
    connection: Option<Extension<Connection>>,
) -> Json<Value> {
    injection.restart(connection.as_ref().map(|Extension(connection)| connection));
    Json(json!({ "ok": true }))
}
