//! The state machine of a checkpoint with a journal (the table in [`Journal`]'s docs): find the
//! operation's entry, and from where it stands send, re-attach, claim, or refuse. Every move is
//! a compare-and-set on the entry, so when two processes race for one step exactly one makes it
//! and the other looks again. The create and the wait are the asking step's ([`Ask`]), the same
//! a call without a journal takes.

use std::time::{Duration, Instant};

use super::{
    events::{Event, report},
    handle::Journal,
    row::{Row, State, now_ms, time_of},
    run::Run,
    store::{StoreError, failed},
};
use crate::{
    Approved, Error, Status,
    ask::{Ask, Sent},
    identity,
    transport::after,
};

/// How often a call whose create another live process is sending looks for its id.
const SENDER_POLL: Duration = Duration::from_millis(50);

/// One checkpoint going through the journal.
pub(crate) struct Flow<'a> {
    pub(crate) ask: Ask<'a>,
    pub(crate) journal: &'a Journal,
}

/// What a step did: the call ended, or the entry moved under it and it looks again.
type Step = Result<Option<(Approved, Run)>, Error>;

impl Flow<'_> {
    /// Asks for approval of the request's operation unless the journal says it is asked, done,
    /// refused or running already; on approval, claims the run.
    pub(crate) async fn checkpoint(&self) -> Result<(Approved, Run), Error> {
        let request = self.ask.request;
        request.validate()?;
        let operation = identity::operation(
            request.key.as_deref(),
            request.scope.as_deref(),
            &request.action,
            &request.details,
        );
        loop {
            // A new operation is recorded in one write; only one the journal holds is read.
            let step = match self.record(&operation).await? {
                Some(recorded) => self.send(recorded, None).await,
                None => match self.store(self.journal.store().get(&operation)).await? {
                    Some(row) => self.resume(row).await,
                    None => Ok(None),
                },
            };
            if let Some(done) = step? {
                return Ok(done);
            }
        }
    }

    /// Records `operation` as being sent by this process, unless the journal holds it already;
    /// the entry when recorded.
    async fn record(&self, operation: &str) -> Result<Option<Row>, Error> {
        let now = now_ms();
        let request = self.ask.request;
        let row = Row {
            operation: operation.to_owned(),
            key: request.key.clone(),
            action: request.action.clone(),
            details: request.details.to_string(),
            idempotency_key: identity::operation_key(operation, 0),
            approval_id: None,
            state: State::Sending,
            owner: Some(self.journal.store().owner().to_owned()),
            version: 0,
            created_ms: now,
            updated_ms: now,
        };
        let recorded = self.store(self.journal.store().insert(&row)).await?;
        Ok(recorded.then_some(row))
    }

    /// Goes on from an entry found in the journal.
    async fn resume(&self, row: Row) -> Step {
        let key = row.key.as_deref();
        match row.state {
            State::Sending => match &row.owner {
                Some(owner) if self.store(self.journal.store().is_alive(owner)).await? => {
                    self.await_sender(&row).await
                }
                _ => {
                    let taken = row.moved(State::Sending, Some(self.journal.store().owner()));
                    if !self.store(self.journal.store().update(&taken)).await? {
                        return Ok(None);
                    }
                    report(Event::Resent, key, None);
                    self.send(taken, None).await
                }
            },
            State::Pending => {
                report(Event::Reattached, key, row.approval_id.as_deref());
                let Some(approval_id) = row.approval_id.clone() else {
                    return Err(failed(
                        "read the journal",
                        "a pending entry has no request id".into(),
                    ));
                };
                self.wait_and_claim(row, Sent::earlier(approval_id)).await
            }
            State::Running => match &row.owner {
                Some(owner) if self.store(self.journal.store().is_alive(owner)).await? => {
                    Err(Error::InProgress {
                        key: row.key.clone(),
                        approval_id: row.approval_id.clone(),
                    })
                }
                _ => self.report_interrupted(row).await,
            },
            State::Interrupted if row.key.is_some() => Err(interrupted(&row)),
            State::Finished if row.key.is_some() => {
                report(Event::AlreadyDone, key, row.approval_id.as_deref());
                Err(Error::AlreadyDone {
                    key: row.key.clone().unwrap_or_default(),
                    approval_id: row.approval_id.clone().unwrap_or_default(),
                    finished_at: time_of(row.updated_ms),
                })
            }
            State::Rejected if row.key.is_some() => Err(self.rejection_again(&row).await),
            // A call without a key never takes an ended operation as a reason to refuse: it
            // asks anew, a generation later, telling the reviewer what became of it before. An
            // approval refused before it ran asks anew whatever names the operation.
            State::Finished | State::Rejected | State::Interrupted | State::Refused => {
                let taken = row.asked_anew(Some(self.journal.store().owner()));
                if !self.store(self.journal.store().update(&taken)).await? {
                    return Ok(None);
                }
                self.send(taken, Some(&asked_before(&row))).await
            }
        }
    }

    /// Waits while another live process sends the create, until its id is recorded (or that
    /// process dies, and this call sends it again). Past the call's timeout: in progress.
    async fn await_sender(&self, row: &Row) -> Step {
        let deadline = after(self.ask.started, self.ask.timeout);
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::InProgress {
                key: row.key.clone(),
                approval_id: None,
            });
        }
        tokio::time::sleep(SENDER_POLL.min(deadline - now)).await;
        Ok(None)
    }

    /// Sends the create of `row` (held by this process), records its id, and waits. `earlier`
    /// tells the reviewer what became of the same operation asked before.
    async fn send(&self, row: Row, earlier: Option<&str>) -> Step {
        let sent = match self.ask.create(Some(&row.idempotency_key), earlier).await {
            Ok(sent) => sent,
            Err(error) => {
                // The service may have the request: the entry stays, let go, so that the next
                // call sends it again with the same Idempotency-Key.
                let released = row.moved(State::Sending, None);
                let _ = self.journal.store().update(&released).await;
                return Err(error);
            }
        };
        if sent.decided() {
            // Decided at creation (a workspace rule): the id is recorded with the claim or the
            // rejection, one write instead of two. Should the wait fail, it is recorded first.
            let approval_id = sent.approval_id().to_owned();
            let decided = Row {
                approval_id: Some(approval_id.clone()),
                ..row
            };
            return match self.wait_and_claim(decided.clone(), sent).await {
                Err(error) if !matches!(error, Error::Rejected { .. }) => {
                    self.record_pending(decided, &approval_id).await?;
                    Err(error)
                }
                step => step,
            };
        }
        let pending = self.record_pending(row, sent.approval_id()).await?;
        self.wait_and_claim(pending, sent).await
    }

    /// Records `approval_id` as the request of `row`, pending.
    async fn record_pending(&self, row: Row, approval_id: &str) -> Result<Row, Error> {
        let pending = Row {
            approval_id: Some(approval_id.to_owned()),
            ..row.moved(State::Pending, None)
        };
        if !self.store(self.journal.store().update(&pending)).await? {
            return Err(Error::Journal {
                message: format!("could not record request {approval_id}"),
                source: "the journal entry was changed by another process".into(),
            });
        }
        Ok(pending)
    }

    /// Waits for the decision on `sent`, the request of `row`; on approval claims the run, on a
    /// rejection records it.
    async fn wait_and_claim(&self, row: Row, sent: Sent) -> Step {
        let waited = self.ask.wait(&sent).await;
        let approval_id = sent.approval_id();
        match waited {
            Ok(approved) => {
                report(Event::Claiming, row.key.as_deref(), Some(approval_id));
                let claimed = row.moved(State::Running, Some(self.journal.store().owner()));
                if !self.store(self.journal.store().update(&claimed)).await? {
                    return Ok(None);
                }
                report(Event::Claimed, row.key.as_deref(), Some(approval_id));
                Ok(Some((
                    approved,
                    Run::claimed(self.journal.clone(), claimed),
                )))
            }
            Err(error @ Error::Rejected { retryable, .. }) => {
                // Rejected by a person: final for a key (a call without one asks anew next
                // time). Rejected by the system (expired, a rate limit): the next call asks
                // anew, with a new `Idempotency-Key`.
                let next = if retryable && row.key.is_some() {
                    row.asked_anew(None)
                } else {
                    row.moved(State::Rejected, None)
                };
                self.store(self.journal.store().update(&next)).await?;
                Err(error)
            }
            Err(error) => Err(error),
        }
    }

    /// Records that the run of `row`, whose holder is dead, never ended, and says so. A call
    /// without a key says it once; the next one asks anew.
    async fn report_interrupted(&self, row: Row) -> Step {
        let interrupted_row = row.moved(State::Interrupted, None);
        if !self
            .store(self.journal.store().update(&interrupted_row))
            .await?
        {
            return Ok(None);
        }
        Err(interrupted(&row))
    }

    /// The rejection a person gave the operation's request, read again from the service.
    async fn rejection_again(&self, row: &Row) -> Error {
        let approval_id = row.approval_id.clone().unwrap_or_default();
        match self.ask.record(&approval_id).await {
            Ok(record) if record.status == Status::Rejected => record.rejection(),
            Ok(_) => Error::Rejected {
                approval_id,
                note: None,
                reason_code: None,
                auto_decided: false,
                rule_name: None,
                retryable: false,
            },
            Err(error) => error,
        }
    }

    /// A store's answer, its failure made the error that fails the call closed.
    async fn store<T>(
        &self,
        answer: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, Error> {
        answer
            .await
            .map_err(|error| failed("read or write the journal", error))
    }
}

/// What became of an ended operation, for the reviewer of its next request: "Asked before:
/// rejected 12 min ago (req_…); this is a new request."
fn asked_before(row: &Row) -> String {
    let what = match row.state {
        State::Finished => "approved and ran",
        State::Rejected => "rejected",
        State::Interrupted => "approved, and its run was interrupted",
        State::Refused => "approved with an edit that could not be used, so it did not run",
        State::Sending | State::Pending | State::Running => "asked",
    };
    let ago = Duration::from_secs(
        u64::try_from(now_ms().saturating_sub(row.updated_ms) / 1000).unwrap_or_default(),
    );
    let request = row
        .approval_id
        .as_deref()
        .map(|id| format!(" (request {id})"))
        .unwrap_or_default();
    format!(
        "Asked before: {what} {} ago{request}. This is a new request for the same call.",
        humantime::format_duration(ago)
    )
}

/// The error of an interrupted run, with its event.
fn interrupted(row: &Row) -> Error {
    report(
        Event::Interrupted,
        row.key.as_deref(),
        row.approval_id.as_deref(),
    );
    Error::Interrupted {
        key: row.key.clone(),
        approval_id: row.approval_id.clone().unwrap_or_default(),
        started_at: time_of(row.updated_ms),
    }
}
