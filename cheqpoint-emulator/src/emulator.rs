//! [`Emulator`], the running server a test holds (its decision, inspection and fault methods),
//! and [`EmulatorBuilder`], which configures and starts it.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::addresses::{Addresses, parse_public_url};
use crate::callbacks::Callbacks;
use crate::caps::Cap;
use crate::errors::DecisionError;
use crate::faults::{Call, Fault, Faults, Injection, Route};
use crate::limits::Limits;
use crate::listener;
use crate::port::Port;
use crate::record::CallbackDelivery;
use crate::record::{ApprovalRecord, Decision, Status};
use crate::routes;
use crate::rules::Rules;
use crate::state::AppState;
use crate::store::Store;

/// The service's cap on how long a short-wait call is held (`maxWaitMs`).
pub(crate) const MAX_HOLD: Duration = Duration::from_secs(10);

/// How many short-wait calls may be held at once unless configured otherwise.
const DEFAULT_MAX_HELD_CALLS: usize = 1000;

/// How many event streams may be open at once unless configured otherwise.
const DEFAULT_MAX_EVENT_STREAMS: usize = 100;

/// How long a request may stay pending unless configured otherwise.
const DEFAULT_EXPIRY: Duration = Duration::from_secs(24 * 60 * 60);

/// A running emulator. Dropping it shuts the server down.
pub struct Emulator {
    app: Arc<AppState>,
    faults: Arc<Faults>,
    addr: SocketAddr,
    /// Dropped with the emulator, which tells the server to shut down.
    _shutdown: oneshot::Sender<()>,
}

impl Emulator {
    /// Starts an emulator on `127.0.0.1` and a free port, with the defaults of
    /// [`EmulatorBuilder`].
    pub async fn start() -> io::Result<Emulator> {
        Emulator::builder().start().await
    }

    /// An emulator to configure.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// `http://ADDR`, without a trailing slash: the base URL to give a client.
    pub fn url(&self) -> String {
        self.app.addresses.base_url().to_owned()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Approves pending request `id` as it was sent.
    pub fn approve(&self, id: impl AsRef<str>) -> Result<ApprovalRecord, DecisionError> {
        self.decide(id, Decision::new(Status::Approved, None, None))
    }

    /// Approves pending request `id` with the reviewer's edits, which replace its details
    /// (`modifiedDetails`, a JSON object).
    pub fn approve_with(
        &self,
        id: impl AsRef<str>,
        modified_details: Value,
    ) -> Result<ApprovalRecord, DecisionError> {
        self.decide(
            id,
            Decision::new(Status::Approved, Some(modified_details), None),
        )
    }

    /// Rejects pending request `id` with a note for the agent.
    pub fn reject(
        &self,
        id: impl AsRef<str>,
        note: impl Into<String>,
    ) -> Result<ApprovalRecord, DecisionError> {
        self.decide(id, Decision::new(Status::Rejected, None, Some(note.into())))
    }

    fn decide(
        &self,
        id: impl AsRef<str>,
        decision: Decision,
    ) -> Result<ApprovalRecord, DecisionError> {
        self.app.decide(id.as_ref(), decision)
    }

    /// The oldest pending request that this method has not returned before, waiting up to
    /// `within` for one to arrive; `None` when none did. There is no unbounded form: a test whose
    /// call fails before it makes a request gets `None` and fails, instead of hanging.
    pub async fn next_pending(&self, within: Duration) -> Option<ApprovalRecord> {
        tokio::time::timeout(within, self.app.store.next_pending())
            .await
            .ok()
    }

    /// The next pending request, however long it takes to arrive: for the terminal reviewer,
    /// which waits on a person at the keyboard, not on a test.
    pub(crate) async fn await_pending(&self) -> ApprovalRecord {
        self.app.store.next_pending().await
    }

    /// Every request received since the last restart, in arrival order. The emulator keeps every
    /// request until restarted (it is for tests and local runs, not for months of traffic); only
    /// the logs of calls and callbacks are capped.
    pub fn requests(&self) -> Vec<ApprovalRecord> {
        self.app.store.all()
    }

    /// Request `id`, if there is one.
    pub fn get(&self, id: impl AsRef<str>) -> Option<ApprovalRecord> {
        self.app.store.get(id.as_ref())
    }

    /// The callback deliveries attempted so far, in the order they finished: the last 10,000
    /// (older ones are dropped, so that a long-running emulator does not grow without bound).
    pub fn callbacks(&self) -> Vec<CallbackDelivery> {
        self.app.callbacks.deliveries()
    }

    /// Injects a fault: the emulator fails the requests it matches (see [`Fault`]) until it runs
    /// out or [`clear_faults`](Self::clear_faults) is called.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cheqpoint_emulator::{Emulator, Fault, FaultKind, Route};
    ///
    /// let emulator = Emulator::start().await?;
    /// emulator.inject(Fault::new(Route::Get, FaultKind::Status(502)).times(3));
    /// emulator.inject("create:429x2,retry-after=1".parse()?);
    /// assert_eq!(emulator.faults(), ["get:502,times=3", "create:429,times=2,retry-after=1"]);
    /// # Ok(()) }
    /// ```
    pub fn inject(&self, fault: Fault) {
        self.faults.inject(fault);
    }

    /// Removes every fault, and opens the port again if a `refuse` fault closed it.
    pub fn clear_faults(&self) {
        self.faults.clear();
    }

    /// The faults still active, in the text form, with what is left of each.
    pub fn faults(&self) -> Vec<String> {
        self.faults.describe()
    }

    /// The calls to the API routes received so far, in arrival order, with the fault applied to
    /// each: the last 100,000 (older ones are dropped, so that a long-running emulator polled
    /// for days does not grow without bound). Calls refused at the port are not seen, so not
    /// logged.
    pub fn calls(&self) -> Vec<Call> {
        self.faults.calls()
    }

    /// How many calls to `route` were received ([`Route::Any`]: to any API route); exact, also
    /// once [`calls`](Self::calls) has dropped the oldest.
    pub fn call_count(&self, route: Route) -> usize {
        self.faults.call_count(route)
    }

    /// How many approval requests were created since the emulator started, including those a
    /// restart forgot: what a client's calls cost in billable requests.
    pub fn created_count(&self) -> usize {
        self.app.store.created_count()
    }

    /// Forgets every request and closes every connection, as a restart of a server that keeps
    /// nothing on disk would. Faults, the call log and [`created_count`](Self::created_count)
    /// are kept.
    pub fn restart(&self) {
        Injection {
            app: Arc::clone(&self.app),
            faults: Arc::clone(&self.faults),
        }
        .restart(None);
    }

    /// The review inbox: `http://ADDR/`, with `?token=` when a reviewer token is set.
    pub fn inbox_url(&self) -> String {
        self.app.inbox_url()
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.app.addresses.base_url())
            .finish_non_exhaustive()
    }
}

/// Configures an [`Emulator`]. By default it listens on `127.0.0.1:0` (a free port), accepts any
/// non-empty API key, needs no reviewer token, does not sign callbacks, has no rules, and expires
/// requests after 24 hours.
#[derive(Clone)]
pub struct EmulatorBuilder {
    bind: SocketAddr,
    api_key: Option<String>,
    review_token: Option<String>,
    public_url: Option<String>,
    webhook_secret: Option<String>,
    rules: Rules,
    rate_limits: Vec<(u32, Duration)>,
    loop_window: Option<Duration>,
    expiry: Duration,
    max_hold: Duration,
    max_held_calls: usize,
    max_event_streams: usize,
    faults: Vec<Fault>,
}

impl fmt::Debug for EmulatorBuilder {
    /// The settings, without the API key, reviewer token or webhook secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("rules", &self.rules)
            .field("rate_limits", &self.rate_limits)
            .field("loop_window", &self.loop_window)
            .field("expiry", &self.expiry)
            .field("max_hold", &self.max_hold)
            .field("max_held_calls", &self.max_held_calls)
            .field("max_event_streams", &self.max_event_streams)
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            api_key: None,
            review_token: None,
            public_url: None,
            webhook_secret: None,
            rules: Rules::default(),
            rate_limits: Vec::new(),
            loop_window: None,
            expiry: DEFAULT_EXPIRY,
            max_hold: MAX_HOLD,
            max_held_calls: DEFAULT_MAX_HELD_CALLS,
            max_event_streams: DEFAULT_MAX_EVENT_STREAMS,
            faults: Vec::new(),
        }
    }
}

impl EmulatorBuilder {
    /// The address to listen on; port 0 picks a free port.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Accepts only this `x-api-key`; others get 401.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Guards the review routes (`/emulator/approvals…`, `/emulator/events`,
    /// `/emulator/callbacks`) and the control routes (`/emulator/faults`, `/emulator/calls`,
    /// `/emulator/restart`): they answer 401 unless the request carries this token in the
    /// `x-review-token` header (or as `?token=` on `/emulator/events`, which a browser opens
    /// without headers). The inbox page takes it from its own URL, [`Emulator::inbox_url`]. The
    /// methods of [`Emulator`] need no token. Required when binding to an address other than
    /// loopback.
    pub fn review_token(mut self, token: impl Into<String>) -> Self {
        self.review_token = Some(token.into());
        self
    }

    /// The address people on other machines reach the emulator at, e.g.
    /// `http://192.0.2.7:8787` when it runs in a container: `reviewUrl` and
    /// [`Emulator::inbox_url`] point there, and requests naming it in `Host` are accepted.
    /// [`start`](Self::start) fails when it is not an `http`/`https` URL of scheme, host and port.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// The longest a short-wait call (`maxWaitMs`) is held for a decision: 10 s, as the service
    /// does, unless lowered here to test what a client does once the hold is over.
    pub fn max_hold(mut self, hold: Duration) -> Self {
        self.max_hold = hold.min(MAX_HOLD);
        self
    }

    /// How many short-wait calls (`maxWaitMs`) may be held for a decision at once (1,000 by
    /// default, at least 1); over that, `POST /api/webhooks/inbound` with `maxWaitMs` answers 503
    /// and creates nothing.
    pub fn max_held_calls(mut self, calls: usize) -> Self {
        self.max_held_calls = calls.max(1);
        self
    }

    /// How many event streams (`GET /emulator/events`) may be open at once (100 by default, at
    /// least 1); over that, 503.
    pub fn max_event_streams(mut self, streams: usize) -> Self {
        self.max_event_streams = streams.max(1);
        self
    }

    /// Rejects a request when its agent (its `agentName`, else its API key) already sent `count`
    /// requests in the last `per`, as the service's per-agent limits do (documented defaults: 50
    /// an hour, 500 a day): a `REJECTED` record with `autoDecided`, `retryable` and reason code
    /// `rate_limited`. May be called more than once; off by default.
    pub fn rate_limit(mut self, count: u32, per: Duration) -> Self {
        self.rate_limits.push((count, per));
        self
    }

    /// Rejects a request when its agent sent the same one (same action, same details) less than
    /// `window` ago, as the service's loop protection does: a `REJECTED` record with
    /// `autoDecided`, `retryable` and reason code `loop_detected`. Off by default.
    pub fn loop_protection(mut self, window: Duration) -> Self {
        self.loop_window = Some(window);
        self
    }

    /// Signs callbacks: header `x-cheqpoint-signature`, the lower-case hex HMAC-SHA256 of the body
    /// keyed by this secret.
    pub fn webhook_secret(mut self, secret: impl Into<String>) -> Self {
        self.webhook_secret = Some(secret.into());
        self
    }

    /// Approves at creation every request whose risk is below `risk` (rule
    /// `auto-approve below {risk}`). The risk is `riskScore`, else `riskLevel` read as low 0.2,
    /// medium 0.5, high 0.9.
    pub fn auto_approve_below(mut self, risk: f64) -> Self {
        self.rules.approve_below = Some(risk);
        self
    }

    /// Rejects at creation every request whose risk is above `risk` (rule
    /// `auto-reject above {risk}`); this wins over [`auto_approve_below`](Self::auto_approve_below).
    pub fn auto_reject_above(mut self, risk: f64) -> Self {
        self.rules.reject_above = Some(risk);
        self
    }

    /// Rejects requests still pending after `expiry`, with `retryable: true` and
    /// `decisionReasonCode: "expired"`.
    pub fn expiry(mut self, expiry: Duration) -> Self {
        self.expiry = expiry;
        self
    }

    /// Starts with this fault injected (see [`Emulator::inject`]); may be called more than once.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Binds the address and starts serving in the background of the current Tokio runtime.
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] when the public URL is not one, or when the
    /// address is not loopback and no review token is set: the inbox would then let anyone on
    /// the network approve. With a token, binding to such an address logs a warning.
    pub async fn start(self) -> io::Result<Emulator> {
        let runtime = Handle::try_current().map_err(io::Error::other)?;
        let public_url = self
            .public_url
            .as_deref()
            .map(parse_public_url)
            .transpose()
            .map_err(|reason| io::Error::new(io::ErrorKind::InvalidInput, reason))?;
        let reachable_from_network = !self.bind.ip().is_loopback();
        if reachable_from_network && self.review_token.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} is reachable from the network: set a review token, or bind to 127.0.0.1",
                    self.bind
                ),
            ));
        }
        let listener = TcpListener::bind(self.bind).await?;
        let addr = listener.local_addr()?;
        if reachable_from_network {
            tracing::warn!(%addr, "the inbox is reachable from the network: anyone with its token can decide requests");
        }
        if self.api_key.is_none() {
            tracing::warn!("no API key configured: any non-empty x-api-key is accepted");
        }
        let app = Arc::new(AppState {
            store: Arc::new(Store::new(self.expiry)),
            callbacks: Callbacks::new(self.webhook_secret, runtime.clone())?,
            rules: self.rules,
            limits: Limits::new(self.rate_limits, self.loop_window),
            api_key: self.api_key,
            review_token: self.review_token,
            addresses: Addresses::new(addr, public_url.as_ref()),
            max_hold: self.max_hold,
            held_calls: Cap::new(self.max_held_calls, "short-wait calls held for a decision"),
            event_streams: Cap::new(self.max_event_streams, "open event streams"),
        });
        let port = Port::new(listener, runtime.clone())?;
        let faults = Arc::new(Faults::new(port, self.faults));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let injection = Injection {
            app: Arc::clone(&app),
            faults: Arc::clone(&faults),
        };
        let server = listener::serve(routes::router(injection), Arc::clone(&faults), async {
            // Resolves when the `Emulator`, which holds the sender, is dropped.
            let _ = stopped.await;
        });
        let expiry_app = Arc::clone(&app);
        runtime.spawn(async move {
            tokio::select! {
                () = server => {}
                () = expiry_app.expire_pending() => {}
            }
        });
        tracing::info!(%addr, "emulator started");
        Ok(Emulator {
            app,
            faults,
            addr,
            _shutdown: shutdown,
        })
    }
}
