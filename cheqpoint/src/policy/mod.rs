//! What every door shares — the `#[checkpoint]` attribute, the rig and rmcp integrations, the
//! MCP gateway and the coding-agent hooks — so that each keeps the same promise in the same
//! words: the words a model reads when a call did not run ([`words`]), the comparison of a
//! reviewer's edit with what was asked ([`edits`]), and the rules on a call's arguments that
//! allow, ask or deny before anyone is asked (`rules`, with the `rules` feature). A call's
//! identity is the request's: its [`key`](crate::ApprovalRequest::key), or its action, details
//! and [`scope`](crate::ApprovalRequest::scope).
//!
//! It calls nothing above it; every door calls it.

mod decider;
pub mod edits;
#[cfg(feature = "rules")]
pub mod grants;
#[cfg(feature = "rules")]
pub mod rules;
pub mod words;

pub use decider::Decider;
