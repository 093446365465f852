//! The [`Client`]: a handle on the service and the single-exchange operations (create, read).

use std::{fmt, sync::Arc, time::Duration};

use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};

use crate::{
    Approval, ApprovalRequest, ClientBuilder, Decision, Error, PollPolicy, Status,
    http::{self, FailureKind, invalid_response},
    retry::Backoff,
};

/// A handle on the Cheqpoint service. Cheap to clone: clones share one connection pool.
///
/// Build one with [`Client::new`], [`Client::from_env`] or [`Client::builder`]; give one to
/// [`crate::init`] for `#[checkpoint]` functions to use.
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
    pub async fn create_request(&self, request: &ApprovalRequest) -> Result<Created, Error> {
        request.validate()?;
        let body = self
            .post_once(
                &["api", "approvals", "request"],
                &request.create_body(),
                Duration::ZERO,
            )
            .await?;
        #[derive(Deserialize)]
        struct CreatedWire {
            id: Option<String>,
            status: Option<String>,
        }
        let wire: CreatedWire = serde_json::from_slice(&body)
            .map_err(|e| invalid_response(format!("not a created request: {e}"), &body))?;
        let id = wire
            .id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| invalid_response("the answer has no `id`".into(), &body))?;
        let raw_status = wire.status.unwrap_or_else(|| "PENDING".into());
        let status = Status::parse(&raw_status).ok_or_else(|| Error::UnknownStatus {
            approval_id: id.clone(),
            status: raw_status,
        })?;
        Ok(Created { id, status })
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
    ) -> Result<Decision, Error> {
        request.validate()?;
        let body = request.inbound_body(max_wait);
        let body = self
            .post_once(
                &["api", "webhooks", "inbound"],
                &body,
                max_wait.unwrap_or_default(),
            )
            .await?;
        Decision::from_body(&body)
    }

    /// One read of a record, with the failure's kind for the wait loop.
    pub(crate) async fn read(&self, approval_id: &str) -> Result<Approval, http::Failure> {
        let body =
            http::send(self.request(Method::GET, &["api", "approvals", approval_id])).await?;
        Approval::from_body(&body, approval_id).map_err(|error| http::Failure {
            error,
            kind: FailureKind::Permanent,
            retry_after: None,
        })
    }

    /// POSTs a body that creates something. It is sent again only when the server cannot have
    /// processed it (no connection, 429, 503), so one call never makes two requests.
    async fn post_once(
        &self,
        path: &[&str],
        body: &impl Serialize,
        extra_time: Duration,
    ) -> Result<Vec<u8>, Error> {
        let mut attempt = 0;
        loop {
            let request = self
                .request(Method::POST, path)
                .timeout(self.inner.http_timeout + extra_time)
                .json(body);
            match http::send(request).await {
                Ok(body) => return Ok(body),
                Err(failure)
                    if matches!(failure.kind, FailureKind::NotSent | FailureKind::Refused)
                        && attempt + 1 < self.inner.create_attempts =>
                {
                    let delay = self.inner.backoff.delay(attempt, failure.retry_after);
                    tracing::debug!(?delay, error = %failure.error, "create not processed; sending again");
                    tokio::time::sleep(delay.min(MAX_CREATE_DELAY)).await;
                    attempt += 1;
                }
                Err(failure) => return Err(failure.error),
            }
        }
    }

    fn request(&self, method: Method, path: &[&str]) -> reqwest::RequestBuilder {
        let mut url = self.inner.base_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(path);
        }
        self.inner.http.request(method, url)
    }
}

/// The longest pause before sending a create again, whatever `Retry-After` says.
const MAX_CREATE_DELAY: Duration = Duration::from_secs(30);

/// The key from the environment: `CHEQPOINT_API_KEY`, else `CHEQPOINT_CONNECTION_KEY`.
pub(crate) fn env_key() -> Option<String> {
    ["CHEQPOINT_API_KEY", "CHEQPOINT_CONNECTION_KEY"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|key| !key.trim().is_empty())
}
