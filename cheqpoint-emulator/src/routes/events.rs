//! `GET /emulator/events`: a server-sent event stream for the inbox, one `changed` event when the
//! stream opens and one after each change to the requests (several quick changes may share one
//! event), so that a page re-reads `GET /emulator/approvals` instead of polling.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};

use crate::state::AppState;

/// The event stream.
pub(crate) async fn events(
    State(app): State<Arc<AppState>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut changes = app.store.subscribe();
    // The first event tells a page that (re)connects to catch up.
    changes.mark_changed();
    let events = stream::unfold(changes, |mut changes| async move {
        // Fails only once the store is gone, which ends the stream.
        changes.changed().await.ok()?;
        Some((Ok(Event::default().data("changed")), changes))
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}
