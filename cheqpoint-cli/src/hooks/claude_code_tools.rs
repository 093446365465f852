//! Claude Code's built-in tools' input schemas, the edit check of a hook on those tools: data in
//! `claude_code_tools.json` beside this file, each tool with the Claude Code version and type it
//! was read from. A tool not there (an MCP tool, a tool newer than the file) has no schema, and
//! its edits must keep the call's keys.

use std::{collections::HashMap, sync::OnceLock};

use serde::Deserialize;
use serde_json::Value;

/// A tool's entry; its `source` is for people (and the test that keeps it there).
#[derive(Deserialize)]
struct Tool {
    schema: Value,
}

fn tools() -> &'static HashMap<String, Tool> {
    static TOOLS: OnceLock<HashMap<String, Tool>> = OnceLock::new();
    TOOLS.get_or_init(|| {
        serde_json::from_str(include_str!("claude_code_tools.json")).unwrap_or_default()
    })
}

/// The input schema of Claude Code's built-in `tool`, when it is one the file knows.
pub(super) fn schema(tool: &str) -> Option<&'static Value> {
    tools().get(tool).map(|tool| &tool.schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_reads_and_each_schema_compiles_and_names_its_source() {
        let text = include_str!("claude_code_tools.json");
        let raw: HashMap<String, Value> = serde_json::from_str(text).unwrap();
        assert_eq!(raw.len(), tools().len());
        for (name, tool) in &raw {
            let source = tool["source"].as_str().unwrap_or_default();
            assert!(source.starts_with("Claude Code "), "{name}");
            jsonschema::validator_for(&tool["schema"]).unwrap();
        }
        for name in [
            "Bash",
            "Write",
            "Edit",
            "MultiEdit",
            "NotebookEdit",
            "WebFetch",
        ] {
            assert!(schema(name).is_some(), "{name}");
        }
        assert!(schema("mcp__github__merge").is_none());
    }
}
