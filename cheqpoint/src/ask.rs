//! Asking for one approval: the create, sent with the call's `Idempotency-Key`, then the wait
//! for its decision. The one step a checkpoint takes, with a journal (which records the id in
//! between, and re-attaches to an id it holds) or without. It calls the transport and the wait
//! loop below it; the client and the journal call it.

use std::time::{Duration, Instant};

use serde_json::value::RawValue;

use crate::{
    Approval, ApprovalRequest, Approved, Created, Error, Status,
    observe::{self, CallSpan},
    request::CreateBody,
    transport::{Transport, Turn, after},
    wait::{SentDetails, Waiter},
};

/// One checkpoint's request on its way to a decision.
pub(crate) struct Ask<'a> {
    pub(crate) waiter: Waiter<'a>,
    pub(crate) request: &'a ApprovalRequest,
    /// Where the service is to POST the decision, unless the request names its own.
    pub(crate) callback_url: Option<&'a str>,
    pub(crate) span: &'a CallSpan,
    pub(crate) started: Instant,
    pub(crate) timeout: Duration,
    /// The request's details as their JSON text, sent and compared in place of its own when
    /// given (the caller then holds no tree through the wait).
    pub(crate) details_text: Option<&'a RawValue>,
}

/// A request the service holds, and whether its wait reads it at once.
pub(crate) struct Sent {
    approval_id: String,
    read_first: bool,
    /// Decided when it was created (a workspace rule).
    decided: bool,
}

impl Sent {
    /// A request created earlier (its id from a journal): read at once.
    pub(crate) fn earlier(approval_id: String) -> Sent {
        Sent {
            approval_id,
            read_first: true,
            decided: false,
        }
    }

    /// True when the request was decided as it was created (by a workspace rule).
    pub(crate) fn decided(&self) -> bool {
        self.decided
    }

    /// The request's id.
    pub(crate) fn approval_id(&self) -> &str {
        &self.approval_id
    }
}

impl Ask<'_> {
    /// Sends the create with `idempotency_key` (else the request's own), re-sent only where the
    /// service cannot have seen it.
    /// `earlier` says what became of the same call asked before, for the reviewer.
    pub(crate) async fn create(
        &self,
        idempotency_key: Option<&str>,
        earlier: Option<&str>,
    ) -> Result<Sent, Error> {
        let deadline = after(self.started, self.timeout);
        let transport = self.waiter.transport();
        // The turn first, then the create's state, boxed: thousands of calls waiting for a turn
        // hold none of it, and it is freed before the wait, which may be long.
        let turn = transport
            .short_turn(after(deadline, transport.last_read_grace()))
            .await?;
        let body = self
            .request
            .create_body(self.callback_url, earlier, self.details_text);
        let created = Box::pin(create(
            transport,
            self.request,
            &body,
            idempotency_key,
            Some(turn),
            deadline,
        ))
        .await?;
        Ok(Sent {
            read_first: self.waiter.reads_first(created.status),
            decided: created.status != Status::Pending,
            approval_id: created.id,
        })
    }

    /// Waits for the decision on `sent`: `Ok` only for an approval of the details sent.
    pub(crate) async fn wait(&self, sent: &Sent) -> Result<Approved, Error> {
        let details = match self.details_text {
            Some(text) => SentDetails::Text(text.get()),
            None => SentDetails::Tree(&self.request.details),
        };
        if let Some(watch) = &self.request.watch {
            watch.saw(&sent.approval_id);
        }
        self.span.created(&sent.approval_id);
        observe::awaiting(&sent.approval_id, None);
        self.waiter
            .until_decided(
                &sent.approval_id,
                self.started,
                self.timeout,
                details,
                sent.read_first,
            )
            .await
    }

    /// The record of `approval_id`, read once.
    pub(crate) async fn record(&self, approval_id: &str) -> Result<Approval, Error> {
        read_once(self.waiter.transport(), approval_id).await
    }
}

/// Creates `request` (`POST /api/approvals/request`), sending `body` (its wire form), giving up
/// on sending again at `deadline`; in `turn` when one was taken.
pub(crate) async fn create(
    transport: &Transport,
    request: &ApprovalRequest,
    body: &CreateBody<'_>,
    idempotency_key: Option<&str>,
    turn: Option<Turn<'_>>,
    deadline: Instant,
) -> Result<Created, Error> {
    request.validate()?;
    let key = idempotency_key
        .map(str::to_owned)
        .or_else(|| request.idempotency_header());
    let body = transport
        .post_creating(
            &["api", "approvals", "request"],
            body,
            key.as_deref(),
            None,
            turn,
            deadline,
        )
        .await?;
    Created::from_body(&body)
}

/// Reads `approval_id` once, within the transport's HTTP timeout.
pub(crate) async fn read_once(transport: &Transport, approval_id: &str) -> Result<Approval, Error> {
    transport
        .read(approval_id, after(Instant::now(), transport.http_timeout()))
        .await
        .map_err(|failure| failure.error.with_approval_id(approval_id))
}
