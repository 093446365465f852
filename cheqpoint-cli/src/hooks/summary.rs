//! The reviewer's sentence for the kinds of tool every coding agent has: a shell command (with
//! the agent's own description of it), an edit of a file (the path and the replaced text in
//! brief), a write, a read. Each adapter maps its tools onto these; any other tool reads as its
//! name and its input in brief.

use serde_json::{Map, Value};

use super::event::text;

/// The longest a piece of a summary is shown, in characters (the request's details hold it all).
const PIECE_CHARS: usize = 60;

/// The longest a command is shown, in characters.
const COMMAND_CHARS: usize = 240;

/// `Run `COMMAND`` and, when the agent said what it does, ` — DESCRIPTION`.
pub(super) fn command(command: &str, description: Option<&str>) -> String {
    let mut line = format!("Run `{}`", cut(command, COMMAND_CHARS));
    if let Some(description) = description.filter(|d| !d.trim().is_empty()) {
        line.push_str(&format!(" — {}", cut(description.trim(), PIECE_CHARS)));
    }
    line
}

/// `Edit PATH: replace "OLD" with "NEW"`, each in brief.
pub(super) fn edit(path: &str, old: &str, new: &str, every: bool) -> String {
    format!(
        "Edit {path}: replace {}\"{}\" with \"{}\"",
        if every { "every " } else { "" },
        cut(old, PIECE_CHARS),
        cut(new, PIECE_CHARS)
    )
}

/// `Write PATH (N lines)`.
pub(super) fn write(path: &str, content: &str) -> String {
    let lines = content.lines().count();
    format!(
        "Write {path} ({lines} line{})",
        if lines == 1 { "" } else { "s" }
    )
}

/// Any other tool: its name and its input in brief.
pub(super) fn other(tool: &str, input: &Map<String, Value>) -> String {
    crate::summary::render(None, tool, input)
}

/// The summary of a tool whose input has the usual names: `command` (and `description`) for a
/// shell; `file_path` with `old_string`/`new_string` for an edit, with `content` for a write.
pub(super) fn by_input(tool: &str, input: &Map<String, Value>) -> String {
    let path = text(input, "file_path");
    match (text(input, "command"), path) {
        (Some(line), _) => command(line, text(input, "description")),
        (None, Some(path)) => match (
            text(input, "old_string"),
            text(input, "new_string"),
            text(input, "content"),
        ) {
            (Some(old), Some(new), _) => edit(
                path,
                old,
                new,
                input.get("replace_all") == Some(&Value::Bool(true)),
            ),
            (_, _, Some(content)) => write(path, content),
            _ => other(tool, input),
        },
        (None, None) => other(tool, input),
    }
}

/// `text` cut at `chars` characters, with `…` when cut; line breaks shown as `⏎`.
fn cut(text: &str, chars: usize) -> String {
    let flat = text.replace('\n', "⏎");
    match flat.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &flat[..at]),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_command_with_its_description() {
        assert_eq!(command("ls", None), "Run `ls`");
        assert_eq!(
            command("rm -rf build", Some("Clean the build")),
            "Run `rm -rf build` — Clean the build"
        );
        assert_eq!(command("ls", Some("  ")), "Run `ls`");
    }

    #[test]
    fn an_edit_shows_the_path_and_the_replaced_text_in_brief() {
        let long = "x".repeat(100);
        let line = by_input(
            "Edit",
            &map(json!({"file_path": "/a.rs", "old_string": long, "new_string": "y\nz"})),
        );
        assert!(line.starts_with("Edit /a.rs: replace \"xxx"), "{line}");
        assert!(line.contains("…\" with \"y⏎z\""), "{line}");
        let every = by_input(
            "Edit",
            &map(
                json!({"file_path": "/a", "old_string": "a", "new_string": "b", "replace_all": true}),
            ),
        );
        assert_eq!(every, "Edit /a: replace every \"a\" with \"b\"");
    }

    #[test]
    fn a_write_a_command_or_anything_else() {
        assert_eq!(
            by_input(
                "Write",
                &map(json!({"file_path": "/a", "content": "1\n2\n"}))
            ),
            "Write /a (2 lines)"
        );
        assert_eq!(
            by_input("run_shell_command", &map(json!({"command": "ls"}))),
            "Run `ls`"
        );
        assert!(by_input("merge", &map(json!({"pr": 3}))).starts_with("merge: pr=3"));
    }
}
