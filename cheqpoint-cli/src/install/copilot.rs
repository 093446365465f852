//! GitHub Copilot's hooks: a file of cheqpoint's own in the repository, `.github/hooks/cheqpoint.json`
//! (`{"version": 1, "hooks": {"preToolUse": [handler]}}`), read by Copilot CLI and the coding
//! agent. The handler runs `cheqpoint hook copilot` (`bash` and `powershell`) with `timeoutSec`.
//! Copilot has no per-tool matcher and no setting that makes a failed hook block.

use std::path::PathBuf;

use super::{
    Scope, Setup, hooks_json,
    json::{self, Json},
    mcp,
};

pub(super) fn path(setup: &Setup) -> Result<PathBuf, String> {
    match setup.scope {
        Scope::Project => Ok(setup.project.join(".github/hooks/cheqpoint.json")),
        Scope::User => Err(
            "Copilot reads hooks from the repository's .github/hooks/: install it with --project"
                .into(),
        ),
    }
}

/// The events the hook answers.
pub(super) const EVENTS: [&str; 1] = ["preToolUse"];

pub(super) fn add(text: Option<&str>, setup: &Setup) -> Result<String, String> {
    json::edit(text, |doc| {
        if doc.get("version").is_none() {
            doc.set("version", Json::number(1))?;
        }
        let command = setup.command("copilot");
        let mut handler = Json::object();
        handler.set("type", Json::string("command"))?;
        handler.set("bash", Json::string(&command))?;
        handler.set("powershell", Json::string(&command))?;
        handler.set("timeoutSec", Json::number(setup.timeout.as_secs()))?;
        hooks_json::add_flat(doc, EVENTS[0], &["bash", "powershell"], handler)
    })
}

pub(super) fn remove(text: &str) -> Result<String, String> {
    json::edit(Some(text), |doc| {
        hooks_json::remove(doc, EVENTS[0], &["bash", "powershell"])
    })
}

/// Where the MCP servers are: the repository's `.github/mcp.json` (Copilot also reads
/// `.mcp.json`, Claude Code's: `install claude-code --mcp` wraps those), or the user's
/// `~/.copilot/mcp-config.json`.
pub(super) fn servers_path(setup: &Setup) -> Result<PathBuf, String> {
    Ok(match setup.scope {
        Scope::Project => setup.project.join(".github/mcp.json"),
        Scope::User => setup.home.join(".copilot/mcp-config.json"),
    })
}

/// A stdio server entry of `mcpServers` is `{type?: "local" | "stdio", command, args?, env?,
/// tools?, timeout?}`, `timeout` in milliseconds (`MCPStdioServerConfig` in the SDK inside
/// Copilot CLI 1.0.102; GitHub's "Adding MCP servers for GitHub Copilot CLI"). A server starts
/// with Copilot CLI's own environment under its `env` (`tests/agents.rs` sees the key reach the
/// gateway so): nothing is added. Its default timeout is not published: it is written.
pub(super) const SERVERS: mcp::JsonServers = mcp::JsonServers {
    env: &[],
    timeout: Some(("timeout", None)),
};

/// What `--mcp` asks of the person.
pub(super) const MCP_NOTES: &[&str] = &[
    "Copilot's preToolUse hook asks for every tool: with --mcp, let a [[rule]] allow the wrapped servers' tools at the hook (tool = \"SERVER-*\", decide = \"allow\"), or each call is asked for twice.",
];

pub(super) const NOTES: &[&str] = &[
    "Copilot runs a call whose hook fails or times out, and has no setting against it: the hook answers deny before its timeout.",
    "Copilot's preToolUse has no matcher: every tool call is asked for.",
    "Copilot CLI runs a repository's hooks only in a folder the person has trusted (it asks when it first starts there; --trust-folder trusts it for one run).",
];
