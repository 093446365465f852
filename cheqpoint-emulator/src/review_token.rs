//! The reviewer token that keeps the review and control routes from being an open door: when one
//! is configured, the review routes (`GET /emulator/approvals`, `GET /emulator/events`,
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

use crate::app::App;
use crate::errors::ApiError;

/// The header that carries the reviewer token.
const HEADER: &str = "x-review-token";

/// Lets a request through when no token is configured or when it carries the configured one.
pub(crate) async fn require(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let Some(expected) = app.review_token.as_deref() else {
        return next.run(request).await;
    };
    let from_header = request.headers().get(HEADER).map(|token| token.as_bytes());
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
