//! The checks in front of the routes, in one place: the API key on the agents' routes, and the
//! reviewer token that keeps the review and control routes from being an open door.
//!
//! The API key: the `/api` routes need an `x-api-key` header, the configured key or any
//! non-empty key when none is configured. The reviewer token: when one is configured, the review routes (`GET /emulator/approvals`, `GET /emulator/events`,
//! `POST /emulator/approvals/{id}/decision`) and the control routes (`GET`/`POST`/`DELETE
//! /emulator/faults`, `GET /emulator/calls`, `POST /emulator/restart`, which could otherwise forge
//! an approval or wipe the state) need it, in the `x-review-token` header or as `?token=` (for
//! `EventSource`, which cannot set headers); anything else is a 401. `GET /emulator/health`, the
//! inbox's files and the `/api` routes (guarded by the API key) do not.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::errors::ApiError;
use crate::state::AppState;

/// The header that carries the reviewer token.
const REVIEW_TOKEN_HEADER: &str = "x-review-token";

/// The header that carries the connection key.
const API_KEY_HEADER: &str = "x-api-key";

/// Lets a request through when its `x-api-key` is the configured key, or any non-empty key when
/// none is configured; answers 401 otherwise.
pub(crate) async fn require_api_key(
    State(app): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let key = request
        .headers()
        .get(API_KEY_HEADER)
        .map(|key| key.as_bytes());
    match (key, app.api_key.as_deref()) {
        (None | Some(b""), _) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing API key: send it in the x-api-key header",
        )
        .into_response(),
        (Some(key), Some(expected)) if key != expected.as_bytes() => {
            ApiError::new(StatusCode::UNAUTHORIZED, "invalid API key").into_response()
        }
        _ => next.run(request).await,
    }
}

/// Lets a request through when no token is configured or when it carries the configured one.
pub(crate) async fn require_review_token(
    State(app): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = app.review_token.as_deref() else {
        return next.run(request).await;
    };
    let from_header = request
        .headers()
        .get(REVIEW_TOKEN_HEADER)
        .map(|token| token.as_bytes());
    let from_query = Query::<HashMap<String, String>>::try_from_uri(request.uri())
        .ok()
        .and_then(|Query(mut query)| query.remove("token"));
    match from_header.or(from_query.as_deref().map(str::as_bytes)) {
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing review token: send it in the x-review-token header or as ?token=",
        )
        .into_response(),
        Some(token) if token != expected.as_bytes() => {
            ApiError::new(StatusCode::UNAUTHORIZED, "invalid review token").into_response()
        }
        Some(_) => next.run(request).await,
    }
}
