//! The operations that wait for a person: checkpoint, guard, wait, and the short-wait endpoint.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    Approval, ApprovalRequest, Approved, Client, Decision, Error, Status,
    client::after,
    http::FailureKind,
    json_eq::same_json,
    observe::{self, CallSpan},
};

/// The longest the service holds a short-wait request open.
pub(crate) const MAX_SERVER_WAIT: Duration = Duration::from_secs(10);

/// How a wait ended when no error stopped it.
enum Waited {
    Decided(Box<Approval>),
    StillPending,
}

impl Client {
    /// Asks for approval and waits for the decision, up to the request's timeout or the client's.
    ///
    /// `Ok` only when the service reports the request approved; a rejection, a timeout and every
    /// failure are `Err`. When the service reports `details` other than those sent, the approval
    /// is not for this call: [`Error::DetailsMismatch`].
    pub async fn checkpoint(&self, request: ApprovalRequest) -> Result<Approved, Error> {
        let timeout = request.timeout.unwrap_or(self.inner.timeout);
        let started = Instant::now();
        let span = CallSpan::request("checkpoint", &request);
        let outcome = span
            .run(async {
                let created = self.create(&request, after(started, timeout)).await?;
                span.created(&created.id);
                observe::awaiting(&created.id, None);
                // With push, a pending request is not read again until a callback or the safety
                // net says so; a rule's decision at creation is read at once.
                let read_first = !self.inner.push || created.status != Status::Pending;
                let sent = Some(&request.details);
                self.wait_until(&created.id, started, timeout, sent, read_first)
                    .await
            })
            .await;
        span.finish(&outcome, started.elapsed());
        outcome
    }

    /// Runs `run` with the approval only when the request is approved; otherwise returns the
    /// reason and `run` never starts.
    pub async fn guard<F, Fut, T>(&self, request: ApprovalRequest, run: F) -> Result<T, Error>
    where
        F: FnOnce(Approved) -> Fut,
        Fut: Future<Output = T>,
    {
        let approved = self.checkpoint(request).await?;
        Ok(run(approved).await)
    }

    /// Resumes waiting on a request created earlier (for example by [`Client::create_request`]
    /// before a restart), up to `timeout`.
    pub async fn wait(&self, approval_id: &str, timeout: Duration) -> Result<Approved, Error> {
        let started = Instant::now();
        let span = CallSpan::resume(approval_id);
        let outcome = span
            .run(async {
                observe::awaiting(approval_id, None);
                self.wait_until(approval_id, started, timeout, None, true)
                    .await
            })
            .await;
        span.finish(&outcome, started.elapsed());
        outcome
    }

    /// Asks through the short-wait endpoint: the service holds the call up to 10 s, then this
    /// polls until `timeout`. Pending at the end is a [`Decision`], not an error.
    pub async fn request_sync(
        &self,
        request: ApprovalRequest,
        timeout: Duration,
    ) -> Result<Decision, Error> {
        let started = Instant::now();
        let span = CallSpan::request("request_sync", &request);
        let outcome = span
            .run(async {
                let decision = self
                    .post_inbound(
                        &request,
                        Some(timeout.min(MAX_SERVER_WAIT)),
                        after(started, timeout),
                    )
                    .await?;
                if decision.status != Status::Pending || started.elapsed() >= timeout {
                    return Ok(decision);
                }
                span.created(&decision.approval_id);
                observe::awaiting(&decision.approval_id, decision.review_url.as_deref());
                // The service just answered "pending": with push, the next read waits for a
                // callback or the safety net.
                match self
                    .poll(
                        &decision.approval_id,
                        after(started, timeout),
                        !self.inner.push,
                    )
                    .await?
                {
                    Waited::Decided(approval) => {
                        Ok(Decision::from_record(*approval, decision.review_url))
                    }
                    Waited::StillPending => Ok(decision),
                }
            })
            .await;
        span.finish(&outcome, started.elapsed());
        outcome
    }

    /// Asks through the short-wait endpoint and returns at once with the decision so far
    /// (decided already only when a workspace rule decided). Set
    /// [`ApprovalRequest::callback_url`] to be told of the decision.
    pub async fn request_async(&self, request: ApprovalRequest) -> Result<Decision, Error> {
        self.post_inbound(&request, None, after(Instant::now(), self.inner.timeout))
            .await
    }

    async fn wait_until(
        &self,
        approval_id: &str,
        started: Instant,
        timeout: Duration,
        sent: Option<&Value>,
        read_first: bool,
    ) -> Result<Approved, Error> {
        match self
            .poll(approval_id, after(started, timeout), read_first)
            .await?
        {
            Waited::Decided(approval) if approval.status == Status::Approved => {
                if let (Some(sent), Some(held)) = (sent, &approval.details)
                    && !same_json(sent, held)
                {
                    return Err(Error::DetailsMismatch {
                        approval_id: approval.id,
                    });
                }
                Ok(Approved::from_record(*approval, sent))
            }
            Waited::Decided(approval) => Err(approval.rejection()),
            Waited::StillPending => Err(Error::Timeout {
                approval_id: approval_id.to_owned(),
                waited: started.elapsed(),
            }),
        }
    }

    /// Reads the status (at once when `read_first`, else after the first gap), then on the poll
    /// schedule, until it is decided or `deadline` passes. A verified callback for the request
    /// ([`Client::deliver`], or the built-in listener) cuts the current gap short. Transient
    /// failures (resets, 5xx, 429) are ridden out with backoff; the last one is returned if the
    /// deadline comes first, or at once when the server's `Retry-After` reaches past the
    /// deadline. No pause runs past the deadline, and the read made there may take at most
    /// [`last_read_grace`](Client::last_read_grace) more, so a wait never overruns its timeout by
    /// more than that. A dropped future stops reading at once: nothing runs in the background.
    async fn poll(
        &self,
        approval_id: &str,
        deadline: Instant,
        read_first: bool,
    ) -> Result<Waited, Error> {
        let read_limit = after(deadline, self.last_read_grace());
        let registration = self.inner.waits.register(approval_id);
        let mut gaps = self.inner.poll.gaps();
        let mut pause = if read_first { None } else { gaps.next() };
        let mut failures = 0;
        let mut last_error = None;
        let polling_since = Instant::now();
        let mut next_progress = after(polling_since, self.inner.progress_interval);
        loop {
            if let Some(pause) = pause {
                let now = Instant::now();
                if now >= deadline {
                    return out_of_time(last_error, approval_id);
                }
                if now >= next_progress {
                    observe::still_awaiting(approval_id, now - polling_since);
                    next_progress = now + self.inner.progress_interval;
                }
                // Woken early by a callback, or at the end of the gap.
                let _ =
                    tokio::time::timeout(pause.min(deadline - now), registration.woken.notified())
                        .await;
            }
            let Ok(read) = tokio::time::timeout_at(read_limit.into(), self.read(approval_id)).await
            else {
                return out_of_time(last_error, approval_id);
            };
            pause = Some(match read {
                Ok(approval) if approval.status != Status::Pending => {
                    return Ok(Waited::Decided(Box::new(approval)));
                }
                Ok(_) => {
                    failures = 0;
                    last_error = None;
                    gaps.next().unwrap_or(Duration::from_secs(3))
                }
                Err(failure) if failure.kind == FailureKind::Permanent => {
                    return Err(failure.error.with_approval_id(approval_id));
                }
                Err(failure) => {
                    let remaining = deadline.saturating_duration_since(Instant::now());
                    if failure.retry_after.is_some_and(|after| after >= remaining) {
                        // The server asks not to be asked again before the deadline.
                        return Err(failure.error.with_approval_id(approval_id));
                    }
                    failures += 1;
                    let delay = self.inner.backoff.delay(failures - 1, failure.retry_after);
                    observe::retrying("status read", &failure.error, delay);
                    last_error = Some(failure.error);
                    delay
                }
            });
        }
    }
}

/// How a wait ends at its deadline: the last failure when the last read failed, else pending.
fn out_of_time(last_error: Option<Error>, approval_id: &str) -> Result<Waited, Error> {
    match last_error {
        Some(error) => Err(error.with_approval_id(approval_id)),
        None => Ok(Waited::StillPending),
    }
}
