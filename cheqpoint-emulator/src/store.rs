//! The requests received, in arrival order, and every change to them: insertion, decisions and
//! expiry. Each change is announced on a watch channel, which is what waiters (held inbound
//! calls, `next_pending`, the expiry timer) sleep on.
//!
//! The store keeps every request until a restart, decided ones included, with no cap: the
//! emulator serves tests and local runs, and what it holds grows with the requests created, not
//! with polling (reads change nothing here).

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use crate::errors::DecisionError;
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
    entries: Vec<Entry>,
    /// Position of each id in `entries`.
    positions: HashMap<String, usize>,
    /// Ids that `next_pending` has returned.
    handed_out: HashSet<String>,
    /// How many requests were ever inserted, those forgotten by [`Store::clear`] included.
    created: usize,
}

struct Entry {
    record: ApprovalRecord,
    /// When a still pending request expires; `None` when the expiry is too far to represent.
    expires_at: Option<Instant>,
}

impl Store {
    pub fn new(expiry: Duration) -> Self {
        Store {
            state: Mutex::default(),
            changed: watch::Sender::new(()),
            expiry,
        }
    }

    /// A receiver that wakes after every change made from now on.
    pub fn subscribe(&self) -> watch::Receiver<()> {
        self.changed.subscribe()
    }

    pub fn insert(&self, record: ApprovalRecord) {
        let expires_at = Instant::now().checked_add(self.expiry);
        let mut state = self.lock();
        let position = state.entries.len();
        state.positions.insert(record.id.clone(), position);
        state.entries.push(Entry { record, expires_at });
        state.created += 1;
        drop(state);
        self.changed.send_replace(());
    }

    /// How many requests were ever stored, including those a restart forgot.
    pub fn created_count(&self) -> usize {
        self.lock().created
    }

    /// Forgets every request, as a restarted server with no storage would.
    pub fn clear(&self) {
        let mut state = self.lock();
        let created = state.created;
        *state = State {
            created,
            ..State::default()
        };
        drop(state);
        self.changed.send_replace(());
    }

    pub fn get(&self, id: &str) -> Option<ApprovalRecord> {
        let state = self.lock();
        state
            .positions
            .get(id)
            .map(|&position| state.entries[position].record.clone())
    }

    /// Every request, in arrival order.
    pub fn all(&self) -> Vec<ApprovalRecord> {
        self.lock()
            .entries
            .iter()
            .map(|entry| entry.record.clone())
            .collect()
    }

    /// Records `decision` on the pending request `id`.
    pub fn decide(&self, id: &str, decision: Decision) -> Result<ApprovalRecord, DecisionError> {
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
        let record = &mut state.entries[position].record;
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
    /// next pending request will expire.
    pub fn expire_due(&self) -> (Vec<ApprovalRecord>, Option<Instant>) {
        let now = Instant::now();
        let mut expired = Vec::new();
        let mut next_expiry: Option<Instant> = None;
        let mut state = self.lock();
        for entry in &mut state.entries {
            let Some(expires_at) = entry.expires_at else {
                continue;
            };
            if entry.record.status.is_decided() {
                continue;
            }
            if expires_at <= now {
                entry
                    .record
                    .apply(self.expiry_decision(), SystemTime::now());
                expired.push(entry.record.clone());
            } else {
                next_expiry = Some(next_expiry.map_or(expires_at, |next| next.min(expires_at)));
            }
        }
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
    pub async fn next_pending(&self) -> ApprovalRecord {
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
            .map(|entry| &entry.record)
            .find(|record| record.status == Status::Pending && !handed_out.contains(&record.id))?;
        handed_out.insert(record.id.clone());
        Some(record.clone())
    }

    /// Waits up to `limit` for request `id` to be decided; returns it as it then stands.
    pub async fn wait_for_decision(&self, id: &str, limit: Duration) -> Option<ApprovalRecord> {
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
