//! Caps on what a call can hold open for long — event streams, short-wait calls held for a
//! decision — so that a client in a loop cannot exhaust the emulator. Over a cap, the call gets
//! 503 with a message that says which cap and what to do.

use std::sync::Arc;

use axum::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::errors::ApiError;

/// At most `size` of one kind of long-lived call at once.
pub(crate) struct Cap {
    permits: Arc<Semaphore>,
    size: usize,
    /// What is counted, e.g. "open event streams".
    what: &'static str,
}

impl Cap {
    pub(crate) fn new(size: usize, what: &'static str) -> Cap {
        Cap {
            permits: Arc::new(Semaphore::new(size)),
            size,
            what,
        }
    }

    /// A place under the cap, given back when dropped; 503 when there is none.
    pub(crate) fn take(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        Arc::clone(&self.permits).try_acquire_owned().map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "too many {} (at most {} at once): try again once one ends",
                    self.what, self.size
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Cap;

    #[test]
    fn places_are_given_back_when_dropped() {
        let cap = Cap::new(2, "things");
        let first = cap.take().unwrap();
        let _second = cap.take().unwrap();
        let refused = cap.take().unwrap_err();
        assert!(format!("{refused:?}").contains("too many things (at most 2 at once)"));
        drop(first);
        assert!(cap.take().is_ok());
    }
}
