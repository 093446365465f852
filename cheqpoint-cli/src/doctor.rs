//! `cheqpoint doctor`: a machine's wiring checked end to end for each agent whose configuration
//! runs `cheqpoint hook`: the binary on the `PATH`, the API key, the service answering with it,
//! the hook on each event install writes (`PermissionRequest` beside `PreToolUse` where the agent
//! has it), the hook's timeout in the agent's configuration against the time the hook needs, the agent's
//! fail-closed setting, and a test event through the hook answered with that agent's deny. Each
//! finding says what to fix.

use std::{path::Path, process::Stdio, time::Duration};

use tokio::io::AsyncWriteExt;

use crate::{
    config::GateConfig,
    hooks::{self, Agent},
    install::{self, Scope, Setup},
};

/// One finding: what was checked, and what to fix when it is not right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was checked, and what was found.
    pub check: String,
    /// What to do, when something must change.
    pub fix: Option<String>,
}

impl Finding {
    fn ok(check: String) -> Finding {
        Finding { check, fix: None }
    }

    fn fix(check: String, fix: String) -> Finding {
        Finding {
            check,
            fix: Some(fix),
        }
    }
}

/// The hook entry an agent's configuration holds: its command and timeout (in seconds).
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    command: String,
    timeout: Option<f64>,
    fail_closed: Option<bool>,
}

/// Finds the object holding `cheqpoint hook AGENT` in a parsed configuration.
fn entry(agent: Agent, doc: &serde_json::Value) -> Option<Entry> {
    let needle = format!("cheqpoint hook {}", agent.facts().name);
    match doc {
        serde_json::Value::Object(object) => {
            let command = object
                .values()
                .filter_map(serde_json::Value::as_str)
                .find(|text| text.contains(&needle));
            match command {
                Some(command) => {
                    let number = |key: &str| object.get(key).and_then(serde_json::Value::as_f64);
                    let timeout = match agent {
                        Agent::Gemini => number("timeout").map(|ms| ms / 1000.0),
                        Agent::Copilot => number("timeoutSec"),
                        _ => number("timeout"),
                    };
                    Some(Entry {
                        command: command.to_owned(),
                        timeout,
                        fail_closed: object
                            .get("failClosed")
                            .and_then(serde_json::Value::as_bool),
                    })
                }
                None => object.values().find_map(|value| entry(agent, value)),
            }
        }
        serde_json::Value::Array(items) => items.iter().find_map(|value| entry(agent, value)),
        _ => None,
    }
}

/// Reads `path` (JSON, or TOML for Codex) as a JSON value.
fn parse(agent: Agent, path: &Path) -> Option<Result<serde_json::Value, String>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(match agent {
        Agent::Codex => text
            .parse::<toml::Table>()
            .map_err(|e| e.to_string())
            .and_then(|table| serde_json::to_value(table).map_err(|e| e.to_string())),
        _ => serde_json::from_str(&text).map_err(|e| e.to_string()),
    })
}

/// The findings for every agent installed in `setup`'s project or user folder; `gate` is the
/// configuration the hooks run with, for the time they need.
pub async fn check(setup: &Setup, gate: &GateConfig) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.push(match on_path("cheqpoint") {
        Some(path) => Finding::ok(format!("cheqpoint is on the PATH: {}", path.display())),
        None => Finding::fix(
            "cheqpoint is not on the PATH".into(),
            "install it where the agents look (cargo install cheqpoint-cli), or put its folder on the PATH they run with".into(),
        ),
    });
    findings.extend(service().await);
    let needed = hooks::wait(gate, "") + hooks::GRACE;
    let mut any = false;
    for agent in Agent::ALL {
        for scope in [Scope::Project, Scope::User] {
            let setup = Setup {
                scope,
                ..setup.clone()
            };
            let Ok(path) = install::path(agent, &setup) else {
                continue;
            };
            let name = agent.facts().name;
            let Some(parsed) = parse(agent, &path) else {
                continue;
            };
            let doc = match parsed {
                Ok(doc) => doc,
                Err(error) => {
                    findings.push(Finding::fix(
                        format!("{name}: {} cannot be parsed ({error})", path.display()),
                        "fix the file; the agent cannot read it either".into(),
                    ));
                    continue;
                }
            };
            let Some(entry) = entry(agent, &doc) else {
                continue;
            };
            any = true;
            findings.push(Finding::ok(format!(
                "{name}: hook installed in {}",
                path.display()
            )));
            findings.push(events_finding(agent, &doc));
            findings.push(timeout_finding(agent, &entry, needed));
            findings.push(match (agent, entry.fail_closed) {
                (Agent::Cursor, Some(true)) => Finding::ok(format!("{name}: failClosed is on")),
                (Agent::Cursor, _) => Finding::fix(
                    format!("{name}: failClosed is off: a failed hook lets the call run"),
                    format!("cheqpoint install {name} sets it"),
                ),
                _ => Finding::ok(format!(
                    "{name}: has no fail-closed setting; the hook answers deny within {} s",
                    needed.as_secs()
                )),
            });
            findings.push(test_event(agent, &entry).await);
        }
    }
    if !any {
        findings.push(Finding::fix(
            "no agent's configuration runs cheqpoint hook".into(),
            "cheqpoint install AGENT (claude-code, codex, gemini, cursor, copilot)".into(),
        ));
    }
    findings
}

/// Whether the hook is on every event install writes for `agent` (Claude Code's and Codex's
/// `PermissionRequest` beside `PreToolUse`).
fn events_finding(agent: Agent, doc: &serde_json::Value) -> Finding {
    let name = agent.facts().name;
    let events = install::events(agent);
    let missing: Vec<&str> = events
        .iter()
        .copied()
        .filter(|event| entry(agent, &doc["hooks"][*event]).is_none())
        .collect();
    if missing.is_empty() {
        Finding::ok(format!("{name}: the hook is on {}", events.join(" and ")))
    } else {
        Finding::fix(
            format!(
                "{name}: no hook on {}: those calls are not asked for",
                missing.join(" and ")
            ),
            format!("cheqpoint install {name} writes it"),
        )
    }
}

fn timeout_finding(agent: Agent, entry: &Entry, needed: Duration) -> Finding {
    let name = agent.facts().name;
    match entry.timeout {
        Some(timeout) if timeout > needed.as_secs_f64() => Finding::ok(format!(
            "{name}: the hook's timeout ({timeout} s) is longer than the {} s the hook may take",
            needed.as_secs()
        )),
        Some(timeout) => Finding::fix(
            format!(
                "{name}: the hook's timeout ({timeout} s) is not longer than the {} s the hook may take: the agent gives up first",
                needed.as_secs()
            ),
            format!("cheqpoint install {name} (with the same --config) writes a longer one"),
        ),
        None => Finding::fix(
            format!("{name}: the hook has no timeout of its own: the agent's default applies"),
            format!("cheqpoint install {name} writes one"),
        ),
    }
}

/// The key, and the service answering with it: a read of a request that does not exist is
/// answered "not found" by a service that took the key.
async fn service() -> Vec<Finding> {
    let key = ["CHEQPOINT_API_KEY", "CHEQPOINT_CONNECTION_KEY"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|key| !key.is_empty()));
    let Some(key) = key else {
        return vec![Finding::fix(
            "no API key in CHEQPOINT_API_KEY".into(),
            "export CHEQPOINT_API_KEY where the agents run (and CHEQPOINT_BASE_URL for a local emulator)".into(),
        )];
    };
    let base_url = std::env::var("CHEQPOINT_BASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| cheqpoint::DEFAULT_BASE_URL.to_owned());
    let client = match cheqpoint::Client::builder()
        .api_key(key)
        .base_url(&base_url)
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            return vec![Finding::fix(
                format!("the client cannot be built: {error}"),
                "check CHEQPOINT_BASE_URL".into(),
            )];
        }
    };
    let read = tokio::time::timeout(
        Duration::from_secs(10),
        client.get_request("req_cheqpoint_doctor"),
    )
    .await;
    let found = match read {
        Err(_) => Finding::fix(
            format!("{base_url} did not answer within 10 s"),
            "check the network and CHEQPOINT_BASE_URL".into(),
        ),
        Ok(Ok(_)) | Ok(Err(cheqpoint::Error::Api { status: 404, .. })) => {
            Finding::ok(format!("{base_url} answers and takes the key"))
        }
        Ok(Err(cheqpoint::Error::Api {
            status: 401 | 403, ..
        })) => Finding::fix(
            format!("{base_url} refuses the key"),
            "set CHEQPOINT_API_KEY to a key of this workspace".into(),
        ),
        Ok(Err(error)) => Finding::fix(
            format!("{base_url} does not answer as the service does: {error}"),
            "check CHEQPOINT_BASE_URL and that the service is up".into(),
        ),
    };
    vec![Finding::ok("an API key is set".into()), found]
}

/// Runs the installed hook command on an event of no kind the hook handles: it must answer with
/// that agent's deny, and ask no one.
async fn test_event(agent: Agent, entry: &Entry) -> Finding {
    let name = agent.facts().name;
    let event = serde_json::json!({"hook_event_name": "CheqpointDoctor", "tool_name": "none"});
    let run = async {
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(&entry.command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(event.to_string().as_bytes()).await?;
        }
        child.wait_with_output().await
    };
    match tokio::time::timeout(Duration::from_secs(30), run).await {
        Ok(Ok(output)) => {
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            let expected = agent.refuse_unread("");
            let denied = output.status.code() == Some(i32::from(expected.code))
                && said.contains("could not read the event");
            if denied {
                Finding::ok(format!(
                    "{name}: a test event through the hook was denied, as it must be"
                ))
            } else {
                Finding::fix(
                    format!(
                        "{name}: the hook did not answer a test event with a deny: {}",
                        said.trim()
                    ),
                    format!("run `{}` by hand to see why", entry.command),
                )
            }
        }
        Ok(Err(error)) => Finding::fix(
            format!("{name}: the hook command cannot run: {error}"),
            "check that a shell and cheqpoint are on the PATH".into(),
        ),
        Err(_) => Finding::fix(
            format!("{name}: the hook did not answer a test event within 30 s"),
            format!("run `{}` by hand to see why", entry.command),
        ),
    }
}

/// Where `program` is on the `PATH`.
fn on_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|folder| folder.join(program))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_entry_and_its_timeout_in_each_agents_units() {
        let claude = json!({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
            {"type": "command", "command": "lint"},
            {"type": "command", "command": "cheqpoint hook claude-code", "timeout": 70}]}]}});
        let found = entry(Agent::ClaudeCode, &claude).unwrap();
        assert_eq!(found.timeout, Some(70.0));
        let gemini = json!({"hooks": {"BeforeTool": [{"hooks": [
            {"command": "cheqpoint hook gemini", "timeout": 70000}]}]}});
        assert_eq!(entry(Agent::Gemini, &gemini).unwrap().timeout, Some(70.0));
        assert_eq!(entry(Agent::Codex, &gemini), None);
        let short = Entry {
            command: String::new(),
            timeout: Some(30.0),
            fail_closed: None,
        };
        assert!(
            timeout_finding(Agent::ClaudeCode, &short, Duration::from_secs(60))
                .fix
                .is_some()
        );
    }
}
