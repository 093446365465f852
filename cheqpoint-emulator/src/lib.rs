//! A local emulator of the Cheqpoint human-approval service, for tests, examples and your own
//! tests.
//!
//! It serves the API agents call with the shapes and letter cases of the hosted service, POSTs
//! decisions to callback URLs (signed with `x-cheqpoint-signature` when a webhook secret is set),
//! rejects requests left pending past the expiry, and applies auto-approve / auto-reject rules on
//! the risk. People and tests decide requests through the decision API or the methods of
//! [`Emulator`].
//!
//! | route | what |
//! | --- | --- |
//! | `POST /api/approvals/request` | create; `{"id", "status": "PENDING"}` |
//! | `GET /api/approvals/{id}` | the record, camelCase, status in upper case |
//! | `POST /api/webhooks/inbound` | create and answer at once, or hold up to `maxWaitMs` (at most 10 s) for a decision; status in lower case, `reviewUrl` while pending |
//! | `GET /emulator/approvals[?status=pending\|approved\|rejected]` | every record, newest first |
//! | `POST /emulator/approvals/{id}/decision` | `{"decision": "approve"\|"reject", "modifiedDetails"?, "note"?, "reasonCode"?}` |
//! | `GET /emulator/health` | `{"ok": true}` |
//!
//! The `/api` routes need an `x-api-key` header: the configured key, or any non-empty key when none
//! is configured. Every error is answered as `{"error": "<message>"}`.
//!
//! ```
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = cheqpoint_emulator::Emulator::start().await?;
//! let agent = async {
//!     reqwest::Client::new()
//!         .post(format!("{}/api/webhooks/inbound", emulator.url()))
//!         .header("x-api-key", "cq_test_anything")
//!         .json(&serde_json::json!({
//!             "action": "send_email",
//!             "summary": "Email the quarterly report",
//!             "details": {"to": "board@example.com"},
//!             "maxWaitMs": 5000,
//!         }))
//!         .send()
//!         .await?
//!         .json::<serde_json::Value>()
//!         .await
//! };
//! let reviewer = async {
//!     let request = emulator.next_pending().await;
//!     emulator.approve(&request.id)
//! };
//! let (answer, decided) = tokio::join!(agent, reviewer);
//! assert_eq!(answer?["status"], "approved");
//! assert_eq!(decided?.status, cheqpoint_emulator::Status::Approved);
//! # Ok(())
//! # }
//! ```
//!
//! The binary runs the same server: `cargo run -p cheqpoint-emulator -- --bind 127.0.0.1:8787`.
#![warn(missing_docs)]

mod app;
mod callbacks;
mod errors;
mod fields;
mod inbox;
mod record;
mod review;
mod rules;
mod service;
mod store;
mod terminal;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

pub use callbacks::CallbackDelivery;
pub use errors::DecisionError;
pub use record::{ApprovalRecord, Endpoint, Status};
pub use terminal::TerminalReviewer;

use app::App;
use callbacks::Callbacks;
use record::Decision;
use rules::Rules;
use store::Store;

/// How long a request may stay pending unless configured otherwise.
const DEFAULT_EXPIRY: Duration = Duration::from_secs(24 * 60 * 60);

/// The largest request body accepted; larger ones get 413.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A running emulator. Dropping it shuts the server down.
pub struct Emulator {
    app: Arc<App>,
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
        self.app.base_url.clone()
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

    /// The oldest pending request that this method has not returned before, waiting for one to
    /// arrive.
    pub async fn next_pending(&self) -> ApprovalRecord {
        self.app.store.next_pending().await
    }

    /// Like [`next_pending`](Self::next_pending), giving up after `limit`.
    pub async fn next_pending_timeout(&self, limit: Duration) -> Option<ApprovalRecord> {
        tokio::time::timeout(limit, self.next_pending()).await.ok()
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<ApprovalRecord> {
        self.app.store.all()
    }

    /// Request `id`, if there is one.
    pub fn get(&self, id: impl AsRef<str>) -> Option<ApprovalRecord> {
        self.app.store.get(id.as_ref())
    }

    /// Every callback delivery attempted so far, in the order they finished.
    pub fn callbacks(&self) -> Vec<CallbackDelivery> {
        self.app.callbacks.deliveries()
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.app.base_url)
            .finish_non_exhaustive()
    }
}

/// Configures an [`Emulator`]. By default it listens on `127.0.0.1:0` (a free port), accepts any
/// non-empty API key, does not sign callbacks, has no rules, and expires requests after 24 hours.
#[derive(Clone)]
pub struct EmulatorBuilder {
    bind: SocketAddr,
    api_key: Option<String>,
    webhook_secret: Option<String>,
    rules: Rules,
    expiry: Duration,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            api_key: None,
            webhook_secret: None,
            rules: Rules::default(),
            expiry: DEFAULT_EXPIRY,
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

    /// Binds the address and starts serving in the background of the current Tokio runtime.
    pub async fn start(self) -> io::Result<Emulator> {
        let runtime = Handle::try_current().map_err(io::Error::other)?;
        let listener = TcpListener::bind(self.bind).await?;
        let addr = listener.local_addr()?;
        if self.api_key.is_none() {
            tracing::warn!("no API key configured: any non-empty x-api-key is accepted");
        }
        let app = Arc::new(App {
            store: Store::new(self.expiry),
            callbacks: Callbacks::new(self.webhook_secret, runtime.clone())?,
            rules: self.rules,
            api_key: self.api_key,
            base_url: format!("http://{addr}"),
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server =
            axum::serve(listener, router(Arc::clone(&app))).with_graceful_shutdown(async {
                // Resolves when the `Emulator`, which holds the sender, is dropped.
                let _ = stopped.await;
            });
        let expiry_app = Arc::clone(&app);
        runtime.spawn(async move {
            tokio::select! {
                served = server => {
                    if let Err(error) = served {
                        tracing::error!(%error, "the emulator's server failed");
                    }
                }
                () = expiry_app.expire_pending() => {}
            }
        });
        tracing::info!(%addr, "emulator started");
        Ok(Emulator {
            app,
            addr,
            _shutdown: shutdown,
        })
    }
}

/// Every route, with the body size limit and JSON error bodies.
fn router(app: Arc<App>) -> Router {
    Router::new()
        .merge(service::routes(Arc::clone(&app)))
        .merge(review::routes())
        .merge(inbox::routes())
        .fallback(errors::unknown_route)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::map_response(errors::json_error_bodies))
        .with_state(app)
}
