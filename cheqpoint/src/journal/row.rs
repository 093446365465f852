//! One journal entry as the stores keep it: the operation it stands for, where it stands, and
//! who holds it. Every change is a compare-and-set on `version`, so two processes that read the
//! same entry cannot both move it on.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where an operation stands in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Recorded before the create is sent; no request id is known yet. `owner` is sending it
    /// (none: the last sender failed or died, and the next call sends it again, with the same
    /// `Idempotency-Key`).
    Sending,
    /// The request exists (`approval_id`); pending at the service, or approved and not yet run.
    Pending,
    /// Claimed by `owner`, whose body is running (or died running).
    Running,
    /// The body ran and its end was recorded.
    Finished,
    /// A person rejected the request: final for the key.
    Rejected,
    /// The body started and never recorded its end; the call that found it said so.
    Interrupted,
    /// Approved, but the door refused what was approved (an edit that does not fit) before
    /// anything ran: the same operation asks anew.
    Refused,
}

impl State {
    /// The name stored in the `state` column.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            State::Sending => "sending",
            State::Pending => "pending",
            State::Running => "running",
            State::Finished => "finished",
            State::Rejected => "rejected",
            State::Interrupted => "interrupted",
            State::Refused => "refused",
        }
    }

    /// Reads a stored name; `None` for anything else (a row no version of this crate wrote).
    #[cfg_attr(
        not(any(feature = "sqlite", feature = "postgres")),
        allow(dead_code, reason = "only the stores behind features read rows")
    )]
    pub(crate) fn parse(name: &str) -> Option<State> {
        [
            State::Sending,
            State::Pending,
            State::Running,
            State::Finished,
            State::Rejected,
            State::Interrupted,
            State::Refused,
        ]
        .into_iter()
        .find(|state| state.as_str() == name)
    }

    /// The states [`crate::Journal::unfinished`] lists: a request still to be decided or run.
    pub(crate) const UNFINISHED: [State; 2] = [State::Sending, State::Pending];

    /// The states retention prunes.
    pub(crate) const DONE: [State; 4] = [
        State::Finished,
        State::Rejected,
        State::Interrupted,
        State::Refused,
    ];
}

/// One entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// The identity of the operation: `key:<key>`, or `call:<action>:<digest of the details>`.
    pub operation: String,
    /// The caller's key, when it gave one.
    pub key: Option<String>,
    pub action: String,
    /// The details as sent, as JSON text.
    pub details: String,
    /// Sent as `Idempotency-Key` on every create of this operation.
    pub idempotency_key: String,
    pub approval_id: Option<String>,
    pub state: State,
    /// The process that sends or runs it (see [`Store::is_alive`](super::store::Store::is_alive)).
    pub owner: Option<String>,
    /// Bumped by every change; a change applies only to the version it read.
    pub version: i64,
    /// When the operation was first recorded, in milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// When it last changed, in milliseconds since the Unix epoch.
    pub updated_ms: i64,
}

impl Row {
    /// Whether this change must be on disk before the caller goes on. Only a claim must: it is
    /// what keeps a body from running twice. Every other change is atomic and seen at once by
    /// every process, and reaches the disk with the next claim or the database's own flush; lost
    /// in a power cut, it leaves the entry a step behind, from which the next call goes on with
    /// the same `Idempotency-Key` (a sent create then reaches the same request at a service that
    /// honours the key).
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn must_be_durable(&self) -> bool {
        self.state == State::Running
    }

    /// The entry asked anew (its request expired, or a call without a key found it ended): sent
    /// by `owner` with the next generation's `Idempotency-Key`, no request known yet.
    pub(crate) fn asked_anew(&self, owner: Option<&str>) -> Row {
        Row {
            idempotency_key: crate::identity::next_operation_key(
                &self.operation,
                &self.idempotency_key,
            ),
            approval_id: None,
            ..self.moved(State::Sending, owner)
        }
    }

    /// The same entry moved to `state`, held by `owner`, changed now.
    pub(crate) fn moved(&self, state: State, owner: Option<&str>) -> Row {
        Row {
            state,
            owner: owner.map(str::to_owned),
            version: self.version + 1,
            updated_ms: now_ms(),
            ..self.clone()
        }
    }
}

/// Now, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis().min(i64::MAX as u128) as i64)
}

/// A stored time read back.
pub(crate) fn time_of(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_name() {
        for state in State::UNFINISHED.into_iter().chain(State::DONE) {
            assert_eq!(State::parse(state.as_str()), Some(state));
        }
        assert_eq!(State::parse(State::Running.as_str()), Some(State::Running));
        assert_eq!(State::parse("RUNNING"), None);
    }
}
