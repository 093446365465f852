//! `install AGENT --mcp`: every MCP server the agent starts (an entry of its server table with a
//! `command`) started through `cheqpoint mcp` instead, which gates each of that server's tools:
//! `command = "cheqpoint"`, `args = ["mcp", "--name", NAME, "--gate", "*", …, "--", COMMAND,
//! ARGS…]`. The entry's `env` and every other key stay; the variables the gateway needs and the
//! agent does not hand its servers are added by reference, never by value; the agent's tool-call
//! timeout is raised to outlast the gateway's wait. A server reached by URL is left as it is.
//!
//! Uninstall takes the server's own command and arguments back from after the `--`, and each
//! key install added or raised back from the original (the backup) where it has the entry.
//! This file holds the command line, where the servers are listed (`Place`), and the JSON
//! agents' entries; Codex's TOML table is in `codex`.

use std::{path::PathBuf, time::Duration};

use super::{Setup, json::Json};

/// How long a tool call may take through the gateway: its wait for a decision (the client's
/// default, with no `gate.toml`) and a minute to spare.
pub(super) const TOOL_TIMEOUT: Duration =
    Duration::from_secs(cheqpoint::DEFAULT_TIMEOUT.as_secs() + 60);

/// The program a wrapped entry runs in place of its server's.
const PROGRAM: &str = "cheqpoint";

/// `command` and `args` of a server entry started through `cheqpoint mcp` as `name`.
pub(super) fn wrap(
    name: &str,
    command: &str,
    args: &[String],
    setup: &Setup,
) -> (String, Vec<String>) {
    let mut wrapped: Vec<String> = ["mcp", "--name", name, "--gate", "*"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    if let Some(journal) = &setup.journal {
        wrapped.extend(["--journal".to_owned(), journal.clone()]);
    }
    wrapped.push("--".to_owned());
    wrapped.push(command.to_owned());
    wrapped.extend(args.iter().cloned());
    (PROGRAM.to_owned(), wrapped)
}

/// The server's own `command` and `args` when `command`/`args` are a wrapping of them.
pub(super) fn unwrap(command: &str, args: &[String]) -> Option<(String, Vec<String>)> {
    if command != PROGRAM || args.first().map(String::as_str) != Some("mcp") {
        return None;
    }
    let dash = args.iter().position(|arg| arg == "--")?;
    let (own, rest) = args[dash + 1..].split_first()?;
    Some((own.clone(), rest.to_vec()))
}

/// What a JSON agent's server entries get besides the wrapping.
pub(super) struct JsonServers {
    /// `env` entries added where the entry has none of that name: `(name, reference)`.
    pub env: &'static [(&'static str, &'static str)],
    /// The tool-call timeout's key (in milliseconds) and what the agent waits without it
    /// (`None`: not known, so it is written).
    pub timeout: Option<(&'static str, Option<u64>)>,
}

/// Where an agent lists MCP servers: a file, and the keys down to its table of servers
/// (`["mcpServers"]`; Claude Code's local scope, `["projects", PROJECT, "mcpServers"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Place {
    /// The file.
    pub path: PathBuf,
    /// The keys down to the table (JSON files; Codex's table is `mcp_servers`).
    pub table: Vec<String>,
}

impl Place {
    /// The table `mcpServers` at the top of `path`.
    pub(super) fn top(path: PathBuf) -> Place {
        Place {
            path,
            table: vec!["mcpServers".to_owned()],
        }
    }
}

/// The value at `keys` under `doc`.
fn at<'a>(doc: &'a Json, keys: &[String]) -> Option<&'a Json> {
    keys.iter().try_fold(doc, |node, key| node.get(key))
}

/// The value at `keys` under `doc`, mutable.
fn at_mut<'a>(doc: &'a mut Json, keys: &[String]) -> Option<&'a mut Json> {
    keys.iter().try_fold(doc, |node, key| node.get_mut(key))
}

fn strings(value: Option<&Json>) -> Option<Vec<String>> {
    match value {
        None => Some(Vec::new()),
        Some(Json::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect(),
        Some(_) => None,
    }
}

fn string_array(items: &[String]) -> Json {
    Json::Array(items.iter().map(|item| Json::string(item)).collect())
}

/// The milliseconds a tool call may take through the gateway.
fn timeout_millis() -> u64 {
    u64::try_from(TOOL_TIMEOUT.as_millis()).unwrap_or(u64::MAX)
}

fn millis(value: Option<&Json>) -> Option<u64> {
    match value {
        Some(Json::Scalar(number)) => number.as_u64(),
        _ => None,
    }
}

/// Wraps every server entry of `doc`'s `table` that starts a command and is not wrapped yet, and sees to
/// its `env` and timeout.
pub(super) fn wrap_json(
    doc: &mut Json,
    table: &[String],
    spec: &JsonServers,
    setup: &Setup,
) -> Result<(), String> {
    let name = table.join(".");
    let Some(servers) = at_mut(doc, table) else {
        return Ok(());
    };
    let Json::Object(entries) = servers else {
        return Err(format!("`{name}` is not an object"));
    };
    let table = name;
    for (name, entry) in entries.iter_mut() {
        let Some(command) = entry.get("command").and_then(Json::as_str) else {
            continue;
        };
        let args = strings(entry.get("args"))
            .ok_or_else(|| format!("`{table}.{name}.args` is not a list of strings"))?;
        if unwrap(command, &args).is_none() {
            let (command, args) = wrap(name, command, &args, setup);
            entry.set("command", Json::string(&command))?;
            entry.set("args", string_array(&args))?;
        }
        if !spec.env.is_empty() {
            let env = entry.entry("env", Json::object())?;
            for (key, reference) in spec.env {
                if env.get(key).is_none() {
                    env.set(key, Json::string(reference))?;
                }
            }
        }
        if let Some((key, default)) = spec.timeout {
            let waits = millis(entry.get(key)).or(default);
            if waits.is_none_or(|waits| waits < timeout_millis()) {
                entry.set(key, Json::number(timeout_millis()))?;
            }
        }
    }
    Ok(())
}

/// Undoes [`wrap_json`] on every wrapped entry of `doc`'s `table`; `original` is the file before install
/// (its backup), whose entry of the same name says what each added or raised key was.
pub(super) fn unwrap_json(
    doc: &mut Json,
    table: &[String],
    spec: &JsonServers,
    original: Option<&Json>,
) -> Result<(), String> {
    let Some(Json::Object(entries)) = at_mut(doc, table) else {
        return Ok(());
    };
    for (name, entry) in entries.iter_mut() {
        let Some(command) = entry.get("command").and_then(Json::as_str) else {
            continue;
        };
        let Some((command, args)) =
            strings(entry.get("args")).and_then(|args| unwrap(command, &args))
        else {
            continue;
        };
        let before = original
            .and_then(|original| at(original, table))
            .and_then(|servers| servers.get(name))
            .filter(|before| before.get("command").and_then(Json::as_str) == Some(&command));
        entry.set("command", Json::string(&command))?;
        if args.is_empty() && before.is_none_or(|before| before.get("args").is_none()) {
            entry.remove("args");
        } else {
            entry.set("args", string_array(&args))?;
        }
        let env_before = before.and_then(|before| before.get("env"));
        if let Some(env) = entry.get_mut("env") {
            for (key, reference) in spec.env {
                match env_before.and_then(|env| env.get(key)) {
                    Some(value) => env.set(key, value.clone())?,
                    None if env.get(key).and_then(Json::as_str) == Some(reference) => {
                        env.remove(key)
                    }
                    None => {}
                }
            }
            if env.is_empty() && env_before.is_none() {
                entry.remove("env");
            }
        }
        if let (Some((key, _)), Some(before)) = (spec.timeout, before) {
            match before.get(key) {
                Some(value) => entry.set(key, value.clone())?,
                None => entry.remove(key),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(journal: Option<&str>) -> Setup {
        Setup {
            scope: super::super::Scope::Project,
            home: "/h".into(),
            project: "/p".into(),
            hook_args: Vec::new(),
            tools: Vec::new(),
            timeout: Duration::from_secs(70),
            mcp: true,
            journal: journal.map(str::to_owned),
        }
    }

    #[test]
    fn the_command_line_wraps_and_unwraps() {
        let args = vec!["-y".to_owned(), "--".to_owned(), "server".to_owned()];
        let (command, wrapped) = wrap("gh", "npx", &args, &setup(Some("/j.db")));
        assert_eq!(command, "cheqpoint");
        assert_eq!(
            wrapped.join(" "),
            "mcp --name gh --gate * --journal /j.db -- npx -y -- server"
        );
        assert_eq!(unwrap(&command, &wrapped), Some(("npx".into(), args)));
        assert_eq!(unwrap("npx", &wrapped), None);
        assert_eq!(unwrap("cheqpoint", &["mcp".into(), "--".into()]), None);
        assert_eq!(unwrap("cheqpoint", &["hook".into()]), None);
    }
}
