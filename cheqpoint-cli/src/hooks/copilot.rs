//! GitHub Copilot's `preToolUse` hook, in both of its shapes:
//!
//! - Copilot CLI and the coding agent (GitHub's hooks configuration reference, `.github/hooks/`,
//!   checked against Copilot CLI 1.0): the event `{timestamp, cwd, toolName, toolArgs}`, with
//!   `toolArgs` the tool's arguments as JSON text; the answer `{permissionDecision,
//!   permissionDecisionReason}`, of which `deny` is what the reference says is acted on.
//! - VS Code's agent hooks (the Claude Code format: `hook_event_name: "PreToolUse"`, `tool_name`,
//!   `tool_input`): the answer in `hookSpecificOutput.permissionDecision`.
//!
//! Neither offers an edited input nor, for this hook, `ask`: an edit is refused in words. A hook
//! that fails or times out (30 s unless `timeoutSec` says otherwise) lets the call go on: the
//! hook's own deadline is the guard.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    event::{Answer, Edits, Event, Facts, Powers, Reply, object_in},
    summary,
};

/// What is true of Copilot.
pub(super) const FACTS: Facts = Facts {
    name: "copilot",
    action: "copilot",
    reference: "GitHub Copilot hooks configuration reference (preToolUse), Copilot CLI 1.0; VS Code agent hooks (PreToolUse)",
    fails_open: true,
};

const POWERS: Powers = Powers {
    ask: false,
    edits: Edits::Never,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    tool_name: Option<String>,
    tool_args: Option<Value>,
    #[serde(rename = "hook_event_name")]
    hook_event_name: Option<String>,
    #[serde(rename = "tool_name")]
    snake_tool_name: Option<String>,
    #[serde(rename = "tool_input")]
    tool_input: Option<Value>,
    #[serde(rename = "session_id")]
    session_id: Option<String>,
    #[serde(rename = "sessionId")]
    session_id_camel: Option<String>,
    cwd: Option<PathBuf>,
}

pub(super) fn read(input: &str) -> Result<Event, String> {
    let wire: Wire = serde_json::from_str(input).map_err(|error| error.to_string())?;
    let (name, tool, input) = match (&wire.tool_name, &wire.hook_event_name) {
        (Some(tool), _) => (
            "preToolUse",
            tool.clone(),
            object_in(wire.tool_args.as_ref(), "toolArgs")?,
        ),
        (None, Some(event)) if event == "PreToolUse" => (
            "PreToolUse",
            wire.snake_tool_name
                .clone()
                .ok_or("PreToolUse has no `tool_name`")?,
            object_in(wire.tool_input.as_ref(), "tool_input")?,
        ),
        (None, Some(event)) => {
            return Err(format!("it handles preToolUse events, not {event}"));
        }
        (None, None) => return Err("it has neither `toolName` nor `hook_event_name`".into()),
    };
    Ok(Event {
        name: name.into(),
        summary: summary::by_input(&tool, &input),
        tool,
        input,
        session: wire.session_id.or(wire.session_id_camel),
        cwd: wire.cwd,
        schema: None,
        powers: POWERS,
    })
}

pub(super) fn write(event: &Event, answer: &Answer) -> Reply {
    let (decision, reason) = match answer {
        Answer::Allow { reason, .. } => ("allow", reason),
        Answer::Deny(reason) | Answer::Ask(reason) => ("deny", reason),
    };
    if event.name == "PreToolUse" {
        return Reply::json(json!({"hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": reason,
        }}));
    }
    Reply::json(json!({"permissionDecision": decision, "permissionDecisionReason": reason}))
}

/// Copilot's deny for an event of unknown shape.
pub(super) fn refuse_unread(reason: String) -> Reply {
    Reply::json(json!({"permissionDecision": "deny", "permissionDecisionReason": reason}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_shape_with_its_arguments_as_text_and_the_vs_code_shape() {
        let cli = read(
            &json!({"timestamp": 1704614600000u64, "cwd": "/p", "toolName": "bash",
            "toolArgs": "{\"command\":\"rm -rf dist\",\"description\":\"Clean\"}"})
            .to_string(),
        )
        .unwrap();
        assert_eq!(cli.summary, "Run `rm -rf dist` — Clean");
        let out: Value =
            serde_json::from_str(&write(&cli, &Answer::Deny("no".into())).stdout).unwrap();
        assert_eq!(
            out,
            json!({"permissionDecision": "deny", "permissionDecisionReason": "no"})
        );
        let vscode = read(
            &json!({"hook_event_name": "PreToolUse", "tool_name": "runInTerminal",
            "tool_input": {"command": "ls"}, "session_id": "s"})
            .to_string(),
        )
        .unwrap();
        let out: Value =
            serde_json::from_str(&write(&vscode, &Answer::Deny("no".into())).stdout).unwrap();
        assert_eq!(out["hookSpecificOutput"]["permissionDecision"], "deny");
        assert!(read(&json!({"hook_event_name": "sessionStart"}).to_string()).is_err());
    }
}
