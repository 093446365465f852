//! Gemini CLI's `BeforeTool` command hook, as its hooks reference describes it
//! (`docs/hooks/reference.md`, checked against Gemini CLI 0.61.0). The event: `session_id`, `cwd`,
//! `hook_event_name`, `tool_name` (`run_shell_command`, `write_file`, `replace`,
//! `mcp_SERVER_TOOL`, …), `tool_input`. The answer, exit 0: `decision` `allow` or `deny` with
//! `reason` (sent to the model as the tool's error); an edit as
//! `hookSpecificOutput.tool_input`, which Gemini CLI merges over the call's arguments, so an edit
//! cannot remove one; an edit of `run_shell_command` is checked against that tool's own
//! schema. The reference names no `ask`.
//!
//! A hook that exits with another code than 0 or 2, or times out (60 s unless configured), is a
//! warning there and the call goes on: the hook's own deadline is the guard.

use std::{path::PathBuf, sync::OnceLock};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    event::{Answer, Edits, Event, Facts, Powers, Reply},
    summary,
};

/// What is true of Gemini CLI.
pub(super) const FACTS: Facts = Facts {
    name: "gemini",
    action: "gemini",
    reference: "Gemini CLI hooks reference (docs/hooks/reference.md, BeforeTool), Gemini CLI 0.61.0",
    fails_open: true,
};

const POWERS: Powers = Powers {
    ask: false,
    edits: Edits::Merge,
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
    if wire.hook_event_name != "BeforeTool" {
        return Err(format!(
            "it handles BeforeTool events, not {}",
            wire.hook_event_name
        ));
    }
    Ok(Event {
        summary: summary::by_input(&wire.tool_name, &wire.tool_input),
        schema: (wire.tool_name == "run_shell_command").then(shell_schema),
        name: wire.hook_event_name,
        tool: wire.tool_name,
        input: wire.tool_input,
        session: wire.session_id,
        cwd: wire.cwd,
        powers: POWERS,
    })
}

pub(super) fn write(_event: &Event, answer: &Answer) -> Reply {
    Reply::json(match answer {
        Answer::Allow {
            input,
            edited: true,
            reason,
        } => json!({
            "decision": "allow",
            "reason": reason,
            "hookSpecificOutput": {"hookEventName": "BeforeTool", "tool_input": input},
        }),
        Answer::Allow { reason, .. } => json!({"decision": "allow", "reason": reason}),
        Answer::Deny(reason) | Answer::Ask(reason) => json!({"decision": "deny", "reason": reason}),
    })
}

/// The input of Gemini CLI's `run_shell_command`, as Gemini CLI 0.61.0 declares it to the model
/// (`getShellDeclaration`'s `parametersJsonSchema` in its bundle; `additional_permissions`, offered
/// only with tool sandboxing, is left to its open `additionalProperties`).
fn shell_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string"},
                "description": {"type": "string"},
                "dir_path": {"type": "string"},
                "is_background": {"type": "boolean"},
                "delay_ms": {"type": "integer"}
            },
            "required": ["command"]
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_answer_as_gemini_cli_reads_it() {
        let event = read(
            &json!({"session_id": "s", "hook_event_name": "BeforeTool", "cwd": "/",
            "timestamp": "2026-01-01T00:00:00Z", "tool_name": "run_shell_command",
            "tool_input": {"command": "ls"}})
            .to_string(),
        )
        .unwrap();
        assert_eq!(event.summary, "Run `ls`");
        let schema = event.schema.and_then(Value::as_object).unwrap();
        let edit = |v: Value| v.as_object().cloned().unwrap();
        assert!(
            crate::schema::check_edit(
                schema,
                &edit(json!({"command": "ls", "is_background": true}))
            )
            .is_ok()
        );
        assert!(
            crate::schema::check_edit(schema, &edit(json!({"command": "ls", "delay_ms": "soon"})))
                .is_err()
        );
        let edit = Answer::Allow {
            input: json!({"command": "ls -l"}).as_object().unwrap().clone(),
            edited: true,
            reason: "ok".into(),
        };
        let out: Value = serde_json::from_str(&write(&event, &edit).stdout).unwrap();
        assert_eq!(
            out["hookSpecificOutput"]["tool_input"],
            json!({"command": "ls -l"})
        );
        let deny: Value =
            serde_json::from_str(&write(&event, &Answer::Deny("no".into())).stdout).unwrap();
        assert_eq!(deny, json!({"decision": "deny", "reason": "no"}));
    }
}
