//! What the model reads when a gated call does not run as asked: a tool result with
//! `isError: true` (clients show a JSON-RPC error without its message). The words for the
//! approval's outcomes are the library's ([`cheqpoint::policy::words`]), the same at every door;
//! here are only the gateway's own: the upstream gone, the upstream failing after approval, the
//! client cancelling.

use cheqpoint::policy::words::Words;
use rmcp::model::{CallToolResult, ContentBlock};

use crate::gate::Outcome;

/// A tool result the model reads as a failure.
pub fn error_result(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// What the model reads for a verdict whose run gave a tool result (or a failure to deliver).
pub fn into_result(
    words: Words<'_>,
    action: &str,
    verdict: Outcome<Result<CallToolResult, String>>,
) -> CallToolResult {
    match verdict {
        Outcome::Ran {
            output: Ok(mut result),
            changes,
            ..
        } => {
            if let Some(changed) = words.ran_with_edit(&changes) {
                result.content.insert(0, ContentBlock::text(changed));
            }
            result
        }
        Outcome::Ran {
            output: Err(failure),
            changes,
            ..
        } => error_result(format!(
            "{}{}",
            words
                .ran_with_edit(&changes)
                .map(|line| format!("{line}\n"))
                .unwrap_or_default(),
            upstream_failed_after_approval(action, &failure)
        )),
        Outcome::Refused(error) => error_result(words.not_run(&error)),
    }
}

/// An approved call the upstream failed: it is never sent again.
pub(crate) fn upstream_failed_after_approval(action: &str, failure: &str) -> String {
    format!(
        "The call to {action} was approved and sent to the server, which failed: {failure}. \
         It was not sent again; check whether it took effect before making it again (that asks anew)."
    )
}

/// The upstream server is gone before a call could be asked for.
pub(crate) fn upstream_gone(action: &str) -> String {
    format!(
        "The server behind this gateway is gone, so the call to {action} was not asked for nor run. Tell the user the tool server stopped."
    )
}

/// A call the client cancelled while it waited.
pub(crate) fn cancelled(action: &str) -> String {
    format!(
        "The call to {action} was cancelled while it waited for approval; it did not run. Its request stays open: the same call made again waits on it."
    )
}
