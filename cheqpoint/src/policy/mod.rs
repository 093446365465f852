//! What every door shares — the `#[checkpoint]` attribute, the MCP gateway and the coding-agent
//! hooks — so that each keeps the same promise: the rules on a call's arguments (`rules`, with the `rules` feature).
//!
//! It calls nothing above it; every door calls it.

#[cfg(feature = "rules")]
pub mod rules;
