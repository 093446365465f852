//! Codex's configuration: `.codex/config.toml` in the project, or `~/.codex/config.toml`, edited
//! with `toml_edit` so comments and the rest of the file stay as they were. The hook is a
//! matcher group in `[[hooks.PreToolUse]]` and in `[[hooks.PermissionRequest]]` (asked when a
//! call needs Codex's approval) whose `[[hooks.EVENT.hooks]]` handler runs `cheqpoint hook codex`
//! with a `timeout` in seconds. Codex has no setting that makes a failed
//! hook block, and runs a hook only once a person has trusted it (`/hooks`), or with
//! `--dangerously-bypass-hook-trust` for automation that vets its hooks.

use std::path::PathBuf;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use super::{Scope, Setup};

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

/// The tools gated when `gate.toml` names none: the shell (`Bash` in Codex's hooks) and patches.
const DEFAULT_TOOLS: &[&str] = &["Bash", "apply_patch"];

pub(super) const NOTES: &[&str] = &[
    "Codex runs a call whose hook fails or times out, and has no setting against it: the hook answers deny before its timeout.",
    "Codex runs a new hook only once it is trusted: open /hooks in Codex to review and trust it (or pass --dangerously-bypass-hook-trust where the hooks are vetted).",
];
