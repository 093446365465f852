//! The gate between a call and its body: what `#[checkpoint]` expansions call
//! ([`private`], re-exported as `cheqpoint::__private`), the reading of a reviewer's verdict into
//! parameters ([`verdict`]), the claim a gated fn holds across its body ([`claim`]), the
//! round-trip check every edit passes ([`edit`], shared with the rig wrapper), the client's
//! rules applied before a call asks (`rules`, with the `rules` feature), and the traits whose
//! compile errors speak in this crate's words ([`bounds`]).
//!
//! It calls the client (a checkpoint and its claim on the run) and the rules (`policy`); expansions (through
//! `__private`) and the rig wrapper (the edit check) call it.

pub(crate) mod bounds;
pub(crate) mod claim;
pub(crate) mod edit;
pub mod private;
#[cfg(feature = "rules")]
pub(crate) mod rules;
pub(crate) mod verdict;
