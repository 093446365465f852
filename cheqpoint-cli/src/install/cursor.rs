//! Cursor's hooks file: `.cursor/hooks.json` in the project, or `~/.cursor/hooks.json`
//! (`{"version": 1, "hooks": {EVENT: [handler]}}`). cheqpoint's handler goes on
//! `beforeShellExecution` and `beforeMCPExecution`, with a `timeout` in seconds and `failClosed`,
//! Cursor's setting that makes a failed or timed-out hook block.

use std::path::PathBuf;

use super::{
    Scope, Setup, hooks_json,
    json::{self, Json},
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

pub(super) const NOTES: &[&str] = &[
    "Cursor offers no edited input: an approval with an edit is refused in words, and the model can ask again with the approved input.",
];
