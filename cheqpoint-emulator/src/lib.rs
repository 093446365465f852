//! A local emulator of the Cheqpoint human-approval service, for tests, examples and your own
//! tests.
//!
//! It serves the API agents call with the shapes and letter cases of the hosted service (the
//! contract is the workspace's `docs/protocol.md`), POSTs decisions to callback URLs (signed with
//! `x-cheqpoint-signature` when a webhook secret is set), rejects requests left pending past the
//! expiry, and applies auto-approve / auto-reject rules on the risk and, when switched on, the
//! service's per-agent rate limits and loop protection. People and tests decide requests through
//! the decision API or the methods of [`Emulator`].
//!
//! | route | what |
//! | --- | --- |
//! | `POST /api/approvals/request` | create; `{"id", "status": "PENDING"}` |
//! | `GET /api/approvals/{id}` | the record, camelCase, status in upper case |
//! | `POST /api/webhooks/inbound` | create and answer at once, or hold up to `maxWaitMs` (at most 10 s) for a decision; status in lower case, `reviewUrl` while pending |
//! | `GET /emulator/approvals[?status=pending\|approved\|rejected][&limit=N][&before=ID]` | the records, newest first, 100 a page (`limit` up to 1,000); the next page is `before=` the last id |
//! | `POST /emulator/approvals/{id}/decision` | `{"decision": "approve"\|"reject", "modifiedDetails"?, "note"?, "reasonCode"?}` |
//! | `GET /emulator/events` | server-sent events: one when the stream opens and one after each change |
//! | `GET /emulator/callbacks` | `{"deliveries": [...]}`: each decision POSTed to a callback URL, newest first |
//! | `GET /emulator/health` | `{"ok": true}` |
//! | `GET`/`POST`/`DELETE /emulator/faults`, `GET /emulator/calls`, `POST /emulator/restart` | fault injection, the log of API calls, a restart that forgets everything ([`Fault`]) |
//! | `GET /` | the review inbox (with `/inbox.css` and `/inbox.js`); `/#/approvals/{id}` shows one request |
//!
//! Every route refuses (403) a request whose `Host` is not the emulator's address (loopback with
//! its port, or the [public URL](EmulatorBuilder::public_url)), so a web page cannot reach it by
//! pointing its own domain at 127.0.0.1; every route that changes state refuses (403) what a
//! browser marks as sent from another site (`Sec-Fetch-Site`, `Origin`). The `/api` routes need
//! an `x-api-key` header: the configured key, or any non-empty key when none is configured. With a
//! [reviewer token](EmulatorBuilder::review_token) (the binary makes a random one unless told
//! otherwise), every `/emulator` route but `/emulator/health` needs it too, in the
//! `x-review-token` header: the `/emulator/approvals` routes, `/emulator/events` (which also
//! takes it as `?token=`), `/emulator/callbacks`, and the control routes `/emulator/faults`,
//! `/emulator/calls` and `/emulator/restart` (which could otherwise forge an answer, e.g.
//! `get:status=APPROVED`). Every error is answered as `{"error": "<message>"}`.
//!
//! ```
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = cheqpoint_emulator::Emulator::start().await?;
//! // Any HTTP client will do; this one is built as the cheqpoint crate builds its own.
//! let http = cheqpoint::http_client_builder()?.build()?;
//! let agent = async {
//!     http
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
//!     let request = emulator
//!         .next_pending(std::time::Duration::from_secs(10))
//!         .await
//!         .expect("the agent's request arrives");
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
//!
//! # Map of the crate
//!
//! A request flows: `port` → `listener` → `faults` (the fault layer) → `routes` → `state`
//! (`store`, `rules`, `limits`, `caps`, `callbacks`) → `record`. No file imports one that imports
//! it back (the workspace's `module_graph` test checks it).
//!
//! | module | owns |
//! | --- | --- |
//! | `emulator` | [`Emulator`] and [`EmulatorBuilder`]: starting the server, and the methods a test decides and inspects with |
//! | `terminal` | [`TerminalReviewer`]: the reviewer at the terminal of the binary (`main.rs`) |
//! | `listener`, `port` | the accept loop and each connection; the listening socket a `refuse` fault closes |
//! | `routes` | every route, by who calls it (`api`, `review`, `events`, `control`, `inbox`), and the guards in front of them (`guards`) |
//! | `faults` | [`Fault`]s (`fault`), their text form (`spec`), the layer that applies them (`answer`), active faults, connections and the call log (`state`) |
//! | `state` | what every route shares: the store, rules, limits, caps, callbacks, the API key |
//! | `store`, `record` | the requests and every change to them; one [`ApprovalRecord`], its decision, its callback delivery and its wire form |
//! | `rules`, `limits`, `caps` | the workspace's auto-decide rules, the per-agent rate limits and loop protection, the caps on long-lived calls |
//! | `callbacks` | the POSTing of decisions to callback URLs, signed |
//! | `addresses`, `errors`, `fields`, `recent` | where the emulator is reached; `{"error": ..}` answers and [`DecisionError`]; reading request fields; a log that keeps only what is recent |
#![warn(missing_docs)]

mod addresses;
mod callbacks;
mod caps;
mod emulator;
mod errors;
mod faults;
mod fields;
mod grant;
mod limits;
mod listener;
mod port;
mod recent;
mod record;
mod routes;
mod rules;
mod state;
mod store;
mod terminal;

pub use emulator::{Emulator, EmulatorBuilder};
pub use errors::DecisionError;
pub use faults::{Call, Fault, FaultKind, FaultSpecError, RetryAfter, Route};
pub use record::CallbackDelivery;
pub use record::{ApprovalRecord, Endpoint, Status};
pub use terminal::TerminalReviewer;
