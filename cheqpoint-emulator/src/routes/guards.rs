//! The checks in front of the routes, in one place, each answering with a JSON error before
//! anything changes:
//!
//! - [`require_known_host`], on every route: the `Host` header must name the address the emulator
//!   serves (`127.0.0.1:P`, `localhost:P`, `[::1]:P`, the bound address, or the public URL), so a
//!   web page whose domain was pointed at 127.0.0.1 (DNS rebinding) gets 403.
//! - [`refuse_cross_site`], on every route that changes state (any method but `GET`, `HEAD` and
//!   `OPTIONS`): a request a browser marks as coming from another site (`Sec-Fetch-Site`), or
//!   whose `Origin` is not the emulator's, gets 403 — form posts and `fetch` from other pages
//!   included, bodiless ones too. Clients that are not browsers send neither header.
//! - [`require_api_key`], on the `/api` routes: an `x-api-key` header, the configured key or any
//!   non-empty key when none is configured; else 401.
//! - [`require_review_token`], on the review and control routes (`/emulator/approvals…`,
//!   `/emulator/events`, `/emulator/callbacks`, `/emulator/faults`, `/emulator/calls`,
//!   `/emulator/restart`, which could otherwise forge an approval or wipe the state), when a
//!   token is configured: the `x-review-token` header, or `?token=` on `GET /emulator/events`
//!   alone (an `EventSource` cannot send headers); else 401. `GET /emulator/health`, the inbox's
//!   files and the `/api` routes do not need it.
//!
//! Keys and tokens are compared in constant time. [`security_headers`] adds to every answer the
//! headers that keep the inbox from being framed or sniffed.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::errors::ApiError;
use crate::state::AppState;

/// The header that carries the connection key.
pub(crate) const API_KEY_HEADER: &str = "x-api-key";

/// The header that carries the reviewer token.
const REVIEW_TOKEN_HEADER: &str = "x-review-token";

/// The one route that may carry the reviewer token in its query string.
const EVENTS_PATH: &str = "/emulator/events";

/// The policy the inbox is served with: its own files only, and no framing by any page.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; frame-ancestors 'none'";

/// Lets a request through when its `Host` is one of the emulator's addresses; 403 otherwise.
pub(crate) async fn require_known_host(
    State(app): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok());
    match host {
        Some(host) if app.addresses.is_known_host(host) => next.run(request).await,
        Some(host) => ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "unknown Host {host:?}: the emulator answers only at {} (give --public-url to serve another name)",
                app.addresses.known_hosts().join(", ")
            ),
        )
        .into_response(),
        None => {
            ApiError::new(StatusCode::FORBIDDEN, "a request needs a Host header").into_response()
        }
    }
}

/// Lets a request through unless it changes state and a browser says it comes from another
/// site; 403 otherwise.
pub(crate) async fn refuse_cross_site(
    State(app): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let fetch_site = headers
        .get("sec-fetch-site")
        .map(|site| site.to_str().unwrap_or("?"));
    if let Some(site) = fetch_site.filter(|site| !matches!(*site, "same-origin" | "none")) {
        return cross_site(format!("Sec-Fetch-Site is {site:?}"));
    }
    let origin = headers
        .get(header::ORIGIN)
        .map(|origin| origin.to_str().unwrap_or("?"));
    if let Some(origin) = origin.filter(|origin| !app.addresses.is_own_origin(origin)) {
        return cross_site(format!("Origin {origin:?} is not the emulator's"));
    }
    next.run(request).await
}

fn cross_site(why: String) -> Response {
    ApiError::new(
        StatusCode::FORBIDDEN,
        format!("cross-site request refused ({why}): only the inbox itself may change state"),
    )
    .into_response()
}

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
        (Some(key), Some(expected)) if !same_secret(key, expected) => {
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
    let from_query = (request.uri().path() == EVENTS_PATH)
        .then(|| Query::<HashMap<String, String>>::try_from_uri(request.uri()).ok())
        .flatten()
        .and_then(|Query(mut query)| query.remove("token"));
    match from_header.or(from_query.as_deref().map(str::as_bytes)) {
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing review token: send it in the x-review-token header (or as ?token= on /emulator/events)",
        )
        .into_response(),
        Some(token) if !same_secret(token, expected) => {
            ApiError::new(StatusCode::UNAUTHORIZED, "invalid review token").into_response()
        }
        Some(_) => next.run(request).await,
    }
}

/// True when `given` is `expected`, compared in a time that does not depend on where they differ.
fn same_secret(given: &[u8], expected: &str) -> bool {
    given.ct_eq(expected.as_bytes()).into()
}

/// Adds `Content-Security-Policy`, `X-Content-Type-Options`, `Referrer-Policy` and
/// `X-Frame-Options` to every answer: no page can frame the inbox's Approve button, and the
/// token in its address is never sent on as a referrer.
pub(crate) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(same_secret(b"token", "token"));
        assert!(!same_secret(b"tokem", "token"));
        assert!(!same_secret(b"toke", "token"));
        assert!(!same_secret(b"token!", "token"));
        assert!(!same_secret(b"", "token"));
    }
}
