//! Put a human in front of an AI agent's dangerous actions.
//!
//! `cheqpoint` is the Rust client of the Cheqpoint approval service: an agent submits an action
//! (what, a summary, structured details, a risk score), a reviewer approves, declines or edits
//! the details, and the agent goes on with what was approved.
//!
//! # The attribute
//!
//! A gated fn, and the whole loop around it: the service (here the emulator, in this process, as
//! in a test; `cheqpoint-emulator` is a dev-dependency), the client given to [`init`], and a
//! reviewer who lowers the amount before approving, joined with the call.
//!
//! ```
//! use std::time::Duration;
//!
//! use cheqpoint::checkpoint;
//! use cheqpoint_emulator::Emulator;
//! use serde_json::json;
//!
//! #[derive(Debug)]
//! struct Receipt { refunded_cents: u64 }
//!
//! #[checkpoint(action = "process_refund", risk = 0.8,
//!              summary = "Refund {amount_cents} cents on order {order_id}")]
//! async fn refund(order_id: String, amount_cents: u64) -> Result<Receipt, cheqpoint::Error> {
//!     // Runs only after a person approves, with the values they approved.
//!     Ok(Receipt { refunded_cents: amount_cents })
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let emulator = Emulator::start().await?;
//!     // Once, at start-up; against the service itself: `cheqpoint::Client::from_env()?`.
//!     cheqpoint::init(
//!         cheqpoint::Client::builder().api_key("cq_test_doc").base_url(emulator.url()).build()?,
//!     )?;
//!     let reviewer = async {
//!         let request = emulator
//!             .next_pending(Duration::from_secs(10))
//!             .await
//!             .ok_or("no request arrived within 10 s")?;
//!         // The edit is the whole approved object: every parameter, one of them changed.
//!         emulator.approve_with(&request.id, json!({"order_id": "8842", "amount_cents": 9_000}))?;
//!         Ok::<_, Box<dyn std::error::Error>>(())
//!     };
//!     let (receipt, reviewed) = tokio::join!(refund("8842".into(), 12_000), reviewer);
//!     reviewed?;
//!     assert_eq!(receipt?.refunded_cents, 9_000); // the amount the reviewer approved
//!     Ok(())
//! }
//! ```
//!
//! Each parameter is sent under its own name in `details`. On approval without an edit, every
//! parameter keeps the caller's value. An edit (`modifiedDetails`) is the whole approved object:
//! a parameter the reviewer changed is rebound to their value; one they removed becomes `None`
//! when it is an `Option` and fails the call otherwise; a key naming no parameter fails the call.
//! An edit is applied only when the value it becomes serializes back to it (numbers by value,
//! floats at their type's precision, a key holding `null` as absent), so an unknown nested field,
//! a field a serde default would fill in, or a lossy conversion fails the call, naming the path
//! (`email.bcc`). A rejection returns `Err(Error::Rejected { .. }.into())`. In every such case the
//! body never runs: what runs is what was approved.
//!
//! | option | meaning |
//! | --- | --- |
//! | `action = "send_email"` | the action's name; default: the fn's name |
//! | `risk = 0.8` | 0.0–1.0, checked at compile time; or any `f64` expression, checked at run time |
//! | `summary = "Refund {amount.cents} on {order_id}"` | one sentence for the reviewer; `{name}` shows a parameter and `{name.field.field}` one of its fields (`Display`, format specs allowed, `{name:?}` for `Debug`, `{{`/`}}` for braces); default: the action made readable |
//! | `justification = expr` | the agent's reasoning, a string expression |
//! | `timeout = 600` | seconds to wait for a decision, in place of the client's |
//! | `client = expr` | a `&Client` to use instead of the global one (e.g. `client = &self.client`) |
//! | `webhook_url = "..."` | where the service POSTs the decision |
//! | `skip(a, b)` | parameters not sent (handles, connections, secrets) |
//! | `readonly(c)` | sent and shown, but a changed value fails the call instead of running it |
//! | `when = amount_cents >= 5_000` | a `bool` over the parameters: when false, the body runs at once with the caller's values and nothing is asked (with `tracing`, an event says so) |
//! | `key = "refund-{order_id}"` | the operation's identity, a template like `summary`: with a [`Journal`], calls with one key make one request and run once (see its table); without one, it sets the create's `Idempotency-Key` |
//! | `crate = path` | the path the `cheqpoint` crate is reached by, for a renamed dependency or a re-export |
//!
//! Parameters may be owned (`T: Serialize + DeserializeOwned`), `&T`, `&str` or `&[T]` (an edit is
//! read into the owned form and borrowed), `&mut T` (an edit is written through), or anything with
//! `skip`/`readonly`. A borrow for a named or `'static` lifetime (`items: &'a [String]`), or one
//! inside an owned type (`Option<&str>`), cannot hold an edited value: mark it `readonly` and the
//! caller's borrow runs. `self` is never sent. The fn must not return `impl Trait`, a future, or a
//! boxed future (the shape `#[async_trait]` gives trait methods): write an `async fn`, and in a
//! trait built with `#[async_trait]`, gate an inherent or free `async fn` and call it. The fn may be `async`, or plain: a plain fn waits on
//! its thread and refuses to run inside an async runtime ([`Error::BlockingInRuntime`]). It must
//! return `Result<T, E>` with `E: From<cheqpoint::Error>` (aliases such as `anyhow::Result<T>` work).
//!
//! ## What it generates
//!
//! The `refund` above becomes, in outline (the real expansion names everything by absolute path,
//! calls `cheqpoint::__private`, and hides its locals from the body; a test keeps this outline
//! equal to it):
//!
//! ```text
//! async fn refund(order_id: String, amount_cents: u64) -> Result<Receipt, cheqpoint::Error> {
//!     let edit_order_id;                      // the approved values, read inside the block below
//!     let edit_amount_cents;
//!     let claim;                              // the claim on this run, for a journal
//!     {                                       // the request and the verdict live only in here
//!         let client: &cheqpoint::Client = global()?;      // or the `client = ..` option
//!         let approval = {                                  // built and sent in a block of its own
//!             let mut gate = Gate::new("process_refund",
//!                 format!("Refund {} cents on order {}", &amount_cents, &order_id));
//!             gate.risk(0.8);
//!             gate.param::<String>("order_id", &order_id)?;   // each parameter not skipped
//!             gate.param::<u64>("amount_cents", &amount_cents)?;
//!             gate.approve(client)                          // create, then wait for the decision
//!         };
//!         let mut verdict = approval.await?;
//!         edit_order_id = verdict.edited::<String>("order_id")?;   // read every edit first,
//!         edit_amount_cents = verdict.edited::<u64>("amount_cents")?; // so one bad edit changes nothing
//!         claim = verdict.take_claim();
//!     }
//!     let order_id = match edit_order_id { Some(value) => value, None => order_id, };
//!     let amount_cents = match edit_amount_cents { Some(value) => value, None => amount_cents, };
//!     let output = async move { /* the body, as written */ }.await;
//!     claim.finish(output).await              // with a journal: the run's end is recorded
//! }
//! ```
//!
//! Each `?` above stands for a `match` that returns `<Return as GateReturn>::refuse(error)`,
//! which converts the error into the declared error type. The body keeps its own `return`s and
//! `?`s: its block is pinned to the fn's return type (a plain fn runs it in a `move` closure). `edited` returns `None` when the
//! reviewer left the parameter as it was sent, so the caller's own value runs. With
//! `when = ..`, the block runs only when the condition holds; otherwise every `edit_` is `None`.
//! The wait is boxed, so the future of a gated async fn is barely larger than the fn's own: for
//! a fn that holds a 256-byte buffer across an `.await`, 400 bytes gated against 336 ungated
//! (`tests/tests/future_size.rs` prints both).
//!
//! # The client
//!
//! ```no_run
//! use cheqpoint::{ApprovalRequest, Client};
//! use serde_json::json;
//!
//! # async fn run() -> Result<(), cheqpoint::Error> {
//! let client = Client::from_env()?;
//! let request = ApprovalRequest::new("process_refund", "Refund 120.00 on order 8842")
//!     .details(json!({"order_id": "8842", "amount_cents": 12000}))
//!     .risk(0.8);
//! let approved = client.checkpoint(request).await?; // Err(Error::Rejected { .. }) if declined
//! let amount = approved.effective_details()["amount_cents"].as_u64();
//! # Ok(()) }
//! ```
//!
//! Everything fails closed: only an approval read from the service is `Ok`. A rejection, a
//! timeout, a transport or HTTP error, an unreadable answer, an unknown status, and an edit that
//! does not fit a parameter are all [`Error`]s.
//!
//! # Waiting, and push
//!
//! A wait reads the status at once (workspace rules decide at creation), then on the
//! [`PollPolicy`]: after 250 ms, growing ×1.5 to every 3 s, and every 3.5 s after the first minute. With push — a
//! [`callback_url`](ClientBuilder::callback_url) whose route calls [`Client::deliver`], or the
//! built-in [`listen_for_callbacks`](ClientBuilder::listen_for_callbacks) — a verified callback
//! wakes the wait, which confirms the decision with one read. Push is never slower than polling:
//! waits keep the poll schedule until a verified callback has reached the client, and while
//! callbacks are seen to arrive they slow to a safety net ([`PollPolicy::push_safety_net`]); a
//! decision read without its callback sends them back to the schedule.
//!
//! # Durable approvals
//!
//! With a [`Journal`] ([`ClientBuilder::journal`]; SQLite or PostgreSQL, behind features), one
//! operation — its [`key`](ApprovalRequest::key), or its action and details — makes at most one
//! request however often its process restarts or however many replicas call it, and one approval
//! runs its body at most once: a pending request is re-attached, an approved one runs once, a
//! finished one is [`Error::AlreadyDone`], one whose process died inside the body is
//! [`Error::Interrupted`] (never run again), one running elsewhere is [`Error::InProgress`]. Each
//! step is written before the step it guards; a journal that cannot be written fails the call
//! closed ([`Error::Journal`]). The whole state table is in [`Journal`]'s docs, each row with its
//! test.
//!
//! # Observability
//!
//! With the `tracing` feature (on by default), each waiting call is a `cheqpoint` span with the
//! fields `operation`, `action`, `risk`, `approval_id`, `decision` (`approved`, `rejected`,
//! `pending`, `timeout`, `error`), `auto_decided` and `waited_ms`. An event says when a wait starts
//! (`awaiting approval req_… — review at <url>`), another repeats while it goes on
//! ([`ClientBuilder::progress_interval`], 30 s), and retries are `debug` events. The API key and
//! the request's details are never recorded (the message of an error that ends a call may quote
//! the value at fault, such as an edit that did not fit its parameter).
//!
//! # Features
//!
//! | feature | default | what it gives |
//! | --- | --- | --- |
//! | `rustls` | yes | TLS through rustls with the `ring` provider (compiled in), trusting the platform's root certificates; [`http_client_builder`] hands it to any other `reqwest` client |
//! | `native-tls` | no | TLS through the platform's library (OpenSSL on Linux) instead |
//! | `tracing` | yes | the spans and events above; without it, nothing is recorded and `tracing` is not built |
//! | `rig` | no | `cheqpoint::rig::Gated`: any `rig` tool behind approval (needs Rust 1.95, as `rig-core` does) |
//! | `rmcp` | no | `cheqpoint::rmcp::ToolError`: a gated `#[tool]` of an `rmcp` server answers a refusal as an `isError` tool result (needs Rust 1.95, as `rmcp` does) |
//! | `sqlite` | no | `Journal::sqlite`: durable approvals in one local file (SQLite compiled in; needs Rust 1.89, as `rusqlite` does) |
//! | `postgres` | no | `Journal::postgres`: durable approvals shared by replicas (`tokio-postgres`, without TLS) |
//! | `rules` | no | `cheqpoint::policy::rules`: rules on a call's arguments that allow, ask or deny without a person (shell lines read by `brush-parser`), and `ClientBuilder::rules` for `#[checkpoint]` calls; `cheqpoint::policy::grants`: grants a person gives for a range of calls, bounded and counted in the journal (`Client::ask_grant`, `Journal::use_grant`) |
//!
//! The blocking form of `#[checkpoint]` (a plain `fn`) needs no feature. For your own tests, add
//! `cheqpoint-emulator` as a dev-dependency: an in-process stand-in for the service with a
//! decision API, rules, expiry and fault injection.
//!
//! # Map of the crate
//!
//! Data flows one way: an expansion of `#[checkpoint]` → `__private` → [`Client`] → transport →
//! the service → a response → the waiting call → the approved values → the body.
//!
//! | module | owns |
//! | --- | --- |
//! | `client` | [`Client`] and every public operation (create, read, checkpoint, guard, wait, short-wait, deliver) |
//! | `builder`, `secret` | [`ClientBuilder`]'s settings and their checks; the redacting type that holds the API key and webhook secrets |
//! | `ask` | the one step a checkpoint takes, with a journal or without: the create, then the wait for its decision |
//! | `journal` | durable approvals: the [`Journal`], its SQLite and PostgreSQL stores, the state table a checkpoint goes through with one, the claim on a run |
//! | `gate` | what `#[checkpoint]` expansions call (`__private`), the reading of a verdict into parameters, the claim a gated fn holds, the round-trip check of edits |
//! | `wait` | the wait loop, its [`PollPolicy`], push wake-ups, [`Callback`]s and their signatures, the built-in listener |
//! | `transport` | the `Transport` below the client: HTTP exchanges, the cap on those in flight, the whole retry policy (`transport/retry.rs`), and how every HTTP client is built ([`http_client_builder`], `transport/tls.rs`) |
//! | `request`, `trace`, `identity` | what is sent: [`ApprovalRequest`] and its wire form, the agent's [`Trace`], the name of an operation and its `Idempotency-Key` |
//! | `response`, `json_eq` | what the service answers: [`Created`], [`Approval`], [`Decision`], [`Status`], read strictly; JSON compared as a person reads it |
//! | `error` | the one [`Error`] |
//! | `global`, `runtime` | the process-wide client ([`init`], [`global`]) and the crate's own runtime |
//! | `observe` | the `tracing` spans and events of a call |
//! | `rig`, `rmcp` | the integrations, behind features: a rig tool behind approval; a gated rmcp tool's refusal as an `isError` result |
//! | `policy` | what every door shares: the rules on a call's arguments (`policy::rules`) and grants (`policy::grants`), with the `rules` feature |
//!
//! A gated call goes down this table: `gate` → `client` → `journal` (with one) → `ask` →
//! `wait` → `transport` → `response`. No file imports one that imports it back (the workspace's
//! `module_graph` test checks it).

#![warn(missing_docs)]

mod ask;
#[cfg(feature = "rules")]
mod ask_grant;
mod builder;
mod client;
mod error;
mod gate;
mod global;
mod identity;
mod journal;
mod json_eq;
mod observe;
#[cfg(test)]
mod parse_props;
pub mod policy;
mod request;
mod request_watch;
mod response;
#[cfg(feature = "rig")]
pub mod rig;
#[cfg(feature = "rmcp")]
pub mod rmcp;
mod runtime;
mod secret;
mod trace;
mod transport;
mod wait;

pub use builder::{ClientBuilder, DEFAULT_BASE_URL, DEFAULT_TIMEOUT};
pub use client::Client;
pub use error::Error;
pub use global::{global, init};
pub use journal::{DEFAULT_RETENTION, Journal, Unfinished};
#[cfg(feature = "rules")]
pub use journal::{GrantCall, GrantUse, KeptGrant, RulingRow, UNGRANTED_FOR};
pub use request::{ApprovalRequest, Priority, RiskLevel};
pub use request_watch::RequestWatch;
pub use response::{Approval, Approved, Created, Decision, Status};
pub use trace::{StepKind, Trace, TraceStep};
pub use transport::tls::http_client_builder;
pub use wait::{
    PollPolicy,
    callback::{Callback, CallbackError, SIGNATURE_HEADER, sign_callback, verify_signature},
};

pub use cheqpoint_macros::checkpoint;

#[doc(hidden)]
pub use gate::private as __private;
