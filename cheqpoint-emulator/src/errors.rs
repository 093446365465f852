//! Errors: [`DecisionError`] for the library's decision calls, and [`ApiError`], the
//! `{"error": "<message>"}` answer every failing route gives, with the extractor and the response
//! layer that keep axum's plain-text rejections out of the API.

use axum::Json;
use axum::body::to_bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::record::Status;

/// Why a decision could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// No request has this id.
    #[error("no approval request with id {0:?}")]
    NotFound(String),
    /// The request was decided before (by a person, a rule or expiry).
    #[error("approval request {id} is already {status}")]
    AlreadyDecided {
        /// The request's id.
        id: String,
        /// Its current status.
        status: Status,
    },
    /// `modifiedDetails` was not a JSON object.
    #[error("modifiedDetails must be a JSON object")]
    InvalidModifiedDetails,
}

/// A failed API call: an HTTP status and a message, answered as `{"error": message}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

impl From<DecisionError> for ApiError {
    fn from(error: DecisionError) -> Self {
        let status = match error {
            DecisionError::NotFound(_) => StatusCode::NOT_FOUND,
            DecisionError::AlreadyDecided { .. } => StatusCode::CONFLICT,
            DecisionError::InvalidModifiedDetails => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, error.to_string())
    }
}

/// A request body that is a JSON object. Bad JSON is a 400, a body over the size limit a 413, a
/// missing `Content-Type: application/json` a 415, each with a JSON error.
pub(crate) struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<Value>::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::new(rejection.status(), rejection.body_text()))?;
        match value {
            Value::Object(object) => Ok(JsonObject(object)),
            _ => Err(ApiError::bad_request(
                "the request body must be a JSON object",
            )),
        }
    }
}

/// The answer for a path no route serves: 404.
pub(crate) async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no route for {method} {}", uri.path()),
    )
}

/// The largest error body [`json_error_bodies`] reads to reuse as the message.
const MAX_ERROR_TEXT: usize = 16 * 1024;

/// Rewrites any error response that is not JSON — axum's own rejections of a path parameter, a
/// query string or a method, in plain text or empty — as `{"error": <its text>}`, so that every
/// error a client sees has the documented shape.
pub(crate) async fn json_error_bodies(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let text = to_bytes(response.into_body(), MAX_ERROR_TEXT)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    ApiError::new(status, message).into_response()
}
