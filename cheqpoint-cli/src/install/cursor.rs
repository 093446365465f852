//! Cursor's hooks file: `.cursor/hooks.json` in the project, or `~/.cursor/hooks.json`
//! (`{"version": 1, "hooks": {EVENT: [handler]}}`). cheqpoint's handler goes on
//! `beforeShellExecution` and `beforeMCPExecution`, with a `timeout` in seconds and `failClosed`,
//! Cursor's setting that makes a failed or timed-out hook block.

use std::path::PathBuf;

use super::{
    Scope, Setup, hooks_json,
    json::{self, Json},
    mcp,
};

/// The events the hook answers.
pub(super) const EVENTS: [&str; 2] = ["beforeShellExecution", "beforeMCPExecution"];

pub(super) fn path(setup: &Setup) -> Result<PathBuf, String> {
    Ok(match setup.scope {
        Scope::Project => setup.project.join(".cursor/hooks.json"),
        Scope::User => setup.home.join(".cursor/hooks.json"),
    })
}

pub(super) fn add(text: Option<&str>, setup: &Setup) -> Result<String, String> {
    json::edit(text, |doc| {
        if doc.get("version").is_none() {
            doc.set("version", Json::number(1))?;
        }
        for event in EVENTS {
            let mut handler = Json::object();
            handler.set("command", Json::string(&setup.command("cursor")))?;
            handler.set("timeout", Json::number(setup.timeout.as_secs()))?;
            handler.set("failClosed", Json::boolean(true))?;
            hooks_json::add_flat(doc, event, &["command"], handler)?;
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

/// Where the MCP servers are: `.cursor/mcp.json` in the project, or `~/.cursor/mcp.json`.
pub(super) fn servers_path(setup: &Setup) -> Result<PathBuf, String> {
    Ok(match setup.scope {
        Scope::Project => setup.project.join(".cursor/mcp.json"),
        Scope::User => setup.home.join(".cursor/mcp.json"),
    })
}

/// A stdio server entry of `mcpServers` is `{command, args?, env?, envFile?}` (Cursor's MCP
/// docs, cursor.com/docs/context/mcp, Cursor 2.x), whose values may read `${env:NAME}`: the
/// gateway's variables are given so. Cursor has no tool-call timeout setting.
pub(super) const SERVERS: mcp::JsonServers = mcp::JsonServers {
    env: &[
        ("CHEQPOINT_API_KEY", "${env:CHEQPOINT_API_KEY}"),
        ("CHEQPOINT_BASE_URL", "${env:CHEQPOINT_BASE_URL}"),
    ],
    timeout: None,
};

/// What `--mcp` asks of the person.
pub(super) const MCP_NOTES: &[&str] = &[
    "Cursor's beforeMCPExecution hook asks too: with --mcp, let a [[rule]] allow the wrapped servers' tools at the hook (by their names), or each call is asked for twice.",
];

pub(super) const NOTES: &[&str] = &[
    "Cursor offers no edited input: an approval with an edit is refused in words, and the model can ask again with the approved input.",
];
