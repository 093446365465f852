//! What every part of a hook shares: one tool call read from an agent's event (`Event`), what
//! the agent can be answered for it (`Powers`), what it is told (`Answer`), what the process
//! prints (`Reply`), what is true of an agent (`Facts`), and two readers of event fields.

use std::path::PathBuf;

use serde_json::{Map, Value};

/// How an agent takes an edited input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edits {
    /// The call cannot run with another input than it asked for.
    Never,
    /// The approved input replaces the call's.
    Replace,
    /// The approved input is merged over the call's: a key cannot be removed.
    Merge,
}

/// What an agent can be answered for one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Powers {
    /// Whether it honours `ask` (hand the decision to the person at the terminal).
    pub ask: bool,
    /// How it takes an edited input.
    pub edits: Edits,
}

/// What the agent is told.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Run the tool, with `input` in place of its own when `edited`.
    Allow {
        /// The approved input.
        input: Map<String, Value>,
        /// Whether it differs from the call's.
        edited: bool,
        /// Why, for the transcript.
        reason: String,
    },
    /// Do not run it; the model reads the reason.
    Deny(String),
    /// Ask the user at the terminal, as the agent would without the hook.
    Ask(String),
}

/// What is true of an agent whatever the event: its names, and how it treats a hook that fails.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    /// As on the command line: `claude-code`.
    pub name: &'static str,
    /// The action's prefix: `claude_code` in `claude_code.Bash`.
    pub action: &'static str,
    /// The reference the adapter follows, and the version it was checked against.
    pub reference: &'static str,
    /// Whether the agent runs the call when a hook times out or fails, unless told otherwise.
    pub fails_open: bool,
}

/// One tool call, read from an agent's event.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event as the agent names it (`PreToolUse`, `BeforeTool`, …).
    pub name: String,
    /// The tool as the agent names it (`Bash`, `run_shell_command`, `mcp__github__merge`, …).
    pub tool: String,
    /// The tool's input, sent as the request's `details`.
    pub input: Map<String, Value>,
    /// The agent's session (or conversation), part of the call's identity.
    pub session: Option<String>,
    /// The session's working directory as the event gives it: `{cwd}` in the rules.
    pub cwd: Option<PathBuf>,
    /// The reviewer's sentence.
    pub summary: String,
    /// The tool's input schema, when the adapter knows it: an edit must validate against it.
    /// Without one, an edit must keep the call's keys.
    pub schema: Option<&'static Value>,
    /// What the agent can be answered for this event.
    pub powers: Powers,
}

/// What the hook process prints and how it exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Printed on stdout (JSON, or nothing).
    pub stdout: String,
    /// Printed on stderr.
    pub stderr: String,
    /// The exit code.
    pub code: u8,
}

impl Reply {
    /// A JSON answer on stdout, exit 0.
    pub(super) fn json(value: Value) -> Reply {
        Reply {
            stdout: value.to_string(),
            stderr: String::new(),
            code: 0,
        }
    }

    /// Exit 2 with the reason on stderr: "blocked" for Claude Code, Codex and Gemini CLI
    /// whatever the event.
    pub(super) fn blocked(reason: String) -> Reply {
        Reply {
            stdout: String::new(),
            stderr: reason,
            code: 2,
        }
    }
}

/// Reads `key` of `object` as a string.
pub(super) fn text<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

/// Reads a JSON object from `value`, or from the JSON text `value` holds (some agents send a
/// tool's input as a string).
pub(super) fn object_in(value: Option<&Value>, what: &str) -> Result<Map<String, Value>, String> {
    match value {
        Some(Value::Object(object)) => Ok(object.clone()),
        Some(Value::String(text)) => match serde_json::from_str(text) {
            Ok(Value::Object(object)) => Ok(object),
            _ => Err(format!("`{what}` is a string that is not a JSON object")),
        },
        Some(other) => Err(format!("`{what}` is {other}, not an object")),
        None => Err(format!("`{what}` is missing")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_tools_input_may_come_as_json_text() {
        let value = json!("{\"command\": \"ls\"}");
        assert_eq!(
            object_in(Some(&value), "toolArgs").unwrap()["command"],
            "ls"
        );
        assert!(object_in(Some(&json!("[1]")), "toolArgs").is_err());
        assert!(object_in(Some(&json!(3)), "toolArgs").is_err());
        assert!(object_in(None, "toolArgs").is_err());
    }
}
