//! The one call from a hook into the gate: the action (`AGENT.TOOL`), the scope of the call's
//! identity (the agent's session: the library keys a call by its action and canonical input
//! within it, never by the agent's id for the tool use, which Claude Code makes anew for a
//! retry), the edit check (the tool's schema where the adapter knows it, else the same keys), the
//! time the gate waits and the hook's own deadline, and how it ended (`Decided`) in the
//! library's words. Nothing else in `hooks/` calls the gate.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{agent::Agent, answer::Decided, event::Event};
use crate::{
    config::GateConfig,
    gate::{Ask, EditRefusal, Gatekeeper, Outcome},
    schema::check_edit,
};

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
    gate: &Gatekeeper,
    config: &GateConfig,
) -> Decided {
    let rule = config.rule(&event.tool);
    let wait = wait(config, &event.tool);
    let name = agent.facts().name;
    let ask = Ask {
        action: format!("{}.{}", agent.facts().action, event.tool),
        tool: event.tool.clone(),
        // The session's folder as the event names it; the hook's own only when it names none.
        cwd: event
            .cwd
            .clone()
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default(),
        summary: event.summary.clone(),
        risk: rule.and_then(|rule| rule.risk),
        agent: Some(match &event.session {
            Some(session) => format!("{name} (session {session})"),
            None => name.to_owned(),
        }),
        traceparent: None,
        timeout: Some(wait),
        readonly: rule.map(|rule| rule.readonly.clone()).unwrap_or_default(),
        scope: Some(format!(
            "{name}/{}",
            event.session.as_deref().unwrap_or("no-session")
        )),
        session: event.session.clone(),
        watch: Default::default(),
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
            return Decided::Undecided(format!(
                "cheqpoint could not get a decision for {} within {} s; the tool call was not run",
                ask.action,
                (wait + GRACE).as_secs()
            ));
        }
    };
    let words = gate.words(&ask.action);
    match verdict {
        Outcome::Ran {
            approval_id,
            output,
            changes,
        } => match words.ran_with_edit(&changes) {
            Some(changed) => Decided::Allow {
                input: output,
                edited: true,
                reason: format!("Approved in cheqpoint ({approval_id}). {changed}"),
            },
            None => Decided::Allow {
                input: output,
                edited: false,
                reason: format!("Approved in cheqpoint ({approval_id})."),
            },
        },
        Outcome::Allowed { ruling, output } => Decided::Allow {
            input: output,
            edited: false,
            reason: format!("Allowed by cheqpoint's rules ({ruling}), with no request."),
        },
        Outcome::Refused(error @ cheqpoint::Error::Timeout { .. }) => {
            Decided::Undecided(words.not_run(&error))
        }
        Outcome::Refused(error) => Decided::Deny(words.not_run(&error)),
    }
}

/// An edit runs only when it fits the tool: its input schema where the adapter knows it, else
/// the call's own keys (none added, none removed).
fn check(event: &Event, edit: &Map<String, Value>) -> Result<(), EditRefusal> {
    match event.schema.and_then(Value::as_object) {
        Some(schema) => check_edit(schema, edit).map_err(|refusal| EditRefusal {
            reason: format!("{} does not take it: {}", event.tool, refusal.reason),
            ..refusal
        }),
        None => same_keys(&event.tool, &event.input, edit),
    }
}

/// For a tool whose schema the hook does not know: the edit keeps the call's keys.
fn same_keys(
    tool: &str,
    input: &Map<String, Value>,
    edit: &Map<String, Value>,
) -> Result<(), EditRefusal> {
    let refusal = |key: &str, what: &str| EditRefusal {
        path: format!("/{key}"),
        reason: format!(
            "the edit {what} `{key}`; cheqpoint has no input schema for {tool}, so an edit must keep the keys the call had"
        ),
    };
    if let Some(key) = input.keys().find(|key| !edit.contains_key(*key)) {
        return Err(refusal(key, "removed"));
    }
    if let Some(key) = edit.keys().find(|key| !input.contains_key(*key)) {
        return Err(refusal(key, "added"));
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
            cwd: None,
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
        assert_eq!(removed.path, "/b");
        assert!(
            removed.reason.starts_with("the edit removed `b`"),
            "{removed:?}"
        );
        assert!(
            removed.reason.contains("no input schema for mcp__x__y"),
            "{removed:?}"
        );
        let added = check(&call, &map(json!({"a": 1, "b": 2, "c": 3}))).unwrap_err();
        assert!(added.reason.starts_with("the edit added `c`"), "{added:?}");
    }

    #[test]
    fn a_known_tools_edit_fits_its_schema() {
        let schema = crate::hooks::claude_code_tools::schema("Bash");
        let call = event("Bash", json!({"command": "ls"}), schema);
        assert!(check(&call, &map(json!({"command": "ls -l", "timeout": 5000}))).is_ok());
        let wrong = check(&call, &map(json!({"command": "ls", "timeout": "5"}))).unwrap_err();
        assert_eq!(wrong.path, "/timeout");
        assert!(
            wrong.reason.starts_with("Bash does not take it"),
            "{wrong:?}"
        );
    }
}
