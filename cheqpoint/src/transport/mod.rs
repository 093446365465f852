//! Transport: the client's HTTP exchanges with the service, each waiting for a turn among
//! [`max_concurrent_requests`](crate::ClientBuilder::max_concurrent_requests), and the creates'
//! re-sending under the retry policy ([`retry`]).

mod exchange;
pub(crate) mod retry;

use std::time::{Duration, Instant};

use reqwest::Method;
use serde::Serialize;

pub(crate) use exchange::{Failure, invalid_response};

use crate::{Approval, Client, Error, observe, transport::retry::FailureKind};

/// The header that carries one key per logical create, the same on every re-send.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Which turns an exchange waits for: short exchanges (creates, reads) and calls the service
/// holds open (a short wait, up to 10 s) have turns of their own, so held calls never starve
/// reads.
#[derive(Clone, Copy)]
pub(crate) enum Lane {
    Short,
    Held,
}

impl Client {
    /// One read of a record, with the failure's kind for the wait loop; a turn to send it must
    /// come before `deadline`.
    pub(crate) async fn read(
        &self,
        approval_id: &str,
        deadline: Instant,
    ) -> Result<Approval, Failure> {
        let request = self.request(Method::GET, &["api", "approvals", approval_id]);
        let body = self.send(request, Lane::Short, deadline).await?;
        Approval::from_body(&body, approval_id).map_err(|error| Failure {
            error,
            kind: FailureKind::Permanent,
            retry_after: None,
        })
    }

    /// POSTs a body that creates something. It is sent again only when the server cannot have
    /// processed it ([`retry::may_resend_create`]), so one call never makes two requests; and only
    /// while there is time before `deadline`, which also bounds each attempt (with
    /// [`last_read_grace`](Client::last_read_grace)). A server that asks to wait past the deadline
    /// (`Retry-After`) gets the failure returned at once. Every attempt carries the same
    /// `Idempotency-Key`: `idempotency_key` when given (a journal's, or one made from the
    /// request's key), else one made for this call.
    pub(crate) async fn post_creating(
        &self,
        path: &[&str],
        body: &impl Serialize,
        idempotency_key: Option<&str>,
        held: Option<Duration>,
        deadline: Instant,
    ) -> Result<Vec<u8>, Error> {
        let limit = after(deadline, self.last_read_grace());
        let lane = if held.is_some() {
            Lane::Held
        } else {
            Lane::Short
        };
        let idempotency_key = idempotency_key
            .map_or_else(|| format!("cq-{:032x}", fastrand::u128(..)), str::to_owned);
        let mut attempt = 0;
        loop {
            let time_left = limit.saturating_duration_since(Instant::now());
            let exchange_time = self.inner.settings.http_timeout + held.unwrap_or_default();
            let request = self
                .request(Method::POST, path)
                .header(IDEMPOTENCY_KEY, &idempotency_key)
                .timeout(exchange_time.min(time_left))
                .json(body);
            let failure = match self.send(request, lane, limit).await {
                Ok(body) => return Ok(body),
                Err(failure) => failure,
            };
            if !retry::may_resend_create(failure.kind) {
                return Err(not_sent_again(failure));
            }
            attempt += 1;
            let delay = self
                .inner
                .settings
                .backoff
                .delay(attempt - 1, failure.retry_after);
            let remaining = deadline.saturating_duration_since(Instant::now());
            if attempt >= self.inner.settings.create_attempts || delay >= remaining {
                return Err(failure.error);
            }
            observe::retrying("create (not processed)", &failure.error, delay);
            tokio::time::sleep(delay).await;
        }
    }

    /// One exchange, waiting first for a turn of its lane among the client's
    /// [`max_concurrent_requests`](crate::ClientBuilder::max_concurrent_requests): thousands of
    /// waits share a bounded number of connections instead of opening one each. No turn before
    /// `deadline` is [`Error::Congested`], and the request was not sent.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        lane: Lane,
        deadline: Instant,
    ) -> Result<Vec<u8>, Failure> {
        let turns = match lane {
            Lane::Short => &self.inner.in_flight,
            Lane::Held => &self.inner.held,
        };
        // The semaphores are never closed: only the deadline stops the wait for a turn.
        let Ok(Ok(_turn)) = tokio::time::timeout_at(deadline.into(), turns.acquire()).await else {
            return Err(Failure {
                error: Error::Congested {
                    max_concurrent_requests: self.inner.settings.max_concurrent_requests,
                },
                kind: FailureKind::NotSent,
                retry_after: None,
            });
        };
        exchange::send(request).await
    }

    /// How long the last read of a wait, made at its deadline, may take: the wait never runs
    /// past its timeout by more than this.
    pub(crate) fn last_read_grace(&self) -> Duration {
        self.inner.settings.http_timeout.min(LAST_READ_GRACE)
    }

    pub(crate) fn request(&self, method: Method, path: &[&str]) -> reqwest::RequestBuilder {
        let mut url = self.inner.settings.base_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(path);
        }
        self.inner.http.request(method, url)
    }
}

/// The most a wait's last read, or a create near the deadline, may run past the deadline.
const LAST_READ_GRACE: Duration = Duration::from_secs(1);

/// `start + span`, or a century on when that cannot be represented (a timeout of
/// `Duration::MAX` means "wait as long as it takes", not a panic).
pub(crate) fn after(start: Instant, span: Duration) -> Instant {
    start
        .checked_add(span)
        .or_else(|| start.checked_add(Duration::from_secs(100 * 365 * 24 * 60 * 60)))
        .unwrap_or(start)
}

/// The error of a create that failed in a way that cannot show the server did not receive it:
/// sent, then no answer, is [`Error::CreateUnconfirmed`].
fn not_sent_again(failure: Failure) -> Error {
    match failure.error {
        Error::Transport {
            message, source, ..
        } if failure.kind == FailureKind::Transient => Error::CreateUnconfirmed { message, source },
        error => error,
    }
}
