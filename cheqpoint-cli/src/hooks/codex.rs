//! Codex's command hooks, `PreToolUse` and `PermissionRequest`, as the JSON schemas Codex
//! publishes describe them (`codex-rs/hooks/schema/generated/*.command.{input,output}.schema.json`
//! in openai/codex, checked against the schemas inside Codex 0.169.0) and as its output parser
//! reads them (`codex-rs/hooks/src/engine/output_parser.rs`):
//!
//! - `PreToolUse`: `permissionDecision: "allow"` is honoured only with `updatedInput` (a bare
//!   `allow` is an unsupported answer, and the call goes on as if there were no hook), so an
//!   approval always carries the input to run; `deny` needs a non-empty reason; `ask` is
//!   unsupported and the call goes on, so it is never answered.
//! - `PermissionRequest`: `decision.behavior` `allow` or `deny` (with `message`); an
//!   `updatedInput` there makes Codex fail the hook, so an edit is refused in words.
//!
//! A hook that fails or times out lets the call go on: the hook's own deadline is the guard.
//! Exit 2 with the reason on stderr blocks.

use std::{path::PathBuf, sync::OnceLock};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    event::{Answer, Edits, Event, Facts, Powers, Reply},
    summary,
};

/// What is true of Codex.
pub(super) const FACTS: Facts = Facts {
    name: "codex",
    action: "codex",
    reference: "openai/codex codex-rs/hooks/schema/generated (PreToolUse, PermissionRequest), Codex 0.169.0",
    fails_open: true,
};

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
    let powers = match wire.hook_event_name.as_str() {
        "PreToolUse" => Powers {
            ask: false,
            edits: Edits::Replace,
        },
        "PermissionRequest" => Powers {
            ask: false,
            edits: Edits::Never,
        },
        other => {
            return Err(format!(
                "it handles PreToolUse and PermissionRequest events, not {other}"
            ));
        }
    };
    // Codex's shell tools reach hooks as `Bash` with `{"command": …}`.
    let schema =
        (wire.hook_event_name == "PreToolUse" && wire.tool_name == "Bash").then(bash_schema);
    Ok(Event {
        summary: summary::by_input(&wire.tool_name, &wire.tool_input),
        schema,
        name: wire.hook_event_name,
        tool: wire.tool_name,
        input: wire.tool_input,
        session: wire.session_id,
        cwd: wire.cwd,
        powers,
    })
}

pub(super) fn write(event: &Event, answer: &Answer) -> Reply {
    let reason = |answer: &Answer| match answer {
        Answer::Allow { reason, .. } | Answer::Deny(reason) | Answer::Ask(reason) => reason.clone(),
    };
    if event.name == "PermissionRequest" {
        let decision = match answer {
            Answer::Allow { .. } => json!({"behavior": "allow"}),
            // `strongest` never gives Codex an `ask`; were it to, it is a deny.
            Answer::Deny(_) | Answer::Ask(_) => {
                json!({"behavior": "deny", "message": reason(answer)})
            }
        };
        return Reply::json(json!({"hookSpecificOutput": {
            "hookEventName": "PermissionRequest",
            "decision": decision,
        }}));
    }
    let output = match answer {
        // The approved input, edited or not: Codex runs an `allow` only with one.
        Answer::Allow { input, reason, .. } => json!({
            "hookEventName": "PreToolUse",
            "permissionDecision": "allow",
            "permissionDecisionReason": reason,
            "updatedInput": input,
        }),
        Answer::Deny(_) | Answer::Ask(_) => json!({
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason(answer),
        }),
    };
    Reply::json(json!({ "hookSpecificOutput": output }))
}

/// The input of Codex's `Bash` in a `PreToolUse` event (`PreToolUseToolInput` in
/// `pre-tool-use.command.input.schema.json`).
fn bash_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        json!({
            "type": "object",
            "properties": {"command": {"type": "string"}},
            "required": ["command"],
            "additionalProperties": false
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str) -> Event {
        read(&json!({"session_id": "s", "turn_id": "t", "hook_event_name": name, "tool_name": "Bash",
            "tool_input": {"command": "ls"}, "tool_use_id": "c", "cwd": "/", "model": "m",
            "permission_mode": "default", "transcript_path": null}).to_string())
        .unwrap()
    }

    #[test]
    fn an_approval_always_carries_the_input_and_ask_is_never_said() {
        let pre = event("PreToolUse");
        assert_eq!(pre.cwd.as_deref(), Some(std::path::Path::new("/")));
        let allow = Answer::Allow {
            input: pre.input.clone(),
            edited: false,
            reason: "ok".into(),
        };
        let out: Value = serde_json::from_str(&write(&pre, &allow).stdout).unwrap();
        assert_eq!(
            out["hookSpecificOutput"]["updatedInput"],
            json!({"command": "ls"})
        );
        let ask: Value =
            serde_json::from_str(&write(&pre, &Answer::Ask("?".into())).stdout).unwrap();
        assert_eq!(ask["hookSpecificOutput"]["permissionDecision"], "deny");
        let request = event("PermissionRequest");
        assert_eq!(request.powers.edits, Edits::Never);
        let out: Value = serde_json::from_str(&write(&request, &allow).stdout).unwrap();
        assert_eq!(
            out["hookSpecificOutput"]["decision"],
            json!({"behavior": "allow"})
        );
    }
}
