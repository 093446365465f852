//! The [`Client`]: a handle on the service and the single-exchange operations (create, read).

use std::{
    fmt,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};

use crate::{
    Approval, ApprovalRequest, ClientBuilder, Decision, Error, PollPolicy, Status,
    http::{self, FailureKind, invalid_response},
    listener::{self, Listener},
    observe,
    push::Waits,
    retry::Backoff,
    wire,
};

/// A handle on the Cheqpoint service. Cheap to clone: clones share one connection pool.
///
/// Build one with [`Client::new`], [`Client::from_env`] or [`Client::builder`]; give one to
/// [`crate::init`] for `#[checkpoint]` functions to use.
///
/// # Failures
///
/// A call fails closed: only an approval read from the service is `Ok`. On the way there:
///
/// - **A create is sent again only when the service cannot have received it**: the connection
///   was refused (nothing was sent), or the service answered 429 or 503 (it says it did not
///   process the request). Anything else — a 5xx, a reset, a timeout, an unreadable answer —
///   may come after the service recorded the request, so the call fails instead of asking a
///   reviewer twice ([`ClientBuilder::create_attempts`], default 3).
/// - **Reading the status rides out what may pass** (refused connections, resets, timeouts, 5xx,
///   429) with exponential backoff and jitter ([`ClientBuilder::retry_backoff`]), and stops at
///   once on what will not (4xx, an answer that is not a record, an unknown status).
/// - **`Retry-After` is honoured**, in seconds or as an HTTP-date; when it points past the call's
///   deadline the call fails at once with that answer rather than wait in vain.
/// - **A call ends by its timeout**: no pause runs past it, and the last read, made at the
///   deadline, may take at most the HTTP timeout (at most 1 s) more.
/// - **Dropping the future stops everything at once**: nothing runs in the background, and
///   nothing is cancelled on the service (the request stays pending; [`Client::wait`] resumes).
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub http: reqwest::Client,
    pub base_url: Url,
    pub timeout: Duration,
    pub http_timeout: Duration,
    pub poll: PollPolicy,
    pub backoff: Backoff,
    pub create_attempts: u32,
    pub progress_interval: Duration,
    /// Decisions are expected by callback: waits skip reads they do not need.
    pub push: bool,
    pub waits: Arc<Waits>,
    pub secrets: Arc<[String]>,
    pub callback_url: Option<String>,
    pub listen: Option<SocketAddr>,
    pub listener: once_cell::sync::OnceCell<Listener>,
    /// Turns for HTTP exchanges in flight at once.
    pub in_flight: tokio::sync::Semaphore,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("api_key", &"<redacted>")
            .field("timeout", &self.inner.timeout)
            .field("poll", &self.inner.poll)
            .finish()
    }
}

/// The answer to a create: the new request's id and first status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Created {
    /// The request id, e.g. `req_abc123`.
    pub id: String,
    /// Usually pending; a workspace rule may have decided already.
    pub status: Status,
}

impl Client {
    /// A client for the hosted service with the given Connection Key and default settings.
    pub fn new(api_key: impl Into<String>) -> Result<Client, Error> {
        Client::builder().api_key(api_key).build()
    }

    /// A client configured from `CHEQPOINT_API_KEY` (or `CHEQPOINT_CONNECTION_KEY`) and, when
    /// set, `CHEQPOINT_BASE_URL`. [`Error::NotConfigured`] when neither key is set.
    pub fn from_env() -> Result<Client, Error> {
        let key = env_key().ok_or(Error::NotConfigured)?;
        let mut builder = Client::builder().api_key(key);
        if let Some(url) = std::env::var("CHEQPOINT_BASE_URL")
            .ok()
            .filter(|url| !url.is_empty())
        {
            builder = builder.base_url(url);
        }
        builder.build()
    }

    /// A builder with every setting at its default.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// How long a checkpoint waits for a decision by default.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Creates a request (`POST /api/approvals/request`) and returns its id without waiting.
    /// Store the id to [`wait`](Client::wait) on it later, even from another process.
    ///
    /// The request is sent again only when the service cannot have received it (the connection
    /// was refused, or it answered 429 or 503), so one call never creates two requests.
    pub async fn create_request(&self, request: &ApprovalRequest) -> Result<Created, Error> {
        self.create(request, after(Instant::now(), self.inner.timeout))
            .await
    }

    /// [`create_request`](Client::create_request), giving up on sending again at `deadline`.
    pub(crate) async fn create(
        &self,
        request: &ApprovalRequest,
        deadline: Instant,
    ) -> Result<Created, Error> {
        request.validate()?;
        let body = self
            .post_creating(
                &["api", "approvals", "request"],
                &request.create_body(self.default_callback_url()?.as_deref()),
                Duration::ZERO,
                deadline,
            )
            .await?;
        Created::from_body(&body)
    }

    /// Reads a request as the service holds it (`GET /api/approvals/{id}`), once.
    pub async fn get_request(&self, approval_id: &str) -> Result<Approval, Error> {
        self.read(approval_id)
            .await
            .map_err(|failure| failure.error.with_approval_id(approval_id))
    }

    /// Sends the short-wait endpoint's request, holding up to `max_wait` server-side.
    pub(crate) async fn post_inbound(
        &self,
        request: &ApprovalRequest,
        max_wait: Option<Duration>,
        deadline: Instant,
    ) -> Result<Decision, Error> {
        request.validate()?;
        let default_callback = self.default_callback_url()?;
        let body = request.inbound_body(max_wait, default_callback.as_deref());
        let body = self
            .post_creating(
                &["api", "webhooks", "inbound"],
                &body,
                max_wait.unwrap_or_default(),
                deadline,
            )
            .await?;
        Decision::from_body(&body)
    }

    /// The callback URL requests carry unless they name their own: the configured one, else the
    /// built-in listener's (started here, once, when configured).
    fn default_callback_url(&self) -> Result<Option<String>, Error> {
        let inner = &self.inner;
        let listening = match inner.listen {
            Some(bind) => Some(inner.listener.get_or_try_init(|| {
                listener::start(bind, Arc::clone(&inner.secrets), Arc::clone(&inner.waits))
            })?),
            None => None,
        };
        Ok(inner
            .callback_url
            .clone()
            .or(listening.map(|listener| listener.url.clone())))
    }

    /// One read of a record, with the failure's kind for the wait loop.
    pub(crate) async fn read(&self, approval_id: &str) -> Result<Approval, http::Failure> {
        let body = self
            .send(self.request(Method::GET, &["api", "approvals", approval_id]))
            .await?;
        Approval::from_body(&body, approval_id).map_err(|error| http::Failure {
            error,
            kind: FailureKind::Permanent,
            retry_after: None,
        })
    }

    /// POSTs a body that creates something. It is sent again only when the server cannot have
    /// processed it (no connection, 429, 503), so one call never makes two requests; and only
    /// while there is time before `deadline`, which also bounds each attempt (with
    /// [`last_read_grace`](Client::last_read_grace)). A server that asks to wait past the deadline
    /// (`Retry-After`) gets the failure returned at once.
    async fn post_creating(
        &self,
        path: &[&str],
        body: &impl Serialize,
        extra_time: Duration,
        deadline: Instant,
    ) -> Result<Vec<u8>, Error> {
        let limit = after(deadline, self.last_read_grace());
        let mut attempt = 0;
        loop {
            let time_left = limit.saturating_duration_since(Instant::now());
            let request = self
                .request(Method::POST, path)
                .timeout((self.inner.http_timeout + extra_time).min(time_left))
                .json(body);
            let failure = match self.send(request).await {
                Ok(body) => return Ok(body),
                Err(failure) => failure,
            };
            let resendable = matches!(
                failure.kind,
                FailureKind::NotSent | FailureKind::NotProcessed
            );
            if !resendable {
                return Err(not_sent_again(failure));
            }
            attempt += 1;
            let delay = self.inner.backoff.delay(attempt - 1, failure.retry_after);
            let remaining = deadline.saturating_duration_since(Instant::now());
            if attempt >= self.inner.create_attempts || delay >= remaining {
                return Err(failure.error);
            }
            observe::retrying("create (not processed)", &failure.error, delay);
            tokio::time::sleep(delay).await;
        }
    }

    /// One exchange, waiting first for a turn among the client's
    /// [`max_concurrent_requests`](ClientBuilder::max_concurrent_requests): thousands of waits
    /// share a bounded number of connections instead of opening one each.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Vec<u8>, http::Failure> {
        // The semaphore is never closed, so a permit always comes.
        let _turn = self.inner.in_flight.acquire().await;
        http::send(request).await
    }

    /// How long the last read of a wait, made at its deadline, may take: the wait never runs
    /// past its timeout by more than this.
    pub(crate) fn last_read_grace(&self) -> Duration {
        self.inner.http_timeout.min(LAST_READ_GRACE)
    }

    fn request(&self, method: Method, path: &[&str]) -> reqwest::RequestBuilder {
        let mut url = self.inner.base_url.clone();
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

/// The error of a create that failed in a way that cannot show the server did not receive it,
/// saying why it was not sent again.
fn not_sent_again(failure: http::Failure) -> Error {
    let mut error = failure.error;
    if failure.kind == FailureKind::Transient
        && let Error::Transport { message, .. } = &mut error
    {
        message.push_str(
            " (the service may have received the request, so it was not sent again: \
             check for it before asking again)",
        );
    }
    error
}

impl Created {
    /// Reads the answer to a create: an `id` is required; a missing status reads as pending, an
    /// unknown one is an error.
    pub(crate) fn from_body(body: &[u8]) -> Result<Created, Error> {
        #[derive(Deserialize)]
        struct CreatedWire {
            id: Option<String>,
            status: Option<String>,
        }
        let wire: CreatedWire = serde_json::from_slice(body)
            .map_err(|e| invalid_response(format!("not a created request: {e}"), body))?;
        let id = wire
            .id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| invalid_response("the answer has no `id`".into(), body))?;
        let status = wire::status(wire.status.unwrap_or_else(|| "PENDING".into()), &id)?;
        Ok(Created { id, status })
    }
}

/// The key from the environment: `CHEQPOINT_API_KEY`, else `CHEQPOINT_CONNECTION_KEY`.
pub(crate) fn env_key() -> Option<String> {
    ["CHEQPOINT_API_KEY", "CHEQPOINT_CONNECTION_KEY"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|key| !key.trim().is_empty())
}
