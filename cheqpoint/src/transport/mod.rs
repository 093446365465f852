//! Transport: the [`Transport`] below [`Client`](crate::Client), which owns the HTTP exchanges
//! with the service, each waiting for a turn among
//! [`max_concurrent_requests`](crate::ClientBuilder::max_concurrent_requests), and the creates'
//! re-sending under the retry policy ([`retry`]). It knows requests and answers as bytes and
//! records; it calls nothing above it.

mod exchange;
pub(crate) mod retry;
pub(crate) mod tls;

use std::time::{Duration, Instant};

use reqwest::{Method, Url};
use serde::Serialize;
use tokio::sync::{Semaphore, SemaphorePermit};

pub(crate) use exchange::Failure;

use crate::{Approval, Error, observe, transport::retry::Backoff, transport::retry::FailureKind};

/// The header that carries one key per logical create, the same on every re-send.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The most a wait's last read, or a create near the deadline, may run past the deadline.
const LAST_READ_GRACE: Duration = Duration::from_secs(1);

/// How a client talks to the service: its connections, its retry policy, and the turns its
/// exchanges wait for.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    base_url: Url,
    http_timeout: Duration,
    backoff: Backoff,
    create_attempts: u32,
    max_concurrent_requests: usize,
    /// Turns for HTTP exchanges in flight at once.
    in_flight: Semaphore,
    /// Turns for calls the service holds open (short waits), apart so they never starve reads.
    held: Semaphore,
}

/// What a [`Transport`] is built from, as checked by the client's builder.
#[derive(Debug)]
pub(crate) struct TransportSettings {
    pub(crate) base_url: Url,
    pub(crate) http_timeout: Duration,
    pub(crate) backoff: Backoff,
    pub(crate) create_attempts: u32,
    pub(crate) max_concurrent_requests: usize,
}

/// Which turns an exchange waits for: short exchanges (creates, reads) and calls the service
/// holds open (a short wait, up to 10 s) have turns of their own, so held calls never starve
/// reads.
#[derive(Clone, Copy)]
enum Lane {
    Short,
    Held,
}

impl Transport {
    /// A transport sending through `http` (which carries the key and the timeouts).
    pub(crate) fn new(http: reqwest::Client, settings: TransportSettings) -> Transport {
        let turns = settings.max_concurrent_requests;
        Transport {
            http,
            base_url: settings.base_url,
            http_timeout: settings.http_timeout,
            backoff: settings.backoff,
            create_attempts: settings.create_attempts,
            max_concurrent_requests: turns,
            in_flight: Semaphore::new(turns),
            held: Semaphore::new(turns),
        }
    }

    /// The pauses between retries.
    pub(crate) fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// How long one exchange may take.
    pub(crate) fn http_timeout(&self) -> Duration {
        self.http_timeout
    }

    /// A turn for one short exchange (a create or a read), taken before `deadline`: a caller
    /// that takes it before making the exchange's state holds none of it while it waits.
    pub(crate) async fn short_turn(&self, deadline: Instant) -> Result<Turn<'_>, Error> {
        self.turn(Lane::Short, deadline)
            .await
            .map(Turn)
            .map_err(|failure| failure.error)
    }

    /// One read of a record, with the failure's kind for the wait loop; a turn to send it must
    /// come before `deadline`.
    pub(crate) async fn read(
        &self,
        approval_id: &str,
        deadline: Instant,
    ) -> Result<Approval, Failure> {
        let path = ["api", "approvals", approval_id];
        let body = self
            .send(
                || self.request(Method::GET, &path),
                Lane::Short,
                None,
                deadline,
            )
            .await?;
        Approval::from_body(&body, approval_id).map_err(|error| Failure {
            error,
            kind: FailureKind::Permanent,
            retry_after: None,
        })
    }

    /// POSTs a body that creates something. It is sent again only when the server cannot have
    /// processed it ([`retry::may_resend_create`]), so one call never makes two requests; and
    /// only while there is time before `deadline`, which also bounds each attempt (with
    /// [`last_read_grace`](Transport::last_read_grace)). A server that asks to wait past the
    /// deadline (`Retry-After`) gets the failure returned at once. Every attempt carries the
    /// same `Idempotency-Key`: `idempotency_key` when given (a journal's, or one made from the
    /// request's key), else one made for this call. `held` is how long the service is asked to
    /// hold the call open (a short wait). `turn`, when given, is the first attempt's.
    pub(crate) async fn post_creating(
        &self,
        path: &[&str],
        body: &impl Serialize,
        idempotency_key: Option<&str>,
        held: Option<Duration>,
        mut turn: Option<Turn<'_>>,
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
        let exchange_time = self.http_timeout + held.unwrap_or_default();
        let mut attempt = 0;
        loop {
            let request = || {
                let time_left = limit.saturating_duration_since(Instant::now());
                self.request(Method::POST, path)
                    .header(IDEMPOTENCY_KEY, &idempotency_key)
                    .timeout(exchange_time.min(time_left))
                    .json(body)
            };
            let failure = match self.send(request, lane, turn.take(), limit).await {
                Ok(body) => return Ok(body),
                Err(failure) => failure,
            };
            if !retry::may_resend_create(failure.kind) {
                return Err(not_sent_again(failure));
            }
            attempt += 1;
            let delay = self.backoff.delay(attempt - 1, failure.retry_after);
            let remaining = deadline.saturating_duration_since(Instant::now());
            if attempt >= self.create_attempts || delay >= remaining {
                return Err(failure.error);
            }
            observe::retrying("create (not processed)", &failure.error, delay);
            tokio::time::sleep(delay).await;
        }
    }

    /// One exchange, waiting first for a turn of its lane among the client's
    /// [`max_concurrent_requests`](crate::ClientBuilder::max_concurrent_requests): thousands of
    /// waits share a bounded number of connections instead of opening one each. No turn before
    /// `deadline` is [`Error::Congested`], and the request was not sent. The request is built,
    /// and the exchange's state allocated, only once the turn has come: a call waiting for its
    /// turn holds neither.
    async fn send(
        &self,
        request: impl FnOnce() -> reqwest::RequestBuilder,
        lane: Lane,
        turn: Option<Turn<'_>>,
        deadline: Instant,
    ) -> Result<Vec<u8>, Failure> {
        let _turn = match turn {
            Some(Turn(turn)) => turn,
            None => self.turn(lane, deadline).await?,
        };
        Box::pin(exchange::send(request())).await
    }

    /// Waits for a turn of `lane` until `deadline`: none by then is [`Error::Congested`].
    async fn turn(&self, lane: Lane, deadline: Instant) -> Result<SemaphorePermit<'_>, Failure> {
        let turns = match lane {
            Lane::Short => &self.in_flight,
            Lane::Held => &self.held,
        };
        // The semaphores are never closed: only the deadline stops the wait for a turn.
        match tokio::time::timeout_at(deadline.into(), turns.acquire()).await {
            Ok(Ok(turn)) => Ok(turn),
            _ => Err(Failure {
                error: Error::Congested {
                    max_concurrent_requests: self.max_concurrent_requests,
                },
                kind: FailureKind::NotSent,
                retry_after: None,
            }),
        }
    }

    /// How long the last read of a wait, made at its deadline, may take: the wait never runs
    /// past its timeout by more than this.
    pub(crate) fn last_read_grace(&self) -> Duration {
        self.http_timeout.min(LAST_READ_GRACE)
    }

    fn request(&self, method: Method, path: &[&str]) -> reqwest::RequestBuilder {
        let mut url = self.base_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(path);
        }
        self.http.request(method, url)
    }
}

/// A turn for one short exchange, from [`Transport::short_turn`]; given back when dropped.
pub(crate) struct Turn<'a>(SemaphorePermit<'a>);

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
