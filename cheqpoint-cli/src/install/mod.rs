//! `cheqpoint install AGENT` and `cheqpoint uninstall AGENT`: the agent's own configuration file
//! given cheqpoint's hook (a matcher for the tools `gate.toml` gates, a timeout longer than the
//! hook's own deadline, the agent's fail-closed setting where it has one), and with `--mcp` each
//! MCP server the agent starts started through `cheqpoint mcp` (in the same file or the agent's
//! file of servers), shown as a diff first.
//! Running it twice changes nothing; the rest of the file is kept (comments in TOML, key order
//! and indentation in JSON); the first original is kept beside the file as
//! `FILE.cheqpoint-backup`, and uninstall puts those exact bytes back when nothing else changed;
//! a file that cannot be parsed is refused, untouched.
//!
//! | file | owns |
//! | --- | --- |
//! | `claude_code`, `codex`, `gemini`, `cursor`, `copilot` | where each agent's settings are, and its entry added and removed |
//! | `hooks_json` | the two shapes of hook entries in JSON settings |
//! | `mcp` | `--mcp`: a server's command line through `cheqpoint mcp`, and the JSON agents' server entries |
//! | `json` | a JSON document edited with its keys in order |
//! | `setup` | what an install writes, whatever the agent: the scope, the hook's command line and matcher |
//! | `diff` | the change as a person reads it |

mod claude_code;
mod codex;
mod copilot;
mod cursor;
mod diff;
mod gemini;
mod hooks_json;
mod json;
mod mcp;
mod setup;

use std::path::{Path, PathBuf};

pub use setup::{Scope, Setup};

use crate::hooks::Agent;

/// An install or uninstall that cannot be done; the file is untouched.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The file exists but cannot be read.
    #[error("{path}: cannot be read: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file is not what the agent reads (not JSON or TOML, or of another shape): it is
    /// refused rather than overwritten.
    #[error("{path} cannot be parsed ({reason}); it was left as it is")]
    Unparsable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The agent cannot be installed so.
    #[error("{0}")]
    Unsupported(String),
    /// The file or its backup cannot be written.
    #[error("{path}: cannot be written: {reason}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// A change to one file, not yet written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The agent's configuration file.
    pub path: PathBuf,
    /// Its content now (`None`: there is no file).
    pub before: Option<String>,
    /// Its content after (`None`: the file is removed).
    pub after: Option<String>,
    /// What the agent does that the person should know (no fail-closed setting, trust).
    pub notes: Vec<&'static str>,
    /// Whether `after` is the backup put back (which then goes).
    restores_backup: bool,
}

impl Change {
    /// The change as a diff; empty when nothing changes.
    pub fn diff(&self) -> String {
        diff::render(
            &self.path.display().to_string(),
            self.before.as_deref(),
            self.after.as_deref(),
        )
    }

    /// Whether writing it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.before == self.after
    }

    /// Writes it: keeps the first original beside the file as `FILE.cheqpoint-backup` on install,
    /// and removes that backup once uninstall has put it back.
    pub fn apply(&self) -> Result<(), InstallError> {
        if self.is_empty() {
            return Ok(());
        }
        let fail = |path: &Path, error: std::io::Error| InstallError::Write {
            path: path.display().to_string(),
            reason: error.to_string(),
        };
        let backup = backup_path(&self.path);
        match &self.after {
            Some(after) => {
                if let (Some(before), false) = (&self.before, backup.exists()) {
                    std::fs::write(&backup, before).map_err(|e| fail(&backup, e))?;
                }
                if let Some(folder) = self.path.parent() {
                    std::fs::create_dir_all(folder).map_err(|e| fail(folder, e))?;
                }
                std::fs::write(&self.path, after).map_err(|e| fail(&self.path, e))?;
            }
            None => std::fs::remove_file(&self.path).map_err(|e| fail(&self.path, e))?,
        }
        if self.restores_backup {
            std::fs::remove_file(&backup).map_err(|e| fail(&backup, e))?;
        }
        Ok(())
    }
}

fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".cheqpoint-backup");
    path.with_file_name(name)
}

/// Where `agent`'s configuration is for `setup`.
pub fn path(agent: Agent, setup: &Setup) -> Result<PathBuf, InstallError> {
    match agent {
        Agent::ClaudeCode => claude_code::path(setup),
        Agent::Codex => codex::path(setup),
        Agent::Gemini => gemini::path(setup),
        Agent::Cursor => cursor::path(setup),
        Agent::Copilot => copilot::path(setup),
    }
    .map_err(InstallError::Unsupported)
}

fn read(path: &Path) -> Result<Option<String>, InstallError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(InstallError::Read {
            path: path.display().to_string(),
            reason: error.to_string(),
        }),
    }
}

/// Where `agent` lists its MCP servers for `setup`: each file, and its table of servers.
fn server_places(agent: Agent, setup: &Setup) -> Result<Vec<mcp::Place>, InstallError> {
    let top = |path: Result<PathBuf, String>| path.map(|path| vec![mcp::Place::top(path)]);
    match agent {
        Agent::ClaudeCode => Ok(claude_code::server_places(setup)),
        Agent::Codex => top(codex::path(setup)),
        Agent::Gemini => top(gemini::path(setup)),
        Agent::Cursor => top(cursor::servers_path(setup)),
        Agent::Copilot => top(copilot::servers_path(setup)),
    }
    .map_err(InstallError::Unsupported)
}

/// How a JSON agent's server entries are kept; `None` for Codex, whose table is TOML.
fn json_servers(agent: Agent) -> Option<&'static mcp::JsonServers> {
    match agent {
        Agent::ClaudeCode => Some(&claude_code::SERVERS),
        Agent::Gemini => Some(&gemini::SERVERS),
        Agent::Cursor => Some(&cursor::SERVERS),
        Agent::Copilot => Some(&copilot::SERVERS),
        Agent::Codex => None,
    }
}

fn wrap_servers(
    agent: Agent,
    text: &str,
    table: &[String],
    setup: &Setup,
) -> Result<String, String> {
    match json_servers(agent) {
        Some(spec) => json::edit(Some(text), |doc| mcp::wrap_json(doc, table, spec, setup)),
        None => codex::wrap_servers(text, setup),
    }
}

fn unwrap_servers(
    agent: Agent,
    text: &str,
    table: &[String],
    original: Option<&str>,
) -> Result<String, String> {
    match json_servers(agent) {
        Some(spec) => {
            let original = original.and_then(|text| json::Json::parse(text).ok());
            json::edit(Some(text), |doc| {
                mcp::unwrap_json(doc, table, spec, original.as_ref())
            })
        }
        None => codex::unwrap_servers(text, original),
    }
}

fn unparsable(path: &Path) -> impl Fn(String) -> InstallError + '_ {
    move |reason| InstallError::Unparsable {
        path: path.display().to_string(),
        reason,
    }
}

/// The changes that install cheqpoint's hook for `agent`, and with `setup.mcp` start its MCP
/// servers through `cheqpoint mcp`: one change a file.
pub fn install(agent: Agent, setup: &Setup) -> Result<Vec<Change>, InstallError> {
    let path = path(agent, setup)?;
    let before = read(&path)?;
    let text = before.as_deref();
    let after = match agent {
        Agent::ClaudeCode => claude_code::add(text, setup),
        Agent::Codex => codex::add(text, setup),
        Agent::Gemini => gemini::add(text, setup),
        Agent::Cursor => cursor::add(text, setup),
        Agent::Copilot => copilot::add(text, setup),
    }
    .map_err(unparsable(&path))?;
    let mut changes = vec![Change {
        path,
        before,
        after: Some(after),
        notes: notes(agent).to_vec(),
        restores_backup: false,
    }];
    if !setup.mcp {
        return Ok(changes);
    }
    changes[0].notes.extend(mcp_notes(agent));
    for place in server_places(agent, setup)? {
        let at = match changes.iter().position(|change| change.path == place.path) {
            Some(at) => at,
            None => {
                let before = read(&place.path)?;
                changes.push(Change {
                    after: before.clone(),
                    path: place.path.clone(),
                    before,
                    notes: Vec::new(),
                    restores_backup: false,
                });
                changes.len() - 1
            }
        };
        let change = &mut changes[at];
        // No file: no server to wrap.
        if let Some(text) = change.after.as_deref() {
            let wrapped = wrap_servers(agent, text, &place.table, setup);
            change.after = Some(wrapped.map_err(unparsable(&change.path))?);
        }
    }
    Ok(changes)
}

/// The changes that remove cheqpoint's hook for `agent`, and with `setup.mcp` start its MCP
/// servers as they were: each file's original bytes back when nothing else changed since.
pub fn uninstall(agent: Agent, setup: &Setup) -> Result<Vec<Change>, InstallError> {
    let path = path(agent, setup)?;
    let places = if setup.mcp {
        server_places(agent, setup)?
    } else {
        Vec::new()
    };
    // Each place's servers unwrapped in `text` of its file, given that file's backup.
    let unwrap_in = |file: &Path, text: String, original: Option<&str>| {
        places
            .iter()
            .filter(|place| place.path == file)
            .try_fold(text, |text, place| {
                unwrap_servers(agent, &text, &place.table, original)
            })
    };
    let mut changes = vec![undo(
        agent,
        path.clone(),
        Some(empty(agent)),
        |text, original| unwrap_in(&path, remove(agent, text)?, original),
    )?];
    for place in &places {
        if changes.iter().any(|change| change.path == place.path) {
            continue;
        }
        changes.push(undo(agent, place.path.clone(), None, |text, original| {
            unwrap_in(&place.path, text.to_owned(), original)
        })?);
    }
    Ok(changes)
}

/// The change that undoes install's edits of `path` (`edit`, given the file and its backup):
/// the original's exact bytes back when what is left reads the same, the file removed when
/// install made it and what is left reads as `empty` (`None`: install never makes this file).
fn undo(
    agent: Agent,
    path: PathBuf,
    empty: Option<String>,
    edit: impl FnOnce(&str, Option<&str>) -> Result<String, String>,
) -> Result<Change, InstallError> {
    let before = read(&path)?;
    let Some(text) = before.as_deref() else {
        return Ok(Change {
            path,
            before: None,
            after: None,
            notes: Vec::new(),
            restores_backup: false,
        });
    };
    let backup = read(&backup_path(&path))?;
    let removed = edit(text, backup.as_deref()).map_err(unparsable(&path))?;
    let restores_backup = backup
        .as_deref()
        .is_some_and(|original| same(agent, original, &removed));
    let after = match backup {
        // The original, byte for byte, when it reads the same as what is left.
        Some(original) if restores_backup => Some(original),
        Some(_) => Some(removed),
        // A file install made: gone when only what install put there is left.
        None if empty.is_some_and(|empty| same(agent, &removed, &empty)) => None,
        None => Some(removed),
    };
    Ok(Change {
        path,
        before,
        after,
        notes: Vec::new(),
        restores_backup,
    })
}

fn remove(agent: Agent, text: &str) -> Result<String, String> {
    match agent {
        Agent::ClaudeCode => claude_code::remove(text),
        Agent::Codex => codex::remove(text),
        Agent::Gemini => gemini::remove(text),
        Agent::Cursor => cursor::remove(text),
        Agent::Copilot => copilot::remove(text),
    }
}

/// What install writes into a new file besides the hook.
fn empty(agent: Agent) -> String {
    match agent {
        Agent::Codex => String::new(),
        Agent::Cursor | Agent::Copilot => "{\"version\": 1}".into(),
        Agent::ClaudeCode | Agent::Gemini => "{}".into(),
    }
}

/// Whether two files of `agent` say the same (as parsed documents).
fn same(agent: Agent, a: &str, b: &str) -> bool {
    match agent {
        Agent::Codex => match (a.parse::<toml::Table>(), b.parse::<toml::Table>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        },
        _ => match (json::Json::parse(a), json::Json::parse(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        },
    }
}

/// The events whose entries (`hooks.EVENT`) install writes for `agent`.
pub fn events(agent: Agent) -> &'static [&'static str] {
    match agent {
        Agent::ClaudeCode => &claude_code::EVENTS,
        Agent::Codex => &codex::EVENTS,
        Agent::Gemini => &gemini::EVENTS,
        Agent::Cursor => &cursor::EVENTS,
        Agent::Copilot => &copilot::EVENTS,
    }
}

/// What `--mcp` asks of the person installing for `agent`.
fn mcp_notes(agent: Agent) -> &'static [&'static str] {
    match agent {
        Agent::Cursor => cursor::MCP_NOTES,
        Agent::Copilot => copilot::MCP_NOTES,
        Agent::ClaudeCode | Agent::Codex | Agent::Gemini => &[],
    }
}

/// What `agent` does that the person installing should know.
pub fn notes(agent: Agent) -> &'static [&'static str] {
    match agent {
        Agent::ClaudeCode => claude_code::NOTES,
        Agent::Codex => codex::NOTES,
        Agent::Gemini => gemini::NOTES,
        Agent::Cursor => cursor::NOTES,
        Agent::Copilot => copilot::NOTES,
    }
}

/// The tool names or globs a `gate.toml` gates (its `[tools."…"]` entries), in its order.
pub fn gated_tools(gate_toml: &str) -> Vec<String> {
    let Ok(doc) = gate_toml.parse::<toml_edit::DocumentMut>() else {
        return Vec::new();
    };
    doc.get("tools")
        .and_then(toml_edit::Item::as_table_like)
        .map(|tools| tools.iter().map(|(name, _)| name.to_owned()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn setup(tools: &[&str]) -> Setup {
        Setup {
            scope: Scope::Project,
            home: "/home/u".into(),
            project: "/p".into(),
            hook_args: vec!["--config".into(), "/p/my gate.toml".into()],
            tools: tools.iter().map(|t| (*t).to_owned()).collect(),
            timeout: Duration::from_secs(70),
            mcp: false,
            journal: None,
        }
    }

    #[test]
    fn the_matcher_and_the_command() {
        assert_eq!(setup(&[]).matcher(&["Bash", "Write"]), "Bash|Write");
        assert_eq!(setup(&["Bash", "mcp__*"]).matcher(&[]), "^(Bash|mcp__.*)$");
        assert_eq!(
            setup(&[]).command("codex"),
            "cheqpoint hook codex --config '/p/my gate.toml'"
        );
        assert_eq!(
            gated_tools("timeout = 5\n[tools.Bash]\nrisk = 0.5\n[tools.\"mcp__*\"]\n"),
            ["Bash", "mcp__*"]
        );
    }
}
