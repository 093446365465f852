//! What an install writes, whatever the agent: where ([`Scope`]), the hook's command line and the
//! matcher for the gated tools ([`Setup`]). Each agent's file reads it; it reads none of them.

use std::{path::PathBuf, time::Duration};

/// Where an agent's configuration is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The project's own file (`.claude/settings.json`, …), under the current folder.
    Project,
    /// The user's file (`~/.claude/settings.json`, …).
    User,
}

/// What an install writes, whatever the agent.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Project or user.
    pub scope: Scope,
    /// The user's home folder.
    pub home: PathBuf,
    /// The project's folder.
    pub project: PathBuf,
    /// The arguments after `cheqpoint hook AGENT` (`--config PATH`, …).
    pub hook_args: Vec<String>,
    /// The tool names or globs `gate.toml` gates; empty: the agent's own shell and file tools.
    pub tools: Vec<String>,
    /// The hook's timeout in the agent's configuration: longer than the hook's own deadline.
    pub timeout: Duration,
    /// Whether the agent's MCP servers are started through `cheqpoint mcp` too (`--mcp`).
    pub mcp: bool,
    /// The journal the hook and the gateway use (`--journal`), when not the default one.
    pub journal: Option<String>,
}

impl Setup {
    /// The hook's command line for `agent`.
    pub(super) fn command(&self, agent: &str) -> String {
        let mut command = format!("cheqpoint hook {agent}");
        for arg in &self.hook_args {
            command.push(' ');
            command.push_str(&quote(arg));
        }
        command
    }

    /// A regular expression matching the gated tools' names (each glob's `*` and `?` as `.*` and
    /// `.`), or `defaults` when `gate.toml` names none.
    pub(super) fn matcher(&self, defaults: &[&str]) -> String {
        let tools: Vec<String> = if self.tools.is_empty() {
            defaults.iter().map(|tool| (*tool).to_owned()).collect()
        } else {
            self.tools.clone()
        };
        let plain = tools
            .iter()
            .all(|tool| tool.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if plain {
            return tools.join("|");
        }
        let alternatives: Vec<String> = tools.iter().map(|tool| glob_to_regex(tool)).collect();
        format!("^({})$", alternatives.join("|"))
    }
}

/// A glob over tool names as a regular expression.
fn glob_to_regex(glob: &str) -> String {
    let mut out = String::new();
    for c in glob.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => out.push(c),
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    out
}

/// `arg` as a shell word: as it is when it needs no quoting, else in single quotes.
fn quote(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}
