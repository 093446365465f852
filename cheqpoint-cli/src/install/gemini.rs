//! Gemini CLI's settings: `.gemini/settings.json` in the project, or `~/.gemini/settings.json`.
//! The hook is a `BeforeTool` matcher group (a regular expression over tool names) whose handler
//! runs `cheqpoint hook gemini` with a `timeout` in milliseconds. Gemini CLI has no setting that
//! makes a failed or timed-out hook block.

use std::path::PathBuf;

use super::{
    Scope, Setup, hooks_json,
    json::{self, Json},
    mcp,
};

pub(super) fn path(setup: &Setup) -> Result<PathBuf, String> {
    Ok(match setup.scope {
        Scope::Project => setup.project.join(".gemini/settings.json"),
        Scope::User => setup.home.join(".gemini/settings.json"),
    })
}

/// The events the hook answers.
pub(super) const EVENTS: [&str; 1] = ["BeforeTool"];

pub(super) fn add(text: Option<&str>, setup: &Setup) -> Result<String, String> {
    json::edit(text, |doc| {
        let mut handler = Json::object();
        handler.set("name", Json::string("cheqpoint"))?;
        handler.set("type", Json::string("command"))?;
        handler.set("command", Json::string(&setup.command("gemini")))?;
        let millis = u64::try_from(setup.timeout.as_millis()).unwrap_or(u64::MAX);
        handler.set("timeout", Json::number(millis))?;
        hooks_json::add_group(doc, EVENTS[0], &setup.matcher(DEFAULT_TOOLS), handler)
    })
}

pub(super) fn remove(text: &str) -> Result<String, String> {
    json::edit(Some(text), |doc| {
        hooks_json::remove(doc, EVENTS[0], &["command"])
    })
}

/// The tools gated when `gate.toml` names none: those that change files or run commands.
const DEFAULT_TOOLS: &[&str] = &["run_shell_command", "write_file", "replace"];

/// A stdio server entry of `mcpServers` is `{command, args?, env?, cwd?, timeout?, trust?, …}`
/// (Gemini CLI's `docs/tools/mcp-server.md`, and `mcp-client.ts` inside Gemini CLI 0.61.0).
/// Gemini CLI starts a server with its environment less every variable whose name holds `KEY`,
/// `TOKEN`, `SECRET`, `AUTH`… (no setting lets such a name through; less everything under
/// GitHub Actions), but a `${NAME}` in the entry's `env` is filled from the whole environment
/// (`tests/agents.rs` sees the key reach the gateway so, and not without it): the variables are
/// given so. `timeout` is in milliseconds, 600,000 by default.
pub(super) const SERVERS: mcp::JsonServers = mcp::JsonServers {
    env: &[
        ("CHEQPOINT_API_KEY", "${CHEQPOINT_API_KEY}"),
        ("CHEQPOINT_BASE_URL", "${CHEQPOINT_BASE_URL}"),
    ],
    timeout: Some(("timeout", Some(600_000))),
};

pub(super) const NOTES: &[&str] = &[
    "Gemini CLI runs a call whose hook fails or times out, and has no setting against it: the hook answers deny before its timeout.",
    "Gemini CLI hands a hook a redacted environment under GitHub Actions (or with environment redaction on): give CHEQPOINT_API_KEY in the hook's `env` there.",
];
