//! `cheqpoint hook claude-code`: Claude Code's `PreToolUse` command hook. The event (JSON on
//! stdin: `tool_name`, `tool_input`, `tool_use_id`, …) becomes one approval request (action
//! `claude_code.TOOL`, `details` = `tool_input`), and the decision is written to stdout as
//! Claude Code reads it: approved → `allow`; edited → `allow` with `updatedInput`; rejected →
//! `deny` with the reviewer's note; no decision in time → `deny` (or `ask`); anything else →
//! `deny` with the reason. It never panics and always answers.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::{
    config::GateConfig,
    gate::{Ask, EditRefusal, Gatekeeper, Outcome},
};

/// The most a hook waits for a decision unless `gate.toml` says otherwise: it must end before
/// the hook's own `timeout` in `settings.json` (60 s by default there).
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(50);

/// What Claude Code is told.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Run the tool, with `updated_input` in place of its input when given.
    Allow {
        /// Why, for the transcript.
        reason: String,
        /// The approved input, when the reviewer edited it.
        updated_input: Option<Map<String, Value>>,
    },
    /// Do not run it; Claude reads the reason.
    Deny(String),
    /// Ask the user at the terminal, as Claude Code would without the hook.
    Ask(String),
}

impl Decision {
    /// The JSON Claude Code reads on stdout.
    pub fn to_json(&self) -> Value {
        let (decision, reason) = match self {
            Decision::Allow { reason, .. } => ("allow", reason),
            Decision::Deny(reason) => ("deny", reason),
            Decision::Ask(reason) => ("ask", reason),
        };
        let mut output = json!({
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": reason,
        });
        if let Decision::Allow {
            updated_input: Some(input),
            ..
        } = self
        {
            output["updatedInput"] = Value::Object(input.clone());
        }
        json!({ "hookSpecificOutput": output })
    }
}

/// What to answer when no decision came in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnTimeout {
    /// Refuse the tool call.
    #[default]
    Deny,
    /// Let Claude Code ask the user at the terminal.
    Ask,
}

/// The fields of a `PreToolUse` event the hook reads; the rest are ignored.
#[derive(Debug, Deserialize)]
struct Event {
    hook_event_name: Option<String>,
    tool_name: String,
    tool_input: Map<String, Value>,
    session_id: Option<String>,
}

/// Reads one event and decides it through `gate`.
pub async fn decide(
    input: &str,
    gate: &Gatekeeper,
    config: &GateConfig,
    on_timeout: OnTimeout,
) -> Decision {
    let event: Event = match serde_json::from_str(input) {
        Ok(event) => event,
        Err(error) => {
            return Decision::Deny(format!(
                "cheqpoint could not read the PreToolUse event ({error}); the tool call is refused"
            ));
        }
    };
    if let Some(name) = event
        .hook_event_name
        .as_deref()
        .filter(|name| *name != "PreToolUse")
    {
        return Decision::Deny(format!(
            "cheqpoint hook claude-code handles PreToolUse events, not {name}; the tool call is refused"
        ));
    }
    let rule = config.rule(&event.tool_name);
    let ask = Ask {
        action: format!("claude_code.{}", event.tool_name),
        summary: summary(&event.tool_name, &event.tool_input),
        risk: rule.and_then(|rule| rule.risk),
        agent: Some(match &event.session_id {
            Some(session) => format!("claude-code (session {session})"),
            None => "claude-code".into(),
        }),
        traceparent: None,
        timeout: Some(
            rule.and_then(|rule| rule.timeout)
                .or(config.timeout)
                .unwrap_or(DEFAULT_HOOK_TIMEOUT),
        ),
        readonly: rule.map(|rule| rule.readonly.clone()).unwrap_or_default(),
        // A call is its tool and input within the session: Claude Code gives a retry a new
        // `tool_use_id`, so the retry re-attaches to the pending request by what it asks.
        scope: Some(format!(
            "claude_code/{}",
            event.session_id.as_deref().unwrap_or("no-session")
        )),
        watch: Default::default(),
    };
    let keeps_keys = |edit: &Map<String, Value>| keeps_keys(&event.tool_input, edit);
    let verdict = gate
        .decide(&ask, &event.tool_input, keeps_keys, |approved| async move {
            approved
        })
        .await;
    let words = gate.words(&ask.action);
    match verdict {
        Outcome::Ran {
            approval_id,
            output,
            changes,
        } => match words.ran_with_edit(&changes) {
            Some(changed) => Decision::Allow {
                reason: format!("Approved in cheqpoint ({approval_id}). {changed}"),
                updated_input: Some(output),
            },
            None => Decision::Allow {
                reason: format!("Approved in cheqpoint ({approval_id})."),
                updated_input: None,
            },
        },
        Outcome::Refused(error @ cheqpoint::Error::Timeout { .. })
            if on_timeout == OnTimeout::Ask =>
        {
            Decision::Ask(words.not_run(&error))
        }
        Outcome::Refused(error) => Decision::Deny(words.not_run(&error)),
    }
}

/// The reviewer's sentence: the command for Bash, the path for Write and Edit, else the tool's
/// name and its input in brief.
fn summary(tool: &str, input: &Map<String, Value>) -> String {
    let text = |key: &str| input.get(key).and_then(Value::as_str);
    match (tool, text("command"), text("file_path")) {
        ("Bash", Some(command), _) => format!("Run `{command}`"),
        ("Write", _, Some(path)) => format!("Write {path}"),
        ("Edit" | "MultiEdit", _, Some(path)) => format!("Edit {path}"),
        _ => crate::summary::render(None, tool, input),
    }
}

/// An edit must keep the tool's keys: the same keys as the input, none added or removed.
fn keeps_keys(input: &Map<String, Value>, edit: &Map<String, Value>) -> Result<(), EditRefusal> {
    let refusal = |key: &str, reason: String| EditRefusal {
        path: format!("/{key}"),
        reason,
    };
    if let Some(key) = input.keys().find(|key| !edit.contains_key(*key)) {
        return Err(refusal(
            key,
            format!("the edit removed `{key}`, which the call had"),
        ));
    }
    if let Some(key) = edit.keys().find(|key| !input.contains_key(*key)) {
        return Err(refusal(
            key,
            format!("the edit added `{key}`, which the call did not have"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_decision_is_written_as_claude_code_reads_it() {
        let allow = Decision::Allow {
            reason: "ok".into(),
            updated_input: Some(json!({"command": "ls"}).as_object().unwrap().clone()),
        };
        assert_eq!(
            allow.to_json(),
            json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow",
                "permissionDecisionReason": "ok", "updatedInput": {"command": "ls"}}})
        );
        let deny = Decision::Deny("no".into()).to_json();
        assert_eq!(deny["hookSpecificOutput"]["permissionDecision"], "deny");
        assert!(deny["hookSpecificOutput"].get("updatedInput").is_none());
        assert_eq!(
            Decision::Ask("?".into()).to_json()["hookSpecificOutput"]["permissionDecision"],
            "ask"
        );
    }

    #[test]
    fn summaries_name_the_command_or_the_path() {
        let input = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            summary("Bash", &input(json!({"command": "rm -rf x"}))),
            "Run `rm -rf x`"
        );
        assert_eq!(
            summary("Write", &input(json!({"file_path": "/a", "content": "x"}))),
            "Write /a"
        );
        assert_eq!(
            summary("Edit", &input(json!({"file_path": "/b"}))),
            "Edit /b"
        );
        assert!(
            summary("mcp__gh__merge", &input(json!({"pr": 3}))).starts_with("mcp__gh__merge: pr=3")
        );
    }

    #[test]
    fn an_edit_keeps_the_tools_keys() {
        let input = json!({"command": "ls", "timeout": 5});
        let input = input.as_object().unwrap();
        let edit = |v: Value| v.as_object().unwrap().clone();
        assert!(keeps_keys(input, &edit(json!({"command": "ls -l", "timeout": 5}))).is_ok());
        assert!(keeps_keys(input, &edit(json!({"command": "ls"}))).is_err());
        assert!(keeps_keys(input, &edit(json!({"command": "ls", "timeout": 5, "x": 1}))).is_err());
    }
}
