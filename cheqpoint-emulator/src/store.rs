//! The requests received, in arrival order, and every change to them: insertion, decisions,
//! expiry and callback deliveries. Each change is announced on a watch channel, which is what
//! waiters (held inbound calls, `next_pending`, the expiry timer, event streams) sleep on.
//!
//! Pending requests wait for their expiry in a queue ordered by time, so that expiring is not a
//! scan of every request: each change looks at the head of the queue only.
//!
//! The store keeps every request until a restart, decided ones included, with no cap: the
//! emulator serves tests and local runs, and what it holds grows with the requests created, not
//! with polling (reads change nothing here).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use crate::errors::DecisionError;
use crate::record::CallbackDelivery;
use crate::record::{ApprovalRecord, Decision, Status};

/// The emulator's requests.
pub(crate) struct Store {
    state: Mutex<State>,
    /// Bumped after every change; receivers wake on it.
    changed: watch::Sender<()>,
    /// How long a request may stay pending.
    expiry: Duration,
}

#[derive(Default)]
struct State {
    /// Every request, in arrival order.
    entries: Vec<ApprovalRecord>,
    /// When each request that was pending when stored expires, with its position in `entries`,
    /// soonest first; decided ones are dropped when they reach the head.
    expiries: BinaryHeap<Reverse<(Instant, usize)>>,
    /// Position of each id in `entries`.
    positions: HashMap<String, usize>,
    /// Ids that `next_pending` has returned.
    handed_out: HashSet<String>,
    /// How many requests were ever inserted, those forgotten by [`Store::clear`] included.
    created: usize,
}

impl Store {
    pub(crate) fn new(expiry: Duration) -> Self {
        Store {
            state: Mutex::default(),
            changed: watch::Sender::new(()),
            expiry,
        }
    }

    /// A receiver that wakes after every change made from now on.
    pub(crate) fn subscribe(&self) -> watch::Receiver<()> {
        self.changed.subscribe()
    }

    /// When a request created now expires; `None` when that is too far ahead to represent.
    pub(crate) fn expires_at(&self, now: SystemTime) -> Option<SystemTime> {
        now.checked_add(self.expiry)
    }

    pub(crate) fn insert(&self, record: ApprovalRecord) {
        let expires_at = Instant::now().checked_add(self.expiry);
        let mut state = self.lock();
        let position = state.entries.len();
        state.positions.insert(record.id.clone(), position);
        if let (Some(at), Status::Pending) = (expires_at, record.status) {
            state.expiries.push(Reverse((at, position)));
        }
        state.entries.push(record);
        state.created += 1;
        drop(state);
        self.changed.send_replace(());
    }

    /// How many requests were ever stored, including those a restart forgot.
    pub(crate) fn created_count(&self) -> usize {
        self.lock().created
    }

    /// Forgets every request, as a restarted server with no storage would.
    pub(crate) fn clear(&self) {
        let mut state = self.lock();
        let created = state.created;
        *state = State {
            created,
            ..State::default()
        };
        drop(state);
        self.changed.send_replace(());
    }

    pub(crate) fn get(&self, id: &str) -> Option<ApprovalRecord> {
        let state = self.lock();
        state
            .positions
            .get(id)
            .map(|&position| state.entries[position].clone())
    }

    /// Every request, in arrival order.
    pub(crate) fn all(&self) -> Vec<ApprovalRecord> {
        self.lock().entries.clone()
    }

    /// At most `limit` requests with status `wanted` (any, when `None`), newest first, from those
    /// that arrived before request `before` (from the newest, when `None`).
    pub(crate) fn page(
        &self,
        wanted: Option<Status>,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ApprovalRecord>, DecisionError> {
        let state = self.lock();
        let end = match before {
            Some(id) => *state
                .positions
                .get(id)
                .ok_or_else(|| DecisionError::NotFound(id.to_owned()))?,
            None => state.entries.len(),
        };
        Ok(state.entries[..end]
            .iter()
            .rev()
            .filter(|record| wanted.is_none_or(|status| record.status == status))
            .take(limit)
            .cloned()
            .collect())
    }

    /// Keeps how the delivery of request `id`'s decision ended (nothing, when a restart forgot
    /// the request).
    pub(crate) fn note_delivery(&self, delivery: &CallbackDelivery) {
        let mut state = self.lock();
        let Some(&position) = state.positions.get(&delivery.approval_id) else {
            return;
        };
        state.entries[position].callback_delivery = Some(delivery.clone());
        drop(state);
        self.changed.send_replace(());
    }

    /// Records `decision` on the pending request `id`.
    pub(crate) fn decide(
        &self,
        id: &str,
        decision: Decision,
    ) -> Result<ApprovalRecord, DecisionError> {
        if decision
            .modified_details
            .as_ref()
            .is_some_and(|details| !details.is_object())
        {
            return Err(DecisionError::InvalidModifiedDetails);
        }
        let mut state = self.lock();
        let position = *state
            .positions
            .get(id)
            .ok_or_else(|| DecisionError::NotFound(id.to_owned()))?;
        let record = &mut state.entries[position];
        if record.status.is_decided() {
            return Err(DecisionError::AlreadyDecided {
                id: id.to_owned(),
                status: record.status,
            });
        }
        record.apply(decision, SystemTime::now());
        let decided = record.clone();
        drop(state);
        self.changed.send_replace(());
        Ok(decided)
    }

    /// Rejects every pending request whose time is up. Returns those it rejected, and when the
    /// next pending request will expire. Looks only at the head of the expiry queue.
    pub(crate) fn expire_due(&self) -> (Vec<ApprovalRecord>, Option<Instant>) {
        let now = Instant::now();
        let mut expired = Vec::new();
        let mut state = self.lock();
        let State {
            entries, expiries, ..
        } = &mut *state;
        let next_expiry = loop {
            let Some(&Reverse((at, position))) = expiries.peek() else {
                break None;
            };
            let record = &mut entries[position];
            if record.status == Status::Pending && at > now {
                break Some(at);
            }
            expiries.pop();
            if record.status == Status::Pending {
                record.apply(self.expiry_decision(), SystemTime::now());
                expired.push(record.clone());
            }
        };
        drop(state);
        if !expired.is_empty() {
            self.changed.send_replace(());
        }
        (expired, next_expiry)
    }

    /// The system's rejection of a request nobody decided in time.
    fn expiry_decision(&self) -> Decision {
        Decision {
            reason_code: Some("expired".to_owned()),
            retryable: true,
            ..Decision::new(
                Status::Rejected,
                None,
                Some(format!(
                    "expired: no decision within {}",
                    humantime::format_duration(self.expiry)
                )),
            )
        }
    }

    /// The oldest pending request not returned by an earlier call, waiting for one to arrive.
    pub(crate) async fn next_pending(&self) -> ApprovalRecord {
        let mut changes = self.subscribe();
        loop {
            if let Some(record) = self.hand_out_pending() {
                return record;
            }
            // Only fails once the sender is dropped, which cannot happen while `self` is borrowed.
            let _ = changes.changed().await;
        }
    }

    fn hand_out_pending(&self) -> Option<ApprovalRecord> {
        let mut state = self.lock();
        let State {
            entries,
            handed_out,
            ..
        } = &mut *state;
        let record = entries
            .iter()
            .find(|record| record.status == Status::Pending && !handed_out.contains(&record.id))?;
        handed_out.insert(record.id.clone());
        Some(record.clone())
    }

    /// Waits up to `limit` for request `id` to be decided; returns it as it then stands.
    pub(crate) async fn wait_for_decision(
        &self,
        id: &str,
        limit: Duration,
    ) -> Option<ApprovalRecord> {
        let decided = async {
            let mut changes = self.subscribe();
            while self
                .get(id)
                .is_some_and(|record| record.status == Status::Pending)
            {
                // As in `next_pending`, this cannot fail while `self` is borrowed.
                let _ = changes.changed().await;
            }
        };
        // Running out of time is an answer too: the request is still pending.
        let _ = tokio::time::timeout(limit, decided).await;
        self.get(id)
    }

    /// The state, also after a panic elsewhere poisoned the lock (no update is left half done).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
