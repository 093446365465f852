//! The gate between a call and its body: what `#[checkpoint]` expansions call
//! ([`private`], re-exported as `cheqpoint::__private`), the reading of a reviewer's verdict into
//! parameters ([`verdict`]), the claim a gated fn holds across its body ([`claim`]), the
//! round-trip check every edit passes ([`edit`], shared with the rig wrapper), and the traits
//! whose compile errors speak in this crate's words ([`bounds`]).
//!
//! It calls the client (a checkpoint and its claim on the run); expansions (through
//! `__private`) and the rig wrapper (the edit check) call it.

pub(crate) mod bounds;
pub(crate) mod claim;
pub(crate) mod edit;
pub mod private;
pub(crate) mod verdict;
