//! The one call from a hook into the gate: the action (`AGENT.TOOL`), the call's identity, the
//! edit check (the tool's schema where the adapter knows it, else the same keys), the time the
//! gate waits and the hook's own deadline, and the verdict as an `Outcome`. Nothing else in
//! `hooks/` calls the gate.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{agent::Agent, answer::Outcome, event::Event};
use crate::gateway::{Ask, Gate, GateConfig, Verdict, call_key, check_edit, refused};

/// The most a hook waits for a decision unless `gate.toml` says otherwise. `cheqpoint install`
/// gives the agent a hook timeout longer than this wait and the hook's grace together.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(50);

/// How long past its wait a hook still has to answer (ask, journal, service): past it, the hook
/// answers deny on its own.
pub const GRACE: Duration = Duration::from_secs(10);

/// The time the gate waits for a decision on `tool`'s calls under `config`.
pub fn wait(config: &GateConfig, tool: &str) -> Duration {
    config
        .rule(tool)
        .and_then(|rule| rule.timeout)
        .or(config.timeout)
        .unwrap_or(DEFAULT_HOOK_TIMEOUT)
}

/// Asks for `event`'s call through `gate`, and says how it ended.
pub(super) async fn decide(
    agent: Agent,
    event: &Event,
    gate: &Gate,
    config: &GateConfig,
) -> Outcome {
    let rule = config.rule(&event.tool);
    let wait = wait(config, &event.tool);
    let name = agent.facts().name;
    let ask = Ask {
        action: format!("{}.{}", agent.facts().action, event.tool),
        summary: event.summary.clone(),
        risk: rule.and_then(|rule| rule.risk),
        agent: Some(match &event.session {
            Some(session) => format!("{name} (session {session})"),
            None => name.to_owned(),
        }),
        traceparent: None,
        timeout: Some(wait),
        readonly: rule.map(|rule| rule.readonly.clone()).unwrap_or_default(),
        key: identity(agent, event),
    };
    let check = |edit: &Map<String, Value>| check(event, edit);
    let asked = gate.decide(
        &ask,
        &event.input,
        check,
        |approved| async move { approved },
    );
    let verdict = match tokio::time::timeout(wait + GRACE, asked).await {
        Ok(verdict) => verdict,
        Err(_) => {
            return Outcome::Undecided(format!(
                "cheqpoint could not get a decision for {} within {} s; the tool call was not run",
                ask.action,
                (wait + GRACE).as_secs()
            ));
        }
    };
    match verdict {
        Verdict::Ran {
            approval_id,
            output,
            changed: Some(changed),
        } => Outcome::Allow {
            input: output,
            edited: true,
            reason: format!("Approved in cheqpoint ({approval_id}). {changed}."),
        },
        Verdict::Ran {
            approval_id,
            output,
            changed: None,
        } => Outcome::Allow {
            input: output,
            edited: false,
            reason: format!("Approved in cheqpoint ({approval_id})."),
        },
        Verdict::EditRefused {
            approval_id,
            reason,
        } => Outcome::Deny(format!(
            "The reviewer approved {} ({approval_id}) with an edit that cannot be used: {reason}. \
             The tool call is refused; making it again asks the reviewer again.",
            ask.action
        )),
        Verdict::Refused(error @ cheqpoint::Error::Timeout { .. }) => {
            Outcome::Undecided(refused(&ask.action, &error))
        }
        Verdict::Refused(error) => Outcome::Deny(refused(&ask.action, &error)),
    }
}

/// The call's identity: the agent, its session, the tool and the canonical input. Not the
/// agent's id for the tool use, which Claude Code makes anew for a retry: a retry after a
/// timeout re-attaches to the request still pending.
fn identity(agent: Agent, event: &Event) -> String {
    let session = event.session.as_deref().unwrap_or("-");
    call_key(
        "hook",
        &format!("{}/{session}", agent.facts().name),
        &event.tool,
        &event.input,
    )
}

/// An edit runs only when it fits the tool: its input schema where the adapter knows it, else
/// the call's own keys (none added, none removed).
fn check(event: &Event, edit: &Map<String, Value>) -> Result<(), String> {
    match event.schema {
        Some(schema) => {
            let schema = schema
                .as_object()
                .ok_or("the tool's schema is not an object")?;
            check_edit(schema, &Value::Object(edit.clone()))
                .map_err(|error| format!("{} does not take it: {error}", event.tool))
        }
        None => same_keys(&event.tool, &event.input, edit),
    }
}

/// For a tool whose schema the hook does not know: the edit keeps the call's keys.
fn same_keys(
    tool: &str,
    input: &Map<String, Value>,
    edit: &Map<String, Value>,
) -> Result<(), String> {
    let rule = format!(
        "cheqpoint has no input schema for {tool}, so an edit must keep the keys the call had"
    );
    if let Some(key) = input.keys().find(|key| !edit.contains_key(*key)) {
        return Err(format!("it removed `{key}`; {rule}"));
    }
    if let Some(key) = edit.keys().find(|key| !input.contains_key(*key)) {
        return Err(format!("it added `{key}`; {rule}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::event::{Edits, Powers};
    use serde_json::json;

    fn event(tool: &str, input: Value, schema: Option<&'static Value>) -> Event {
        Event {
            name: "PreToolUse".into(),
            tool: tool.into(),
            input: input.as_object().unwrap().clone(),
            session: Some("s1".into()),
            summary: String::new(),
            schema,
            powers: Powers {
                ask: true,
                edits: Edits::Replace,
            },
        }
    }

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn an_unknown_tools_edit_keeps_the_calls_keys() {
        let call = event("mcp__x__y", json!({"a": 1, "b": 2}), None);
        assert!(check(&call, &map(json!({"a": 3, "b": 2}))).is_ok());
        let removed = check(&call, &map(json!({"a": 1}))).unwrap_err();
        assert!(removed.starts_with("it removed `b`"), "{removed}");
        assert!(
            removed.contains("no input schema for mcp__x__y"),
            "{removed}"
        );
        let added = check(&call, &map(json!({"a": 1, "b": 2, "c": 3}))).unwrap_err();
        assert!(added.starts_with("it added `c`"), "{added}");
    }

    #[test]
    fn a_known_tools_edit_fits_its_schema() {
        let schema = crate::hooks::claude_code_tools::schema("Bash");
        let call = event("Bash", json!({"command": "ls"}), schema);
        assert!(check(&call, &map(json!({"command": "ls -l", "timeout": 5000}))).is_ok());
        let wrong = check(&call, &map(json!({"command": "ls", "timeout": "5"}))).unwrap_err();
        assert!(
            wrong.starts_with("Bash does not take it: at /timeout"),
            "{wrong}"
        );
    }

    #[test]
    fn the_identity_is_the_session_the_tool_and_the_input() {
        let a = event("Bash", json!({"command": "ls", "description": "x"}), None);
        let b = event("Bash", json!({"description": "x", "command": "ls"}), None);
        assert_eq!(
            identity(Agent::ClaudeCode, &a),
            identity(Agent::ClaudeCode, &b)
        );
        assert_ne!(identity(Agent::ClaudeCode, &a), identity(Agent::Codex, &a));
        let mut other_session = a.clone();
        other_session.session = Some("s2".into());
        assert_ne!(
            identity(Agent::ClaudeCode, &a),
            identity(Agent::ClaudeCode, &other_session)
        );
    }
}
