//! The state that every route and the [`Emulator`](crate::Emulator) handle share — the store, the
//! rules and limits, callback delivery, the API key, the caps on long-lived calls — and the ways
//! a request gets decided (a limit or a rule at creation, a person, expiry, an injected fault),
//! each of which sends the request's callback.

use std::iter;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::addresses::Addresses;
use crate::callbacks::Callbacks;
use crate::caps::Cap;
use crate::errors::DecisionError;
use crate::limits::Limits;
use crate::record::{ApprovalRecord, Decision, NewRequest, Status};
use crate::rules::{self, Rules};
use crate::store::Store;

/// The emulator's shared state.
pub(crate) struct AppState {
    pub store: Arc<Store>,
    pub callbacks: Callbacks,
    pub rules: Rules,
    pub limits: Limits,
    /// The only key accepted; `None` accepts any non-empty key.
    pub api_key: Option<String>,
    /// The token the review routes require; `None` leaves them open.
    pub review_token: Option<String>,
    /// Where the emulator is reached, and the hosts and origins it accepts.
    pub addresses: Addresses,
    /// The longest a short-wait call is held for a decision.
    pub max_hold: Duration,
    /// How many short-wait calls may be held at once.
    pub held_calls: Cap,
    /// How many event streams may be open at once.
    pub event_streams: Cap,
}

impl AppState {
    /// Stores a new request from `agent`, rejected at once when it breaks a limit, decided at
    /// once when a rule applies.
    pub(crate) fn create(&self, request: NewRequest, agent: &str) -> ApprovalRecord {
        let now = SystemTime::now();
        let mut record =
            ApprovalRecord::pending(new_id(), request, now, self.store.expires_at(now));
        let limited = self
            .limits
            .check(agent, &record.action, &record.details, Instant::now());
        if let Some(decision) = limited.or_else(|| self.rules.decide(rules::risk(&record))) {
            record.apply(decision, now);
        }
        self.store.insert(record.clone());
        tracing::info!(id = %record.id, action = %record.action, status = %record.status, "request received");
        if record.status.is_decided() {
            self.send_callback(&record);
        }
        record
    }

    /// Records a person's decision on a pending request.
    pub(crate) fn decide(
        &self,
        id: &str,
        decision: Decision,
    ) -> Result<ApprovalRecord, DecisionError> {
        let record = self.store.decide(id, decision)?;
        tracing::info!(id, status = %record.status, "request decided");
        self.send_callback(&record);
        Ok(record)
    }

    /// Makes the stored request `id` say what an injected fault made its create answer say:
    /// approved or rejected by the system, as if a rule had decided at creation.
    pub(crate) fn decide_by_fault(&self, id: &str, status: Status, fault: &str) {
        let decision = Decision {
            rule_name: Some(format!("injected fault {fault}")),
            ..Decision::new(
                status,
                None,
                Some(format!("{status} by the injected fault {fault}")),
            )
        };
        match self.decide(id, decision) {
            Ok(_) => tracing::info!(id, %status, %fault, "request decided by a fault"),
            Err(error) => {
                tracing::warn!(id, %fault, %error, "a fault could not decide the request")
            }
        }
    }

    /// POSTs the decision of `record` to its callback URL, if it has one; the store keeps how the
    /// delivery ended.
    fn send_callback(&self, record: &ApprovalRecord) {
        let store = Arc::clone(&self.store);
        self.callbacks
            .send(record, move |delivery| store.note_delivery(delivery));
    }

    /// Rejects each pending request when its time is up; runs until the emulator stops.
    pub(crate) async fn expire_pending(&self) {
        let mut changes = self.store.subscribe();
        loop {
            let (expired, next_expiry) = self.store.expire_due();
            for record in &expired {
                tracing::info!(id = %record.id, "request expired");
                self.send_callback(record);
            }
            // Wake at the next expiry, or sooner when a request arrives (it may expire first).
            // `changed` cannot fail: the store, which holds the sender, outlives this loop.
            let changed = changes.changed();
            match next_expiry {
                Some(at) => {
                    let _ = tokio::time::timeout_at(at.into(), changed).await;
                }
                None => {
                    let _ = changed.await;
                }
            }
        }
    }

    /// The page where a person reviews request `id`.
    pub(crate) fn review_url(&self, id: &str) -> String {
        self.addresses.review_url(id)
    }

    /// The inbox, with the reviewer token in its query when one is set.
    pub(crate) fn inbox_url(&self) -> String {
        self.addresses.inbox_url(self.review_token.as_deref())
    }
}

/// `req_` followed by 20 random letters and digits.
fn new_id() -> String {
    let suffix: String = iter::repeat_with(fastrand::alphanumeric).take(20).collect();
    format!("req_{suffix}")
}
