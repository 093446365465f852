//! Cursor's hooks `beforeShellExecution`, `beforeMCPExecution` and `beforeReadFile`, as Cursor's
//! hooks docs describe them (cursor.com/docs/agent/hooks, Cursor 2.x). The event:
//! `conversation_id`, `hook_event_name`, and `command` (shell), `tool_name` with `tool_input` (an
//! object, or its JSON text) for MCP, `file_path` for a read. The answer, exit 0: `permission`
//! `allow`, `deny` or `ask` with `user_message` (the person reads it) and `agent_message` (the
//! model does); `beforeReadFile` takes `allow` or `deny` alone. Cursor offers no edited input:
//! an approval with an edit is refused in words, never run as the original.
//!
//! A file's content (`beforeReadFile` carries it) is never sent for review: the request names
//! the file. A hook that fails lets the call go on unless its entry says `failClosed`.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    event::{Answer, Edits, Event, Facts, Powers, Reply, object_in},
    summary,
};

/// What is true of Cursor.
pub(super) const FACTS: Facts = Facts {
    name: "cursor",
    action: "cursor",
    reference: "Cursor hooks docs (beforeShellExecution, beforeMCPExecution, beforeReadFile), Cursor 2.x",
    fails_open: true,
};

#[derive(Deserialize)]
struct Wire {
    hook_event_name: String,
    conversation_id: Option<String>,
    command: Option<String>,
    cwd: Option<String>,
    tool_name: Option<String>,
    tool_input: Option<Value>,
    file_path: Option<String>,
    #[serde(default)]
    workspace_roots: Vec<PathBuf>,
}

pub(super) fn read(input: &str) -> Result<Event, String> {
    let wire: Wire = serde_json::from_str(input).map_err(|error| error.to_string())?;
    let missing = |field: &str| format!("{} has no `{field}`", wire.hook_event_name);
    let (tool, input, ask) = match wire.hook_event_name.as_str() {
        "beforeShellExecution" => {
            let command = wire.command.clone().ok_or_else(|| missing("command"))?;
            let mut input = Map::new();
            input.insert("command".into(), Value::String(command));
            if let Some(cwd) = &wire.cwd {
                input.insert("cwd".into(), Value::String(cwd.clone()));
            }
            ("Shell".to_owned(), input, true)
        }
        "beforeMCPExecution" => {
            let tool = wire.tool_name.clone().ok_or_else(|| missing("tool_name"))?;
            (
                tool,
                object_in(wire.tool_input.as_ref(), "tool_input")?,
                true,
            )
        }
        "beforeReadFile" => {
            let path = wire.file_path.clone().ok_or_else(|| missing("file_path"))?;
            let mut input = Map::new();
            input.insert("file_path".into(), Value::String(path));
            ("ReadFile".to_owned(), input, false)
        }
        other => {
            return Err(format!(
                "it handles beforeShellExecution, beforeMCPExecution and beforeReadFile events, not {other}"
            ));
        }
    };
    let summary = match tool.as_str() {
        "ReadFile" => format!("Read {}", wire.file_path.as_deref().unwrap_or("?")),
        _ => summary::by_input(&tool, &input),
    };
    Ok(Event {
        name: wire.hook_event_name,
        tool,
        input,
        session: wire.conversation_id,
        // The shell's own folder, else the workspace's (every event carries its roots).
        cwd: wire
            .cwd
            .map(PathBuf::from)
            .or_else(|| wire.workspace_roots.into_iter().next()),
        summary,
        schema: None,
        powers: Powers {
            ask,
            edits: Edits::Never,
        },
    })
}

pub(super) fn write(event: &Event, answer: &Answer) -> Reply {
    let (permission, reason) = match answer {
        Answer::Allow { reason, .. } => ("allow", reason),
        Answer::Deny(reason) => ("deny", reason),
        Answer::Ask(reason) => ("ask", reason),
    };
    if event.name == "beforeReadFile" {
        return Reply::json(json!({"permission": permission}));
    }
    Reply::json(json!({
        "permission": permission,
        "user_message": reason,
        "agent_message": reason,
    }))
}

/// Cursor's deny for an event of unknown shape: the permission answer every `before…` event
/// reads.
pub(super) fn refuse_unread(reason: String) -> Reply {
    Reply::json(json!({"permission": "deny", "user_message": reason, "agent_message": reason}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_is_read_and_answered() {
        let shell = read(
            &json!({"hook_event_name": "beforeShellExecution", "conversation_id": "c",
            "generation_id": "g", "workspace_roots": ["/p"], "command": "ls", "cwd": "/p"})
            .to_string(),
        )
        .unwrap();
        assert_eq!(
            (shell.tool.as_str(), shell.summary.as_str()),
            ("Shell", "Run `ls`")
        );
        let out: Value =
            serde_json::from_str(&write(&shell, &Answer::Deny("no".into())).stdout).unwrap();
        assert_eq!(
            out,
            json!({"permission": "deny", "user_message": "no", "agent_message": "no"})
        );
        let mcp = read(
            &json!({"hook_event_name": "beforeMCPExecution", "tool_name": "merge",
            "tool_input": "{\"pr\": 3}", "url": "http://localhost:3000"})
            .to_string(),
        )
        .unwrap();
        assert_eq!(mcp.input["pr"], 3);
        let file = read(
            &json!({"hook_event_name": "beforeReadFile", "file_path": "/p/.env",
            "content": "KEY=secret"})
            .to_string(),
        )
        .unwrap();
        assert!(!file.input.contains_key("content"), "{:?}", file.input);
        assert!(!file.powers.ask);
        let out: Value =
            serde_json::from_str(&write(&file, &Answer::Deny("no".into())).stdout).unwrap();
        assert_eq!(out, json!({"permission": "deny"}));
        assert!(read(&json!({"hook_event_name": "beforeShellExecution"}).to_string()).is_err());
    }
}
