//! `GET /emulator/events`: a server-sent event stream for the inbox, one `changed` event when the
//! stream opens and one after each change to the requests (several quick changes may share one
//! event), so that a page re-reads `GET /emulator/approvals` instead of polling. At most so many
//! streams are open at once ([`EmulatorBuilder::max_event_streams`](crate::EmulatorBuilder::max_event_streams));
//! over that, 503.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};

use crate::errors::ApiError;
use crate::state::AppState;

/// The event stream; it holds its place under the cap until it ends.
pub(crate) async fn events(
    State(app): State<Arc<AppState>>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let place = app.event_streams.take()?;
    let mut changes = app.store.subscribe();
    // The first event tells a page that (re)connects to catch up.
    changes.mark_changed();
    let events = stream::unfold((changes, place), |(mut changes, place)| async move {
        // Fails only once the store is gone, which ends the stream.
        changes.changed().await.ok()?;
        Some((Ok(Event::default().data("changed")), (changes, place)))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
