//! The [`Client`]: a handle on the service, and every public operation (create, read,
//! checkpoint, guard, wait, short-wait, deliver). It holds the [`Transport`] and the waits, and
//! runs a checkpoint through the asking step ([`Ask`]), with the journal's state machine
//! ([`Flow`]) around it when a journal is configured.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{
    Approval, ApprovalRequest, Approved, Callback, ClientBuilder, Created, Decision, Error, Status,
    ask::{self, Ask},
    builder::Settings,
    journal::{Flow, Run},
    observe::{self, CallSpan},
    transport::{Transport, after},
    wait::{
        MAX_SERVER_WAIT, SentDetails, Waited, Waiter, Waits, details_from_text,
        listener::{self, Limits, Listener},
    },
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
///   was refused (nothing was sent), or the service answered 429 (it says it did not process the
///   request). Anything else — a 5xx (503 included: proxies answer it after forwarding), a
///   reset, a timeout, an unreadable answer — may come after the service recorded the request,
///   so the call fails instead of asking a reviewer twice ([`ClientBuilder::create_attempts`],
///   default 3); sent and then unanswered, it is [`Error::CreateUnconfirmed`]. Each call sends
///   one `Idempotency-Key`, the same on every re-send.
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
    inner: Arc<Inner>,
}

/// What clones of a client share: its transport, settings and waits.
struct Inner {
    transport: Transport,
    settings: Settings,
    waits: Arc<Waits>,
    listener: once_cell::sync::OnceCell<Listener>,
}

impl std::fmt::Debug for Client {
    /// The settings; the API key is not among them (it lives in the HTTP client's headers).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("transport", &self.inner.transport)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of `transport` with `settings`: what the builder makes.
    pub(crate) fn assemble(transport: Transport, settings: Settings) -> Client {
        Client {
            inner: Arc::new(Inner {
                transport,
                settings,
                waits: Arc::default(),
                listener: once_cell::sync::OnceCell::new(),
            }),
        }
    }

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
        self.inner.settings.timeout
    }

    /// The rules that decide `#[checkpoint]` calls before anyone is asked, when it has some
    /// ([`ClientBuilder::rules`]).
    #[cfg(feature = "rules")]
    pub fn rules(&self) -> Option<&crate::policy::rules::Rules> {
        self.inner.settings.rules.as_deref()
    }

    /// Creates a request (`POST /api/approvals/request`) and returns its id without waiting.
    /// Store the id to [`wait`](Client::wait) on it later, even from another process.
    ///
    /// The request is sent again only when the service cannot have received it (the connection
    /// was refused, or it answered 429), so one call never creates two requests.
    pub async fn create_request(&self, request: &ApprovalRequest) -> Result<Created, Error> {
        let deadline = after(Instant::now(), self.inner.settings.timeout);
        let callback_url = self.default_callback_url()?;
        ask::create(
            &self.inner.transport,
            request,
            &request.create_body(callback_url.as_deref(), None, None),
            None,
            None,
            deadline,
        )
        .await
    }

    /// Asks for approval and waits for the decision, up to the request's timeout or the client's.
    ///
    /// `Ok` only when the service reports the request approved; a rejection, a timeout and every
    /// failure are `Err`. When the service reports `details` other than those sent, the approval
    /// is not for this call: [`Error::DetailsMismatch`].
    ///
    /// With a [`Journal`](crate::Journal), the call does what the journal's table says (re-attach to a pending
    /// request, [`Error::AlreadyDone`], ...), and an approval it returns counts as run.
    pub async fn checkpoint(&self, mut request: ApprovalRequest) -> Result<Approved, Error> {
        let (approved, run) = self.checkpoint_run(&mut request).await?;
        // With a journal, an approval handed to the caller counts as run: the caller acts on it.
        run.finish().await?;
        Ok(approved)
    }

    /// [`checkpoint`](Client::checkpoint), and the claim on the approved run: with a journal,
    /// the claim is recorded before this returns, and [`Run::finish`] (or
    /// [`Run::finish_blocking`]) records the end once the body has returned. Without a journal
    /// the `Run` holds nothing. What `#[checkpoint]` expansions and [`guard`](Client::guard)
    /// bracket a body with.
    ///
    /// Without a journal, the details are held from the create to the decision as their JSON
    /// text rather than as a tree (a tenth of the memory, where thousands of calls may be waiting
    /// for a turn or a decision), and put back when the wait ends.
    pub(crate) async fn checkpoint_run(
        &self,
        request: &mut ApprovalRequest,
    ) -> Result<(Approved, Run), Error> {
        let timeout = request.timeout.unwrap_or(self.inner.settings.timeout);
        let started = Instant::now();
        let span = CallSpan::request("checkpoint", request);
        let outcome = span
            .run(async {
                let callback_url = self.default_callback_url()?;
                if let Some(journal) = &self.inner.settings.journal {
                    let ask = Ask {
                        waiter: self.waiter(),
                        request: &*request,
                        callback_url: callback_url.as_deref(),
                        span: &span,
                        started,
                        timeout,
                        details_text: None,
                    };
                    // Boxed: a call without a journal holds none of the journal's state.
                    return Box::pin(Flow { ask, journal }.checkpoint()).await;
                }
                request.validate()?;
                let text = serde_json::value::to_raw_value(&request.details).map_err(|e| {
                    Error::Serialize {
                        parameter: "details".into(),
                        message: e.to_string(),
                    }
                })?;
                // An empty map holds no memory, and keeps the request valid.
                request.details = serde_json::Value::Object(serde_json::Map::new());
                let ask = Ask {
                    waiter: self.waiter(),
                    request: &*request,
                    callback_url: callback_url.as_deref(),
                    span: &span,
                    started,
                    timeout,
                    details_text: Some(&text),
                };
                let waited = async { ask.wait(&ask.create(None, None).await?).await }.await;
                request.details = details_from_text(text.get())?;
                Ok((waited?, Run::unrecorded()))
            })
            .await;
        span.finish(&outcome, started.elapsed());
        outcome
    }

    /// Runs `run` with the approval only when the request is approved; otherwise returns the
    /// reason and `run` never starts.
    ///
    /// With a [`Journal`](crate::Journal), the claim on the run is recorded before `run` starts and its end after
    /// it returns: if the process dies inside `run`, later calls get [`Error::Interrupted`].
    pub async fn guard<F, Fut, T>(&self, mut request: ApprovalRequest, run: F) -> Result<T, Error>
    where
        F: FnOnce(Approved) -> Fut,
        Fut: Future<Output = T>,
    {
        let (approved, claim) = self.checkpoint_run(&mut request).await?;
        let output = run(approved).await;
        // The body ran, so its output is returned. An end that could not be recorded leaves the
        // run claimed: later calls report it interrupted, never run it again.
        let _ = claim.finish().await;
        Ok(output)
    }

    /// [`guard`](Client::guard) for a door that checks the approval before it runs anything (an
    /// edit against a tool's schema, read-only keys): when `check` refuses the approval, `run`
    /// never starts, the call ends with `check`'s error, and with a journal the run is recorded
    /// as refused, so the same call made again asks anew.
    pub async fn guard_checked<C, F, Fut, T>(
        &self,
        mut request: ApprovalRequest,
        check: C,
        run: F,
    ) -> Result<T, Error>
    where
        C: FnOnce(&Approved) -> Result<(), Error>,
        F: FnOnce(Approved) -> Fut,
        Fut: Future<Output = T>,
    {
        let (approved, claim) = self.checkpoint_run(&mut request).await?;
        if let Err(refused) = check(&approved) {
            claim.refuse().await?;
            return Err(refused);
        }
        let output = run(approved).await;
        let _ = claim.finish().await;
        Ok(output)
    }

    /// The journal this client records its calls in, when it was given one.
    pub fn journal(&self) -> Option<&crate::Journal> {
        self.inner.settings.journal.as_ref()
    }

    /// Resumes waiting on a request created earlier (for example by [`Client::create_request`]
    /// before a restart), up to `timeout`.
    pub async fn wait(&self, approval_id: &str, timeout: Duration) -> Result<Approved, Error> {
        let started = Instant::now();
        let span = CallSpan::resume(approval_id);
        let outcome = span
            .run(async {
                observe::awaiting(approval_id, None);
                self.waiter()
                    .until_decided(approval_id, started, timeout, SentDetails::Nothing, true)
                    .await
            })
            .await;
        span.finish(&outcome, started.elapsed());
        outcome
    }

    /// Asks through the short-wait endpoint: the service holds the call up to 10 s (and ends its
    /// hold a margin before `timeout`, so its answer, with the request's id, arrives in time),
    /// then this polls until `timeout`. Pending at the end is a [`Decision`], not an error.
    pub async fn request_sync(
        &self,
        request: ApprovalRequest,
        timeout: Duration,
    ) -> Result<Decision, Error> {
        let started = Instant::now();
        let span = CallSpan::request("request_sync", &request);
        let outcome = span
            .run(async {
                let hold = Some(server_hold(timeout));
                // Boxed, as in `checkpoint`: freed before the wait that may follow.
                let decision =
                    Box::pin(self.post_inbound(&request, hold, after(started, timeout))).await?;
                if decision.status != Status::Pending || started.elapsed() >= timeout {
                    return Ok(decision);
                }
                span.created(&decision.approval_id);
                observe::awaiting(&decision.approval_id, decision.review_url.as_deref());
                // The service just answered "pending": with push, the next read waits for a
                // callback or the first gap.
                match self
                    .waiter()
                    .poll(
                        &decision.approval_id,
                        after(started, timeout),
                        !self.inner.settings.wait.push,
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
        self.post_inbound(
            &request,
            None,
            after(Instant::now(), self.inner.settings.timeout),
        )
        .await
    }

    /// Reads a request as the service holds it (`GET /api/approvals/{id}`), once.
    pub async fn get_request(&self, approval_id: &str) -> Result<Approval, Error> {
        ask::read_once(&self.inner.transport, approval_id).await
    }
    /// Hands a decision that reached your own callback route to this client; returns whether a
    /// wait of this client is on its request.
    ///
    /// A callback read with [`Callback::verify`] wakes that wait at once (it confirms the
    /// decision with one read; a replay of the same callback wakes nothing) and tells the client
    /// that callbacks reach it, so waits slow their polling to a safety net
    /// ([`PollPolicy::push_safety_net`](crate::PollPolicy::push_safety_net)) while that holds.
    /// One read with [`Callback::parse`] only hints: the wait reads the status at once, at most
    /// once a second; it never decides anything.
    ///
    /// On a client with neither a [`callback_url`](crate::ClientBuilder::callback_url) nor a
    /// listener, waits take a place to be woken only once a first callback has been handed
    /// over: waits already running then find their decision at their next read.
    pub fn deliver(&self, callback: &Callback) -> bool {
        let waits = &self.inner.waits;
        if callback.is_verified() {
            waits.announce(&callback.approval_id)
        } else {
            waits.hint(&callback.approval_id)
        }
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
            .inner
            .transport
            .post_creating(
                &["api", "webhooks", "inbound"],
                &body,
                request.idempotency_header().as_deref(),
                max_wait,
                None,
                deadline,
            )
            .await?;
        Decision::from_body(&body)
    }

    /// The callback URL requests carry unless they name their own: the configured one, else the
    /// built-in listener's (started here, once, when configured).
    fn default_callback_url(&self) -> Result<Option<String>, Error> {
        let inner = &self.inner;
        let settings = &inner.settings;
        let listening = match settings.listen {
            Some(bind) => Some(inner.listener.get_or_try_init(|| {
                listener::start(
                    bind,
                    Arc::clone(&settings.secrets),
                    Arc::clone(&inner.waits),
                    Limits::default(),
                )
            })?),
            None => None,
        };
        Ok(settings
            .callback_url
            .clone()
            .or(listening.map(|listener| listener.url.clone())))
    }
}

impl Client {
    /// The wait loop of this client's waits.
    fn waiter(&self) -> Waiter<'_> {
        Waiter::new(
            &self.inner.transport,
            &self.inner.settings.wait,
            &self.inner.waits,
        )
    }
}

impl ClientBuilder {
    /// Checks the settings and builds the client.
    ///
    /// Refused, each with the fix in the message: no API key; a base URL that is not http(s), or
    /// carries credentials, or is `http://` to a host other than this machine (without
    /// [`allow_insecure_http`](Self::allow_insecure_http)); an empty webhook secret; a callback
    /// listener without a webhook secret, or bound to every interface (`0.0.0.0`, `::`) without
    /// the [`callback_url`](Self::callback_url) the service is to use; a zero timeout or gap.
    pub fn build(self) -> Result<Client, Error> {
        let (transport, settings) = self.checked()?;
        Ok(Client::assemble(transport, settings))
    }
}

/// How long the service is asked to hold a short-wait call of `timeout`: at most 10 s, and a
/// margin (1 s, or half of a shorter timeout) before `timeout`, for the answer to travel.
fn server_hold(timeout: Duration) -> Duration {
    const MARGIN: Duration = Duration::from_secs(1);
    timeout
        .saturating_sub(MARGIN.min(timeout / 2))
        .min(MAX_SERVER_WAIT)
}

/// The key from the environment: `CHEQPOINT_API_KEY`, else `CHEQPOINT_CONNECTION_KEY`.
pub(crate) fn env_key() -> Option<String> {
    ["CHEQPOINT_API_KEY", "CHEQPOINT_CONNECTION_KEY"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|key| !key.trim().is_empty())
}
