//! Durable approvals: the [`Journal`] a client writes each step of a gated call to, so that one
//! operation makes at most one request and one approval runs its body at most once, across
//! restarts and replicas.
//!
//! This folder owns the journal: the handle a client is given (`handle`), the entry (`row`), what a
//! database must offer (`store`) and the two databases (`sqlite`, with its group commit in
//! `group_commit`; `postgres`, with its group statements in `batch`), the state machine a checkpoint goes through with a journal
//! (`flow`), the claim on a run (`run`) and the events it reports (`events`). It calls
//! down to the asking step ([`crate::ask`]) for the create and the wait. The client runs a
//! checkpoint through `flow`; the gate and the call's span hold and report the claim (`run`).
//! With the `rules` feature it also keeps the grants a person gave, and counts their uses
//! (`grants`).

#[cfg(feature = "postgres")]
mod batch;
mod events;
mod flow;
#[cfg(feature = "rules")]
mod grants;
#[cfg(feature = "sqlite")]
mod group_commit;
mod handle;
#[cfg(feature = "postgres")]
mod postgres;
mod row;
mod run;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

#[cfg(feature = "rules")]
pub use grants::{GrantCall, GrantUse, KeptGrant, UNGRANTED_FOR};
pub use handle::{DEFAULT_RETENTION, Journal, Unfinished};
#[cfg(feature = "rules")]
pub use store::RulingRow;

pub(crate) use flow::Flow;
pub(crate) use run::Run;
