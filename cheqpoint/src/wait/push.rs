//! Push wake-up: a verified callback wakes the wait on its request, which then confirms the
//! decision with one read instead of waiting for its next poll.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, PoisonError},
};

use tokio::sync::Notify;

use crate::{Callback, Client};

/// How many callbacks that came before their wait started are remembered (oldest forgotten
/// first), so a decision that beats the wait's registration still wakes it.
const EARLY_CALLBACKS: usize = 1024;

/// The waits in flight on one client, by approval id.
#[derive(Default)]
pub(crate) struct Waits {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    waiting: HashMap<String, Vec<Arc<Notify>>>,
    early: VecDeque<String>,
}

/// A wait's place in [`Waits`]; leaves it when dropped.
pub(crate) struct Registration<'a> {
    waits: &'a Waits,
    approval_id: String,
    pub woken: Arc<Notify>,
}

impl Waits {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a wait on `approval_id`, already woken when its callback came first.
    pub fn register(&self, approval_id: &str) -> Registration<'_> {
        let woken = Arc::new(Notify::new());
        let mut state = self.state();
        if let Some(at) = state.early.iter().position(|id| id == approval_id) {
            state.early.remove(at);
            woken.notify_one();
        }
        state
            .waiting
            .entry(approval_id.to_owned())
            .or_default()
            .push(Arc::clone(&woken));
        Registration {
            waits: self,
            approval_id: approval_id.to_owned(),
            woken,
        }
    }

    /// Wakes every wait on `approval_id`; `false` when none is registered (the id is then
    /// remembered for a wait that is about to start).
    pub fn wake(&self, approval_id: &str) -> bool {
        let mut state = self.state();
        if let Some(waits) = state.waiting.get(approval_id) {
            waits.iter().for_each(|woken| woken.notify_one());
            return true;
        }
        if state.early.len() == EARLY_CALLBACKS {
            state.early.pop_front();
        }
        state.early.push_back(approval_id.to_owned());
        false
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut state = self.waits.state();
        if let Some(waits) = state.waiting.get_mut(&self.approval_id) {
            waits.retain(|woken| !Arc::ptr_eq(woken, &self.woken));
            if waits.is_empty() {
                state.waiting.remove(&self.approval_id);
            }
        }
    }
}

impl Client {
    /// Hands a decision that reached your own callback route to this client: the wait on its
    /// request wakes at once and confirms the decision with one read. Only a callback read with
    /// [`Callback::verify`] wakes anything; returns whether a wait of this client was woken.
    ///
    /// With [`ClientBuilder::callback_url`](crate::ClientBuilder::callback_url) or
    /// [`ClientBuilder::listen_for_callbacks`](crate::ClientBuilder::listen_for_callbacks), the
    /// poll schedule slows to a safety net, as decisions are expected to arrive this way.
    pub fn deliver(&self, callback: &Callback) -> bool {
        callback.is_verified() && self.inner.waits.wake(&callback.approval_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_reaches_the_registered_wait_and_a_dropped_one_leaves() {
        let waits = Waits::default();
        let registration = waits.register("req_1");
        assert!(waits.wake("req_1"));
        registration.woken.notified().await; // the permit was kept for the waiter
        drop(registration);
        assert!(waits.state().waiting.is_empty());
    }

    #[tokio::test]
    async fn a_callback_that_comes_first_wakes_the_wait_that_follows() {
        let waits = Waits::default();
        assert!(!waits.wake("req_early"));
        let registration = waits.register("req_early");
        registration.woken.notified().await;
        assert!(waits.state().early.is_empty());
    }

    #[test]
    fn unknown_callbacks_are_remembered_within_a_bound() {
        let waits = Waits::default();
        for n in 0..EARLY_CALLBACKS + 10 {
            waits.wake(&format!("req_{n}"));
        }
        assert_eq!(waits.state().early.len(), EARLY_CALLBACKS);
        assert_eq!(
            waits.state().early.front().map(String::as_str),
            Some("req_10")
        );
    }
}
