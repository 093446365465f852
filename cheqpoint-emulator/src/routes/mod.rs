//! Every route the emulator serves, grouped by who calls it: [`api`] (agents, behind the API
//! key), [`review`] and [`events`] (the inbox and tests, behind the review token), [`control`]
//! (fault injection and restart, behind the review token), [`inbox`] (the page's files); the
//! checks in front of them live in [`guards`].

mod api;
mod control;
mod events;
mod guards;
mod inbox;
mod review;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;

use crate::errors;
use crate::faults::{self, Injection};

/// The largest request body accepted; larger ones get 413.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Every route, with the body size limit and JSON error bodies, behind the fault layer; in front
/// of everything, the `Host` and cross-site checks, so that a refused request changes nothing
/// (not even a fault's count), and the security headers on every answer.
pub(crate) fn router(injection: Injection) -> Router {
    let app = Arc::clone(&injection.app);
    Router::new()
        .merge(api::routes(Arc::clone(&app)))
        .merge(review::routes(Arc::clone(&app)))
        .merge(inbox::routes())
        .merge(control::routes(injection.clone()))
        .fallback(errors::unknown_route)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::map_response(errors::json_error_bodies))
        .layer(middleware::from_fn_with_state(injection, faults::apply))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            guards::refuse_cross_site,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            guards::require_known_host,
        ))
        .layer(middleware::map_response(guards::security_headers))
        .with_state(app)
}
