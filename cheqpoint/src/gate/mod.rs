//! The gate between a call and its body: what `#[checkpoint]` expansions call
//! ([`private`], re-exported as `cheqpoint::__private`), the reading of a reviewer's verdict into
//! parameters ([`verdict`]), the round-trip check every edit passes ([`edit`], shared with the rig
//! wrapper), JSON equality as a person reads it ([`json_eq`]), and the traits whose compile
//! errors speak in this crate's words ([`bounds`]).
//!
//! It may call the client ([`crate::Client::checkpoint`]); nothing but expansions and the rig
//! wrapper calls it.

pub mod bounds;
pub(crate) mod edit;
pub(crate) mod json_eq;
pub mod private;
pub mod verdict;
