//! A gated tool of an [`rmcp`](https://docs.rs/rmcp) server (feature `rmcp`, rmcp 3.11; the
//! feature needs Rust 1.95, as rmcp does).
//!
//! A `#[tool]` method inside `#[tool_router]` can carry `#[checkpoint]`. Return
//! `Result<T, ToolError>` (where `T` is what the tool answers: a `String`, a `ContentBlock`, a
//! `CallToolResult`, ...): a call that was not approved then reaches the client as a tool
//! result with `isError: true`, in words the model can act on, instead of a JSON-RPC error that
//! would end its turn. [`ToolError`] is the glue: it is `From<cheqpoint::Error>`, which the
//! attribute needs, and rmcp turns it into the result's text.
//!
//! (Compiled as the workspace's trybuild case `ui/pass/rmcp_tool.rs`, which has rmcp's `server`
//! and `macros` features that this crate does not need.)
//!
//! ```ignore
//! use cheqpoint::{Client, checkpoint, rmcp::ToolError};
//! use rmcp::{handler::server::wrapper::Parameters, tool, tool_router};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, schemars::JsonSchema)]
//! struct Refund { order_id: String, amount_cents: u64 }
//!
//! struct Shop { client: Client }
//!
//! #[tool_router(server_handler)]
//! impl Shop {
//!     #[checkpoint(client = &self.client, key = "refund-{refund.0.order_id}",
//!                  summary = "Refund {refund.0.amount_cents} cents on order {refund.0.order_id}")]
//!     #[tool(description = "Refund part of an order.")]
//!     async fn refund(&self, refund: Parameters<Refund>) -> Result<String, ToolError> {
//!         let Parameters(refund) = refund;
//!         Ok(format!("refunded {} cents on {}", refund.amount_cents, refund.order_id))
//!     }
//! }
//! ```
//!
//! The rules of the pairing:
//!
//! - `#[checkpoint]` goes **above** `#[tool]`: it reads the method as written and keeps `#[tool]`
//!   on what it gives back, which `#[tool]` then wraps for the router. Below it, it would see the
//!   boxed future `#[tool]` makes of an `async fn`, which it refuses.
//! - The arguments come as one `Parameters<Args>` parameter bound to a name (`refund:
//!   Parameters<Refund>`; not the pattern `Parameters(refund)`, since `#[checkpoint]` sends each
//!   parameter under its name): `details` is `{"refund": {..the model's arguments..}}`, a reviewer's
//!   edit is read back into `Args` and checked as any edit is, and the body destructures it.
//!   `Args` needs `Serialize` beside rmcp's `Deserialize` and `JsonSchema`.
//! - A method that also takes rmcp's extractors (`RequestContext`, `Peer`, ...) lists them in
//!   `skip(..)`: they are not data.
//! - `client = &self.client` asks through the client the server holds; without it, the global
//!   one ([`crate::init`]).
//! - A `key` (or a client with a [`crate::Journal`]) makes the same call, asked again after a
//!   timeout, wait on the same request instead of making a new one. [`ToolError`]'s text for a
//!   timeout does not promise it (it cannot know which the server has); it says a reviewer may
//!   still decide. The words are [`crate::policy::words`], the same at every door.
//!
//! The body never runs unless approved: a rejection, a timeout, an edit that does not fit, the
//! service answering an error or not at all, each is a [`ToolError`] and an `isError` result.
//! The body's own failures can be one too ([`ToolError::new`]); a body that must fail the
//! JSON-RPC request itself returns `Ok` of a result it builds, or keeps rmcp's `ErrorData` in an
//! ungated method.

use std::fmt;

use ::rmcp::model::{ContentBlock, IntoContents};

use crate::Error;

/// Why a gated tool call did not do its work, as the model reads it.
///
/// Made from a [`cheqpoint::Error`](crate::Error) (by `?` and by `#[checkpoint]`) or from the
/// tool's own words ([`ToolError::new`]). In rmcp, `Err(ToolError)` becomes a tool result with
/// `isError: true` whose one text block is [`ToolError::message`].
#[derive(Debug)]
pub struct ToolError {
    message: String,
    source: Option<Error>,
}

impl ToolError {
    /// A failure of the tool's own, in the words the model reads.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// The text the model reads.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The approval error this came from, when it came from one.
    pub fn cheqpoint_error(&self) -> Option<&Error> {
        self.source.as_ref()
    }
}

impl From<Error> for ToolError {
    fn from(error: Error) -> Self {
        Self {
            message: crate::policy::words::Words::unnamed().not_run(&error),
            source: Some(error),
        }
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ToolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|error| error as &(dyn std::error::Error + 'static))
    }
}

impl IntoContents for ToolError {
    fn into_contents(self) -> Vec<ContentBlock> {
        vec![ContentBlock::text(self.message)]
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn rejected(note: Option<&str>, retryable: bool) -> Error {
        Error::Rejected {
            approval_id: "apr_1".into(),
            note: note.map(Into::into),
            reason_code: Some("policy".into()),
            auto_decided: false,
            rule_name: None,
            retryable,
        }
    }

    #[test]
    fn a_rejection_names_the_note_the_code_and_the_request() {
        let text = ToolError::from(rejected(Some("too large"), false)).message;
        for part in [
            "apr_1",
            "\"too large\"",
            "policy",
            "did not run",
            "A reviewer",
        ] {
            assert!(text.contains(part), "{part:?} missing from {text:?}");
        }
    }

    #[test]
    fn a_system_rejection_says_asking_again_is_new() {
        let text = ToolError::from(rejected(None, true)).message;
        assert!(text.contains("asks anew"), "{text}");
        assert!(!text.contains("note"), "{text}");
    }

    #[test]
    fn a_timeout_names_the_request_and_the_way_back() {
        let error = Error::Timeout {
            approval_id: "apr_2".into(),
            waited: Duration::from_secs(30),
        };
        let tool_error = ToolError::from(error);
        assert!(tool_error.message.contains("apr_2"), "{tool_error}");
        assert!(
            tool_error.message.contains("may still decide"),
            "{tool_error}"
        );
        assert!(tool_error.cheqpoint_error().is_some_and(Error::is_timeout));
    }

    #[test]
    fn the_text_is_the_one_content_block() {
        let blocks = ToolError::new("out of stock").into_contents();
        assert_eq!(blocks.len(), 1);
        assert_eq!(
            blocks[0].as_text().map(|text| text.text.as_str()),
            Some("out of stock")
        );
    }
}
