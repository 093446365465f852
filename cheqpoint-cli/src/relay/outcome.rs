//! What the model reads for a held call: the upstream's own result when the call ran (with the
//! line saying what the reviewer changed in front), else a tool result with `isError: true`
//! (clients show a JSON-RPC error without its message). The words for the approval's outcomes
//! are the library's ([`cheqpoint::policy::words`]), the same at every door; here are only the
//! relay's own: the upstream gone, the upstream failing after approval.

use cheqpoint::policy::words::Words;
use serde_json::{Value, json};

use crate::gate::Outcome;

/// A tool result the model reads as a failure.
pub(super) fn tool_error(text: String) -> Value {
    json!({"content": [{"type": "text", "text": text}], "isError": true})
}

/// What the model reads for an outcome whose run gave the upstream's result (or why there is
/// none).
pub(super) fn into_result(
    words: Words<'_>,
    action: &str,
    outcome: Outcome<Result<Value, String>>,
) -> Value {
    match outcome {
        Outcome::Ran {
            output: Ok(mut result),
            changes,
            ..
        } => {
            // The one change a result may carry: what the reviewer changed, in front.
            if let Some(changed) = words.ran_with_edit(&changes)
                && let Some(content) = result.get_mut("content").and_then(Value::as_array_mut)
            {
                content.insert(0, json!({"type": "text", "text": changed}));
            }
            result
        }
        Outcome::Ran {
            output: Err(failure),
            changes,
            ..
        } => tool_error(format!(
            "{}{}",
            words
                .ran_with_edit(&changes)
                .map(|line| format!("{line}\n"))
                .unwrap_or_default(),
            upstream_failed_after_approval(action, &failure)
        )),
        Outcome::Allowed {
            output: Ok(result), ..
        } => result,
        Outcome::Allowed {
            ruling,
            output: Err(failure),
        } => tool_error(format!(
            "The call to {action} was allowed by the gate's rules ({ruling}) and sent to the server, which failed: {failure}. It was not sent again."
        )),
        Outcome::Refused(error) => tool_error(words.not_run(&error)),
    }
}

/// An approved call the upstream failed: it is never sent again.
fn upstream_failed_after_approval(action: &str, failure: &str) -> String {
    format!(
        "The call to {action} was approved and sent to the server, which failed: {failure}. \
         It was not sent again; check whether it took effect before making it again (that asks anew)."
    )
}

/// The upstream server is gone before a call could be asked for.
pub(super) fn upstream_gone(action: &str, why: &str) -> String {
    format!(
        "The server behind this gateway is gone ({why}), so the call to {action} was not asked for nor run. Tell the user the tool server stopped."
    )
}
