//! Claude Code's command hooks, `PreToolUse` and `PermissionRequest`, as its hooks reference
//! describes them (checked against Claude Code 2.1.328). The event: `session_id`, `cwd`,
//! `hook_event_name`, `tool_name`, `tool_input` (and `tool_use_id` for `PreToolUse`, which the
//! hook does not use: a retry gets a new one). The answer, exit 0:
//!
//! - `PreToolUse`: `hookSpecificOutput.permissionDecision` `allow` (with `updatedInput` for an
//!   edit), `deny` or `ask`, and `permissionDecisionReason`.
//! - `PermissionRequest`: `hookSpecificOutput.decision.behavior` `allow` (with `updatedInput`) or
//!   `deny` (with `message`); for `ask`, no decision, so Claude Code shows its own dialog.
//!
//! A hook that fails or times out is a non-blocking error there: the call goes on, so the hook
//! answers deny within its own deadline. Exit 2 (reason on stderr) blocks either event.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    claude_code_tools,
    event::{Answer, Edits, Event, Facts, Powers, Reply, text},
    summary,
};

/// What is true of Claude Code.
pub(super) const FACTS: Facts = Facts {
    name: "claude-code",
    action: "claude_code",
    reference: "Claude Code hooks reference (PreToolUse, PermissionRequest), Claude Code 2.1.328",
    fails_open: true,
};

/// Both events can be answered `ask`, and take an edit in place of the input.
const POWERS: Powers = Powers {
    ask: true,
    edits: Edits::Replace,
};

/// The fields of either event the hook reads; the rest are ignored.
#[derive(Deserialize)]
struct Wire {
    hook_event_name: String,
    tool_name: String,
    tool_input: Map<String, Value>,
    session_id: Option<String>,
    cwd: Option<PathBuf>,
}

pub(super) fn read(input: &str) -> Result<Event, String> {
    let wire: Wire = serde_json::from_str(input).map_err(|error| error.to_string())?;
    if !matches!(
        wire.hook_event_name.as_str(),
        "PreToolUse" | "PermissionRequest"
    ) {
        return Err(format!(
            "it handles PreToolUse and PermissionRequest events, not {}",
            wire.hook_event_name
        ));
    }
    Ok(Event {
        summary: summary_of(&wire.tool_name, &wire.tool_input),
        schema: claude_code_tools::schema(&wire.tool_name),
        name: wire.hook_event_name,
        tool: wire.tool_name,
        input: wire.tool_input,
        session: wire.session_id,
        cwd: wire.cwd,
        powers: POWERS,
    })
}

pub(super) fn write(event: &Event, answer: &Answer) -> Reply {
    if event.name == "PermissionRequest" {
        let decision = match answer {
            Answer::Allow {
                input,
                edited: true,
                ..
            } => json!({"behavior": "allow", "updatedInput": input}),
            Answer::Allow { .. } => json!({"behavior": "allow"}),
            Answer::Deny(reason) => json!({"behavior": "deny", "message": reason}),
            // No decision: Claude Code asks the user in its own dialog.
            Answer::Ask(reason) => return Reply::json(json!({"systemMessage": reason})),
        };
        return Reply::json(json!({"hookSpecificOutput": {
            "hookEventName": "PermissionRequest",
            "decision": decision,
        }}));
    }
    let (decision, reason) = match answer {
        Answer::Allow { reason, .. } => ("allow", reason),
        Answer::Deny(reason) => ("deny", reason),
        Answer::Ask(reason) => ("ask", reason),
    };
    let mut output = json!({
        "hookEventName": "PreToolUse",
        "permissionDecision": decision,
        "permissionDecisionReason": reason,
    });
    if let Answer::Allow {
        input,
        edited: true,
        ..
    } = answer
    {
        output["updatedInput"] = Value::Object(input.clone());
    }
    Reply::json(json!({ "hookSpecificOutput": output }))
}

/// The reviewer's sentence for Claude Code's tools.
fn summary_of(tool: &str, input: &Map<String, Value>) -> String {
    let path = |key| text(input, key).unwrap_or("?");
    match tool {
        "MultiEdit" => {
            let count = input
                .get("edits")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            format!("Edit {}: {count} replacements", path("file_path"))
        }
        "NotebookEdit" => format!(
            "Edit notebook {} ({} cell {})",
            path("notebook_path"),
            text(input, "edit_mode").unwrap_or("replace"),
            text(input, "cell_id").unwrap_or("at the start")
        ),
        "WebFetch" => format!("Fetch {}", path("url")),
        "Read" => format!("Read {}", path("file_path")),
        _ => summary::by_input(tool, input),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str) -> Event {
        read(
            &json!({"session_id": "s", "hook_event_name": name, "tool_name": "Bash",
                "tool_input": {"command": "ls"}, "tool_use_id": "t"})
            .to_string(),
        )
        .unwrap()
    }

    fn allow(edited: bool) -> Answer {
        Answer::Allow {
            input: json!({"command": "ls -l"}).as_object().unwrap().clone(),
            edited,
            reason: "ok".into(),
        }
    }

    #[test]
    fn pre_tool_use_answers() {
        let pre = event("PreToolUse");
        let out: Value = serde_json::from_str(&write(&pre, &allow(true)).stdout).unwrap();
        assert_eq!(
            out,
            json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow",
                "permissionDecisionReason": "ok", "updatedInput": {"command": "ls -l"}}})
        );
        let plain: Value = serde_json::from_str(&write(&pre, &allow(false)).stdout).unwrap();
        assert!(plain["hookSpecificOutput"].get("updatedInput").is_none());
        let ask: Value =
            serde_json::from_str(&write(&pre, &Answer::Ask("?".into())).stdout).unwrap();
        assert_eq!(ask["hookSpecificOutput"]["permissionDecision"], "ask");
    }

    #[test]
    fn permission_request_answers() {
        let request = event("PermissionRequest");
        let out: Value = serde_json::from_str(&write(&request, &allow(true)).stdout).unwrap();
        assert_eq!(
            out["hookSpecificOutput"]["decision"],
            json!({"behavior": "allow", "updatedInput": {"command": "ls -l"}})
        );
        let deny: Value =
            serde_json::from_str(&write(&request, &Answer::Deny("no".into())).stdout).unwrap();
        assert_eq!(
            deny["hookSpecificOutput"]["decision"],
            json!({"behavior": "deny", "message": "no"})
        );
        let ask: Value =
            serde_json::from_str(&write(&request, &Answer::Ask("?".into())).stdout).unwrap();
        assert!(ask.get("hookSpecificOutput").is_none(), "{ask}");
    }

    #[test]
    fn summaries_of_claude_codes_tools() {
        let map = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            summary_of(
                "Bash",
                &map(json!({"command": "rm -rf build", "description": "Clean"}))
            ),
            "Run `rm -rf build` — Clean"
        );
        assert_eq!(
            summary_of(
                "Edit",
                &map(json!({"file_path": "/a", "old_string": "x", "new_string": "y"}))
            ),
            "Edit /a: replace \"x\" with \"y\""
        );
        assert_eq!(
            summary_of(
                "MultiEdit",
                &map(json!({"file_path": "/a", "edits": [{}, {}]}))
            ),
            "Edit /a: 2 replacements"
        );
        assert_eq!(
            summary_of("WebFetch", &map(json!({"url": "https://x", "prompt": "p"}))),
            "Fetch https://x"
        );
    }

    #[test]
    fn another_event_is_not_read() {
        let other =
            json!({"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {}});
        assert!(
            read(&other.to_string())
                .unwrap_err()
                .contains("not PostToolUse")
        );
    }
}
