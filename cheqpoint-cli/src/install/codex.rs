//! Codex's configuration: `.codex/config.toml` in the project, or `~/.codex/config.toml`, edited
//! with `toml_edit` so comments and the rest of the file stay as they were. The hook is a
//! matcher group in `[[hooks.PreToolUse]]` and in `[[hooks.PermissionRequest]]` (asked when a
//! call needs Codex's approval) whose `[[hooks.EVENT.hooks]]` handler runs `cheqpoint hook codex`
//! with a `timeout` in seconds. With `--mcp`, each `[mcp_servers.NAME]` that starts a command
//! runs through `cheqpoint mcp` (`wrap_servers`). Codex has no setting that makes a failed
//! hook block, and runs a hook only once a person has trusted it (`/hooks`), or with
//! `--dangerously-bypass-hook-trust` for automation that vets its hooks.

use std::path::PathBuf;

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, TableLike, Value, value};

use super::{Scope, Setup, mcp};

pub(super) fn path(setup: &Setup) -> Result<PathBuf, String> {
    Ok(match setup.scope {
        Scope::Project => setup.project.join(".codex/config.toml"),
        Scope::User => setup.home.join(".codex/config.toml"),
    })
}

fn parse(text: Option<&str>) -> Result<DocumentMut, String> {
    text.unwrap_or_default()
        .parse::<DocumentMut>()
        .map_err(|error| error.to_string())
}

/// The events the hook answers.
pub(super) const EVENTS: [&str; 2] = ["PreToolUse", "PermissionRequest"];

/// Removes cheqpoint's handlers from `[[hooks.EVENT]]` for each of [`EVENTS`], then what that
/// left empty.
fn remove_ours(doc: &mut DocumentMut) -> Result<(), String> {
    let Some(hooks) = doc.get_mut("hooks") else {
        return Ok(());
    };
    let hooks = hooks.as_table_like_mut().ok_or("`hooks` is not a table")?;
    let ours = |handler: &Table| {
        handler
            .get("command")
            .and_then(Item::as_str)
            .is_some_and(|command| command.contains("cheqpoint hook "))
    };
    for event in EVENTS {
        let Some(groups) = hooks.get_mut(event) else {
            continue;
        };
        let groups = groups
            .as_array_of_tables_mut()
            .ok_or_else(|| format!("`hooks.{event}` is not an array of tables"))?;
        groups.retain(
            |group| match group.get("hooks").and_then(Item::as_array_of_tables) {
                Some(handlers) => handlers.iter().any(|handler| !ours(handler)),
                None => true,
            },
        );
        for group in groups.iter_mut() {
            if let Some(handlers) = group
                .get_mut("hooks")
                .and_then(Item::as_array_of_tables_mut)
            {
                handlers.retain(|handler| !ours(handler));
            }
        }
        if groups.is_empty() {
            hooks.remove(event);
        }
    }
    if hooks.is_empty() {
        doc.remove("hooks");
    }
    Ok(())
}

pub(super) fn add(text: Option<&str>, setup: &Setup) -> Result<String, String> {
    let mut doc = parse(text)?;
    remove_ours(&mut doc)?;
    let hooks = doc.entry("hooks").or_insert_with(|| {
        let mut table = Table::new();
        table.set_implicit(true);
        Item::Table(table)
    });
    let hooks = hooks.as_table_like_mut().ok_or("`hooks` is not a table")?;
    for event in EVENTS {
        let mut handler = Table::new();
        handler["type"] = value("command");
        handler["command"] = value(setup.command("codex"));
        handler["timeout"] = value(i64::try_from(setup.timeout.as_secs()).unwrap_or(i64::MAX));
        let mut handlers = ArrayOfTables::new();
        handlers.push(handler);
        let mut group = Table::new();
        group["matcher"] = value(setup.matcher(DEFAULT_TOOLS));
        group.insert("hooks", Item::ArrayOfTables(handlers));
        hooks
            .entry(event)
            .or_insert(Item::ArrayOfTables(ArrayOfTables::new()))
            .as_array_of_tables_mut()
            .ok_or_else(|| format!("`hooks.{event}` is not an array of tables"))?
            .push(group);
    }
    Ok(doc.to_string())
}

pub(super) fn remove(text: &str) -> Result<String, String> {
    let mut doc = parse(Some(text))?;
    remove_ours(&mut doc)?;
    Ok(doc.to_string())
}

/// The variables the gateway needs. A `[mcp_servers.NAME]` that starts a command is `{command,
/// args?, env?, env_vars?, cwd?, startup_timeout_sec?, tool_timeout_sec?, enabled?, …}` (Codex's
/// `docs/config.md`, "MCP integration", and the configuration types inside Codex 0.169.0); Codex
/// starts the server with a short list of variables of its own (`HOME`, `PATH`, …), its `env`,
/// and the variables `env_vars` names, so these are named there.
const ENV_VARS: [&str; 2] = ["CHEQPOINT_API_KEY", "CHEQPOINT_BASE_URL"];

/// What Codex waits for a tool call when `tool_timeout_sec` is not given.
const DEFAULT_TOOL_TIMEOUT_SEC: f64 = 60.0;

/// Each `[mcp_servers.NAME]` that starts a command, as `(name, table)`.
fn servers(doc: &mut DocumentMut) -> Result<Vec<(String, &mut dyn TableLike)>, String> {
    let Some(servers) = doc.get_mut("mcp_servers") else {
        return Ok(Vec::new());
    };
    let servers = servers
        .as_table_like_mut()
        .ok_or("`mcp_servers` is not a table")?;
    Ok(servers
        .iter_mut()
        .filter_map(|(name, entry)| {
            let entry = entry.as_table_like_mut()?;
            entry.get("command").and_then(Item::as_str)?;
            Some((name.get().to_owned(), entry))
        })
        .collect())
}

fn args_of(name: &str, entry: &dyn TableLike) -> Result<Vec<String>, String> {
    match entry.get("args") {
        None => Ok(Vec::new()),
        Some(args) => args
            .as_array()
            .and_then(|args| {
                args.iter()
                    .map(|arg| arg.as_str().map(str::to_owned))
                    .collect()
            })
            .ok_or_else(|| format!("`mcp_servers.{name}.args` is not a list of strings")),
    }
}

/// The names an `env_vars` list holds (a name, or `{ name = …, source = … }`).
fn env_var_names(list: Option<&Item>) -> Vec<String> {
    list.and_then(Item::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|item| match item {
                    Value::InlineTable(table) => table.get("name").and_then(Value::as_str),
                    other => other.as_str(),
                })
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn seconds(item: Option<&Item>) -> Option<f64> {
    let item = item?;
    item.as_float()
        .or_else(|| item.as_integer().map(|secs| secs as f64))
}

/// Every server that starts a command runs through `cheqpoint mcp`, with the gateway's
/// variables in `env_vars` and `tool_timeout_sec` long enough for a person.
pub(super) fn wrap_servers(text: &str, setup: &Setup) -> Result<String, String> {
    let mut doc = parse(Some(text))?;
    let needed = mcp::TOOL_TIMEOUT.as_secs();
    for (name, entry) in servers(&mut doc)? {
        let args = args_of(&name, entry)?;
        let command = entry
            .get("command")
            .and_then(Item::as_str)
            .unwrap_or_default()
            .to_owned();
        if mcp::unwrap(&command, &args).is_none() {
            let (command, args) = mcp::wrap(&name, &command, &args, setup);
            entry.insert("command", value(command));
            entry.insert("args", value(Array::from_iter(args)));
        }
        let names = env_var_names(entry.get("env_vars"));
        let missing: Vec<&str> = ENV_VARS
            .into_iter()
            .filter(|var| !names.iter().any(|name| name == var))
            .collect();
        if !missing.is_empty() {
            let list = entry
                .entry("env_vars")
                .or_insert(value(Array::new()))
                .as_array_mut()
                .ok_or_else(|| format!("`mcp_servers.{name}.env_vars` is not a list"))?;
            list.extend(missing);
        }
        let waits = seconds(entry.get("tool_timeout_sec")).unwrap_or(DEFAULT_TOOL_TIMEOUT_SEC);
        if waits < needed as f64 {
            entry.insert(
                "tool_timeout_sec",
                value(i64::try_from(needed).unwrap_or(i64::MAX)),
            );
        }
    }
    Ok(doc.to_string())
}

/// Undoes [`wrap_servers`]; `original` is the file before install (its backup), whose server
/// of the same name says what `env_vars` and `tool_timeout_sec` were.
pub(super) fn unwrap_servers(text: &str, original: Option<&str>) -> Result<String, String> {
    let mut doc = parse(Some(text))?;
    let original = original.and_then(|text| text.parse::<toml::Table>().ok());
    for (name, entry) in servers(&mut doc)? {
        let args = args_of(&name, entry)?;
        let command = entry
            .get("command")
            .and_then(Item::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some((command, args)) = mcp::unwrap(&command, &args) else {
            continue;
        };
        let before = original
            .as_ref()
            .and_then(|original| original.get("mcp_servers")?.get(&name)?.as_table())
            .filter(|before| before.get("command").and_then(toml::Value::as_str) == Some(&command));
        entry.insert("command", value(command.as_str()));
        if args.is_empty() && before.is_none_or(|before| !before.contains_key("args")) {
            entry.remove("args");
        } else {
            entry.insert("args", value(Array::from_iter(args)));
        }
        let kept: Vec<&str> = before
            .and_then(|before| before.get("env_vars")?.as_array())
            .map(|list| {
                list.iter()
                    .filter_map(|item| item.as_str().or_else(|| item.get("name")?.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(list) = entry.get_mut("env_vars").and_then(Item::as_array_mut) {
            list.retain(|item| {
                item.as_str()
                    .is_none_or(|var| !ENV_VARS.contains(&var) || kept.contains(&var))
            });
            let had = before.is_some_and(|before| before.contains_key("env_vars"));
            if list.is_empty() && !had {
                entry.remove("env_vars");
            }
        }
        if let Some(before) = before {
            match before.get("tool_timeout_sec") {
                Some(toml::Value::Integer(secs)) => {
                    entry.insert("tool_timeout_sec", value(*secs));
                }
                Some(toml::Value::Float(secs)) => {
                    entry.insert("tool_timeout_sec", value(*secs));
                }
                _ => {
                    entry.remove("tool_timeout_sec");
                }
            }
        }
    }
    Ok(doc.to_string())
}

/// The tools gated when `gate.toml` names none: the shell (`Bash` in Codex's hooks) and patches.
const DEFAULT_TOOLS: &[&str] = &["Bash", "apply_patch"];

pub(super) const NOTES: &[&str] = &[
    "Codex runs a call whose hook fails or times out, and has no setting against it: the hook answers deny before its timeout.",
    "Codex runs a new hook only once it is trusted: open /hooks in Codex to review and trust it (or pass --dangerously-bypass-hook-trust where the hooks are vetted).",
];
