//! The words the model reads when a gated call does not run as asked: a tool result with
//! `isError: true` (clients show a JSON-RPC error without its message), saying what happened
//! and what it can do next.

use cheqpoint::Error;
use rmcp::model::{CallToolResult, ContentBlock};

/// A tool result the model reads as a failure.
pub fn error_result(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// Why a call was not run, for each way the approval did not come.
pub fn refused(action: &str, error: &Error) -> String {
    match error {
        Error::Rejected {
            approval_id,
            note,
            reason_code,
            auto_decided,
            retryable,
            ..
        } => {
            let who = if *auto_decided {
                "A workspace rule"
            } else if *retryable {
                "The approval service"
            } else {
                "A human reviewer"
            };
            let mut text = format!(
                "{who} declined this call to {action} (approval {approval_id}); it was not run."
            );
            if let Some(note) = note {
                text.push_str(&format!(
                    " The reviewer's note: {}.",
                    note.trim_end_matches('.')
                ));
            }
            if let Some(code) = reason_code {
                text.push_str(&format!(" Reason code: {code}."));
            }
            text.push_str(if *retryable {
                " The request was not decided by a person: the same call may be made again to ask anew."
            } else {
                " Do not make the same call again; change the approach or ask the user."
            });
            text
        }
        Error::Timeout {
            approval_id,
            waited,
        } => format!(
            "No decision on approval request {approval_id} for {action} after {} s; the call was not run. \
             The request is still pending: making the same call again, with the same arguments, waits on that same request instead of asking again.",
            waited.as_secs()
        ),
        Error::AlreadyDone { approval_id, .. } => format!(
            "This exact call to {action} already ran once on approval {approval_id}; it is not run twice. Change the arguments to make another call."
        ),
        Error::Interrupted { approval_id, .. } => format!(
            "This exact call to {action} was approved ({approval_id}) and forwarded, but its end was never recorded; it is not sent again. Check its effect before asking for it anew."
        ),
        Error::InProgress { .. } => format!(
            "This exact call to {action} is being handled by another call right now; it was not run twice. Wait for that one."
        ),
        Error::DetailsMismatch { approval_id } => format!(
            "Approval {approval_id} is for other arguments than this call to {action} sent; the call was not run."
        ),
        Error::Api { .. }
        | Error::Transport { .. }
        | Error::InvalidResponse { .. }
        | Error::UnknownStatus { .. }
        | Error::Congested { .. }
        | Error::CreateUnconfirmed { .. } => format!(
            "The approval service could not give a decision for {action}, so the call was not run: {error}. Try again later, or tell the user the approval service is failing."
        ),
        other => format!("The call to {action} was not run: {other}."),
    }
}

/// An edit that could not be run.
pub(crate) fn edit_refused(action: &str, approval_id: &str, reason: &str) -> String {
    format!(
        "A human reviewer approved this call to {action} (approval {approval_id}) with edited arguments that cannot be used: {reason}. \
         The call was not run. Making the call again asks the reviewer again."
    )
}

/// An approved call the upstream failed: it is never sent again.
pub(crate) fn upstream_failed_after_approval(action: &str, failure: &str) -> String {
    format!(
        "The call to {action} was approved and sent to the server, which failed: {failure}. \
         It will not be sent again; check whether it took effect before asking for it anew."
    )
}

/// The upstream server is gone before a call could be asked for.
pub(crate) fn upstream_gone(action: &str) -> String {
    format!(
        "The server behind this gateway is gone, so the call to {action} was not asked for nor run. Tell the user the tool server stopped."
    )
}
