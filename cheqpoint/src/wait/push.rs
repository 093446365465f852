//! Push wake-ups: a callback wakes the wait on its request, which then confirms the decision
//! with one read instead of waiting for its next poll.
//!
//! A verified callback *announces* a decision: it wakes the wait once (a replay wakes nothing)
//! and tells this client that callbacks reach it, so waits may slow to the safety net. An
//! unverified one only *hints*: it wakes a wait on a known id, at most once per
//! [`HINT_INTERVAL`], and proves nothing. A decision a read finds that no callback announced
//! ends that trust: waits go back to the plain polling schedule.

use std::{
    collections::{HashMap, VecDeque},
    pin::pin,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::Notify;

/// How many announcements that came before their wait started are remembered (oldest forgotten
/// first), so a decision that beats the wait's registration still wakes it.
const EARLY_CALLBACKS: usize = 1024;

/// The least time between two wake-ups of one wait by unverified callbacks.
pub(crate) const HINT_INTERVAL: Duration = Duration::from_secs(1);

/// The waits in flight on one client, by approval id.
#[derive(Default)]
pub(crate) struct Waits {
    state: Mutex<State>,
    /// A verified callback reached this client, and no decision since came without one.
    trusted: AtomicBool,
    /// A callback, verified or not, has been handed to this client.
    delivered: AtomicBool,
}

#[derive(Default)]
struct State {
    waiting: HashMap<String, Waiting>,
    early: VecDeque<String>,
}

/// The waits on one id, which share one wake-up: a place costs each wait no block of its own.
#[derive(Default)]
struct Waiting {
    wake: Arc<Wake>,
    /// How many waits are on the id.
    waits: usize,
    /// A verified callback announced the decision: replays wake nothing.
    announced: bool,
    /// When an unverified callback last woke these waits.
    hinted_at: Option<Instant>,
}

/// The wake-ups of the waits on one id: each one counts, then notifies the waits pausing, and a
/// wait that was reading when it came sees the count moved at its next pause.
#[derive(Default)]
struct Wake {
    notify: Notify,
    count: AtomicU32,
}

impl Wake {
    fn wake(&self) {
        self.count.fetch_add(1, Ordering::Release);
        self.notify.notify_waiters();
    }
}

/// A wait's place in [`Waits`]; leaves it when dropped.
pub(crate) struct Registration<'a> {
    waits: &'a Waits,
    approval_id: &'a str,
    wake: Arc<Wake>,
    /// The wake-ups this wait has seen.
    seen: u32,
}

impl Waits {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// True when verified callbacks are reaching this client: waits may rely on them.
    pub(crate) fn trusted(&self) -> bool {
        self.trusted.load(Ordering::Relaxed)
    }

    /// A read found a decision no callback announced: callbacks are not to be relied on.
    pub(crate) fn distrust(&self) {
        self.trusted.store(false, Ordering::Relaxed);
    }

    /// Registers a wait on `approval_id` when callbacks may come for it: on a push client
    /// (`push`), or once any callback has been handed to this client. A polling wait on a
    /// client that has never been handed one holds no place, and nothing wakes it but its reads.
    pub(crate) fn register_if<'a>(
        &'a self,
        push: bool,
        approval_id: &'a str,
    ) -> Option<Registration<'a>> {
        (push || self.delivered.load(Ordering::Relaxed)).then(|| self.register(approval_id))
    }

    /// Registers a wait on `approval_id`, already woken when its announcement came first.
    pub(crate) fn register<'a>(&'a self, approval_id: &'a str) -> Registration<'a> {
        let mut state = self.state();
        let early = match state.early.iter().position(|id| id == approval_id) {
            Some(at) => state.early.remove(at).is_some(),
            None => false,
        };
        let waiting = state.waiting.entry(approval_id.to_owned()).or_default();
        waiting.waits += 1;
        waiting.announced |= early;
        let count = waiting.wake.count.load(Ordering::Acquire);
        Registration {
            waits: self,
            approval_id,
            wake: Arc::clone(&waiting.wake),
            // An announced decision wakes the wait at once.
            seen: count.wrapping_sub(u32::from(waiting.announced)),
        }
    }

    /// A verified callback for `approval_id`: wakes its waits the first time, nothing on a replay;
    /// `false` when none is registered (the id is then remembered for a wait about to start).
    pub(crate) fn announce(&self, approval_id: &str) -> bool {
        self.delivered.store(true, Ordering::Relaxed);
        self.trusted.store(true, Ordering::Relaxed);
        let mut state = self.state();
        if let Some(waiting) = state.waiting.get_mut(approval_id) {
            if !std::mem::replace(&mut waiting.announced, true) {
                waiting.wake.wake();
            }
            return true;
        }
        if !state.early.iter().any(|id| id == approval_id) {
            if state.early.len() == EARLY_CALLBACKS {
                state.early.pop_front();
            }
            state.early.push_back(approval_id.to_owned());
        }
        false
    }

    /// An unverified callback naming `approval_id`: wakes its waits (which read the status at
    /// once) unless a callback woke them within [`HINT_INTERVAL`]; `false` for an id no wait is
    /// on.
    pub(crate) fn hint(&self, approval_id: &str) -> bool {
        self.delivered.store(true, Ordering::Relaxed);
        let mut state = self.state();
        let Some(waiting) = state.waiting.get_mut(approval_id) else {
            return false;
        };
        let now = Instant::now();
        let recent = waiting
            .hinted_at
            .is_some_and(|at| now.duration_since(at) < HINT_INTERVAL);
        if !waiting.announced && !recent {
            waiting.hinted_at = Some(now);
            waiting.wake.wake();
        }
        true
    }
}

impl Registration<'_> {
    /// Returns once a callback wakes this wait: at once when one did since it last looked.
    pub(crate) async fn woken(&mut self) {
        let mut notified = pin!(self.wake.notify.notified());
        // Listening before looking at the count: a wake-up between the two is not lost.
        notified.as_mut().enable();
        if self.wake.count.load(Ordering::Acquire) == self.seen {
            notified.await;
        }
        self.seen = self.wake.count.load(Ordering::Acquire);
    }

    /// True when a verified callback announced this wait's decision.
    pub(crate) fn announced(&self) -> bool {
        let state = self.waits.state();
        state
            .waiting
            .get(self.approval_id)
            .is_some_and(|waiting| waiting.announced)
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut state = self.waits.state();
        if let Some(waiting) = state.waiting.get_mut(self.approval_id) {
            waiting.waits -= 1;
            if waiting.waits == 0 {
                state.waiting.remove(self.approval_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_reaches_the_registered_wait_and_a_dropped_one_leaves() {
        let waits = Waits::default();
        let mut registration = waits.register("req_1");
        assert!(waits.announce("req_1"));
        registration.woken().await; // the wake-up was kept for the waiter
        drop(registration);
        assert!(waits.state().waiting.is_empty());
    }

    #[tokio::test]
    async fn a_callback_that_comes_first_wakes_the_wait_that_follows() {
        let waits = Waits::default();
        assert!(!waits.announce("req_early"));
        let mut registration = waits.register("req_early");
        registration.woken().await;
        assert!(waits.state().early.is_empty());
    }

    /// True when `registration` has been woken since it last looked (and takes the wake-up).
    fn woken(registration: &mut Registration<'_>) -> bool {
        let woken = pin!(registration.woken());
        let waker = std::task::Waker::noop();
        woken
            .poll(&mut std::task::Context::from_waker(waker))
            .is_ready()
    }

    #[test]
    fn a_replayed_announcement_wakes_nothing_and_is_remembered_once() {
        let waits = Waits::default();
        for _ in 0..3 {
            waits.announce("req_early");
        }
        assert_eq!(waits.state().early.len(), 1);
        let mut registration = waits.register("req_early");
        assert!(woken(&mut registration));
        assert!(waits.announce("req_early"));
        assert!(!woken(&mut registration), "a replay costs no read");
        assert!(registration.announced());
    }

    #[test]
    fn every_wait_on_one_id_is_woken_once_and_the_last_to_leave_clears_it() {
        let waits = Waits::default();
        let mut first = waits.register("req_1");
        let mut second = waits.register("req_1");
        assert!(!woken(&mut first) && !woken(&mut second));
        assert!(waits.announce("req_1"));
        assert!(woken(&mut first) && woken(&mut second));
        assert!(!woken(&mut first) && !woken(&mut second));
        let mut third = waits.register("req_1");
        assert!(
            woken(&mut third),
            "the decision was announced before it came"
        );
        drop((first, second));
        assert_eq!(waits.state().waiting.len(), 1);
        drop(third);
        assert!(waits.state().waiting.is_empty());
    }

    #[test]
    fn hints_wake_a_known_wait_at_most_once_an_interval_and_prove_nothing() {
        let waits = Waits::default();
        assert!(!waits.hint("req_unknown"));
        let mut registration = waits.register("req_1");
        assert!(waits.hint("req_1"));
        assert!(woken(&mut registration));
        assert!(waits.hint("req_1"));
        assert!(!woken(&mut registration), "within the interval");
        assert!(!registration.announced() && !waits.trusted());
        waits.announce("req_1");
        assert!(waits.trusted());
        waits.distrust();
        assert!(!waits.trusted());
    }

    #[test]
    fn a_polling_wait_takes_a_place_only_once_a_callback_was_handed_over() {
        let waits = Waits::default();
        assert!(waits.register_if(false, "req_1").is_none());
        assert!(waits.register_if(true, "req_1").is_some());
        assert!(!waits.hint("req_2"));
        assert!(waits.register_if(false, "req_3").is_some());
    }

    #[test]
    fn unknown_callbacks_are_remembered_within_a_bound() {
        let waits = Waits::default();
        for n in 0..EARLY_CALLBACKS + 10 {
            waits.announce(&format!("req_{n}"));
        }
        assert_eq!(waits.state().early.len(), EARLY_CALLBACKS);
        assert_eq!(
            waits.state().early.front().map(String::as_str),
            Some("req_10")
        );
    }
}
