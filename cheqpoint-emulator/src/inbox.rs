//! The page at `/`: for now a placeholder that points to the decision API.

use axum::Router;
use axum::response::Html;
use axum::routing::get;

/// The inbox routes.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/", get(page))
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Cheqpoint emulator</title></head>
<body>
<h1>Cheqpoint emulator</h1>
<p>Requests received: <a href="/emulator/approvals">/emulator/approvals</a>.
Decide one with <code>POST /emulator/approvals/{id}/decision</code>.</p>
</body>
</html>
"#;
