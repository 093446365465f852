//! Claude Code's settings: `.claude/settings.json` in the project, or `~/.claude/settings.json`.
//! The hook is a matcher group on `PreToolUse` and on `PermissionRequest` (asked when a call
//! reaches Claude Code's own permission dialog) whose handler runs `cheqpoint hook claude-code`
//! with a `timeout` in seconds. Claude Code has no setting that makes a failed or timed-out hook
//! block: the hook's own deadline, shorter than that timeout, is the guard.

use std::path::PathBuf;

use super::{
    Scope, Setup, hooks_json,
    json::{self, Json},
    mcp,
};

pub(super) fn path(setup: &Setup) -> Result<PathBuf, String> {
    Ok(match setup.scope {
        Scope::Project => setup.project.join(".claude/settings.json"),
        Scope::User => setup.home.join(".claude/settings.json"),
    })
}

/// The events the hook answers.
pub(super) const EVENTS: [&str; 2] = ["PreToolUse", "PermissionRequest"];

pub(super) fn add(text: Option<&str>, setup: &Setup) -> Result<String, String> {
    json::edit(text, |doc| {
        for event in EVENTS {
            let mut handler = Json::object();
            handler.set("type", Json::string("command"))?;
            handler.set("command", Json::string(&setup.command("claude-code")))?;
            handler.set("timeout", Json::number(setup.timeout.as_secs()))?;
            hooks_json::add_group(doc, event, &setup.matcher(DEFAULT_TOOLS), handler)?;
        }
        Ok(())
    })
}

pub(super) fn remove(text: &str) -> Result<String, String> {
    json::edit(Some(text), |doc| {
        EVENTS
            .into_iter()
            .try_for_each(|event| hooks_json::remove(doc, event, &["command"]))
    })
}

/// The tools gated when `gate.toml` names none: those that change files or run commands.
const DEFAULT_TOOLS: &[&str] = &["Bash", "Write", "Edit", "MultiEdit", "NotebookEdit"];

/// Where the MCP servers are: for the project, `.mcp.json` and the "local" scope (`claude mcp
/// add` without `--scope`: `projects.PROJECT.mcpServers` in the user's `~/.claude.json`, the
/// project by its path); for the user, `mcpServers` in `~/.claude.json`.
pub(super) fn server_places(setup: &Setup) -> Vec<mcp::Place> {
    let user = setup.home.join(".claude.json");
    match setup.scope {
        Scope::Project => vec![
            mcp::Place::top(setup.project.join(".mcp.json")),
            mcp::Place {
                path: user,
                table: vec![
                    "projects".to_owned(),
                    setup.project.display().to_string(),
                    "mcpServers".to_owned(),
                ],
            },
        ],
        Scope::User => vec![mcp::Place::top(user)],
    }
}

/// A stdio server entry is `{type?, command, args?, env?, timeout?}` (Claude Code's MCP docs,
/// and the schema inside Claude Code 2.1.328). It starts with Claude Code's own environment
/// under its `env`, so the gateway finds `CHEQPOINT_*` there: nothing is added. `timeout` is
/// the tool call's in milliseconds (`MCP_TOOL_TIMEOUT` otherwise, 100,000,000 by default): only
/// a shorter one is raised.
pub(super) const SERVERS: mcp::JsonServers = mcp::JsonServers {
    env: &[],
    timeout: Some(("timeout", Some(100_000_000))),
};

pub(super) const NOTES: &[&str] = &[
    "Claude Code runs a call whose hook fails or times out, and has no setting against it: the hook answers deny before its timeout.",
];
