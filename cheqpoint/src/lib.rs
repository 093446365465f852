//! Put a human in front of an AI agent's dangerous actions.
//!
//! `cheqpoint` is the Rust client of the Cheqpoint approval service: an agent submits an action
//! (what, a summary, structured details, a risk score), a reviewer approves, declines or edits
//! the details, and the agent goes on with what was approved.
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
//! timeout, a transport or HTTP error, an unreadable answer and an unknown status are all
//! [`Error`]s.

#![warn(missing_docs)]

mod approval;
mod builder;
mod callback;
mod client;
mod decision;
mod error;
mod global;
mod http;
mod json_eq;
mod poll;
mod request;
mod retry;
mod status;
mod trace;
mod wait;

pub use approval::{Approval, Approved};
pub use builder::{ClientBuilder, DEFAULT_BASE_URL, DEFAULT_TIMEOUT};
pub use callback::{Callback, CallbackError, SIGNATURE_HEADER, sign_callback, verify_signature};
pub use client::{Client, Created};
pub use decision::Decision;
pub use error::Error;
pub use global::{global, init};
pub use poll::PollPolicy;
pub use request::{ApprovalRequest, Priority, RiskLevel};
pub use status::Status;
pub use trace::{StepKind, Trace, TraceStep};

pub use cheqpoint_macros::checkpoint;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
