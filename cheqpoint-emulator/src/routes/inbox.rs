//! The review inbox: a page at `/` with its stylesheet and script, plain files under `inbox/`
//! built into the binary (`src/inbox/`). The page reads `GET /emulator/approvals`, listens to
//! `GET /emulator/events` and decides through `POST /emulator/approvals/{id}/decision`.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{MethodRouter, get};

/// The inbox routes.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", asset("text/html; charset=utf-8", PAGE))
        .route("/inbox.css", asset("text/css; charset=utf-8", STYLE))
        .route("/inbox.js", asset("text/javascript; charset=utf-8", SCRIPT))
}

const PAGE: &str = include_str!("../inbox/index.html");
const STYLE: &str = include_str!("../inbox/inbox.css");
const SCRIPT: &str = include_str!("../inbox/inbox.js");

/// `GET` answering `body` as `content_type`.
fn asset<S: Clone + Send + Sync + 'static>(
    content_type: &'static str,
    body: &'static str,
) -> MethodRouter<S> {
    get(move || async move { ([(CONTENT_TYPE, content_type)], body) })
}
