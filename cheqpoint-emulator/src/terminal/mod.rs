//! A reviewer at the terminal: shows each pending request and asks for a decision.
//!
//! Everything shown comes from the agent, so control characters in it, and the invisible ones
//! that reorder, join or hide text, are printed as escapes (`\u{1b}`): an ANSI sequence in a
//! summary must not clear the line or rewrite what the reviewer is about to approve, and a
//! zero-width or tag character must not make two different values look the same.
//!
//! An edit starts from the current details: at a terminal (with the `line-editing` feature) the
//! line is filled with them and edited in place; elsewhere they are printed above the prompt.
//! What is not a JSON object is refused with the reason and asked for again, never sent; after
//! the decision each changed field is shown as `name: before → after`, as the inbox shows it.

mod escape;
mod line;

use std::fmt;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::iter;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::{ApprovalRecord, DecisionError, Emulator, Status};
use escape::escaped;
use line::{LineEditor, json_line};

/// Prompts for a decision on each pending request, oldest first, reading answers from `input`:
/// `a` approves, `r` rejects (then asks for a note), `e` edits the details (in `$EDITOR` when
/// one is set, else as one line of JSON, starting from the current details) and approves them.
pub struct TerminalReviewer<R, W> {
    input: R,
    output: W,
    editor: Option<String>,
    /// At a terminal: prompts read through the line editor instead of `input`.
    line_editor: Option<LineEditor>,
}

impl<R, W> fmt::Debug for TerminalReviewer<R, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TerminalReviewer")
            .field("editor", &self.editor)
            .finish_non_exhaustive()
    }
}

impl TerminalReviewer<tokio::io::BufReader<tokio::io::Stdin>, io::Stdout> {
    /// A reviewer on this process's stdin and stdout, editing with `$EDITOR` when it is set.
    /// When both are a terminal (and with the `line-editing` feature), each answer is read with
    /// line editing, and an edit starts from the current details, in place.
    pub fn stdio() -> Self {
        let mut reviewer =
            TerminalReviewer::new(tokio::io::BufReader::new(tokio::io::stdin()), io::stdout())
                .editor(
                    std::env::var("EDITOR")
                        .ok()
                        .filter(|editor| !editor.trim().is_empty()),
                );
        reviewer.line_editor = LineEditor::at_terminal();
        reviewer
    }
}

impl<R: AsyncBufRead + Unpin, W: Write> TerminalReviewer<R, W> {
    /// A reviewer reading answers from `input` and writing prompts to `output`.
    pub fn new(input: R, output: W) -> Self {
        TerminalReviewer {
            input,
            output,
            editor: None,
            line_editor: None,
        }
    }

    /// The command that edits details (run as `sh -c '<editor> <file>'`); `None` asks for a JSON line.
    pub fn editor(mut self, editor: Option<String>) -> Self {
        self.editor = editor;
        self
    }

    /// Reviews requests as they arrive, until the input ends.
    pub async fn run(&mut self, emulator: &Emulator) -> io::Result<()> {
        while self.review_next(emulator).await? {}
        Ok(())
    }

    /// Waits for the next pending request and asks about it; `false` when the input ended
    /// before a decision.
    pub async fn review_next(&mut self, emulator: &Emulator) -> io::Result<bool> {
        loop {
            let request = emulator.await_pending().await;
            // Skip what was decided elsewhere (the inbox) while it waited in line.
            if emulator
                .get(&request.id)
                .is_some_and(|now| now.status == Status::Pending)
            {
                return self.review(emulator, &request).await;
            }
        }
    }

    /// Asks about one request; `false` when the input ended.
    async fn review(&mut self, emulator: &Emulator, request: &ApprovalRecord) -> io::Result<bool> {
        self.show(request)?;
        loop {
            let Some(answer) = self.ask("[a]pprove  [r]eject  [e]dit > ").await? else {
                return Ok(false);
            };
            let decided = match answer.to_ascii_lowercase().as_str() {
                "a" | "approve" | "y" | "yes" => emulator.approve(&request.id),
                "r" | "reject" | "n" | "no" => {
                    let Some(note) = self.ask("note for the agent > ").await? else {
                        return Ok(false);
                    };
                    emulator.reject(&request.id, note)
                }
                "e" | "edit" => match self.edit(&request.details).await? {
                    Edited::Details(details) => emulator.approve_with(&request.id, details),
                    Edited::Invalid(reason) => {
                        writeln!(self.output, "  not applied: {reason}")?;
                        continue;
                    }
                    Edited::Cancelled => continue,
                    Edited::InputEnded => return Ok(false),
                },
                _ => {
                    writeln!(self.output, "  answer a, r or e")?;
                    continue;
                }
            };
            match decided {
                Ok(record) => {
                    writeln!(self.output, "  {} {}", record.status, escaped(&record.id))?;
                    if let Some(edit) = &record.modified_details {
                        write_changes(&mut self.output, &request.details, edit)?;
                    }
                    writeln!(self.output)?
                }
                Err(DecisionError::AlreadyDecided { status, .. }) => {
                    writeln!(self.output, "  already {status} elsewhere\n")?
                }
                Err(error) => writeln!(self.output, "  {error}\n")?,
            }
            return Ok(true);
        }
    }

    /// Prints the request — action, summary, agent, priority, risk, reasoning, details, metadata
    /// and trace — each value the agent sent passed through [`escaped`].
    fn show(&mut self, request: &ApprovalRecord) -> io::Result<()> {
        let out = &mut self.output;
        writeln!(
            out,
            "── {} · {}",
            escaped(&request.action),
            escaped(&request.id)
        )?;
        writeln!(out, "   {}", escaped(&request.summary))?;
        for line in crate::grant::grant_lines(&request.action, &request.details) {
            writeln!(out, "   {}", escaped(&line))?;
        }
        let mut about = Vec::new();
        if let Some(agent) = &request.agent_name {
            about.push(format!("agent {}", escaped(agent)));
        }
        if let Some(priority) = &request.priority {
            about.push(format!("priority {}", escaped(priority)));
        }
        match (request.risk_score, &request.risk_level) {
            (Some(risk), _) => about.push(format!("risk {risk:.2} ({})", risk_level(risk))),
            (None, Some(level)) => about.push(format!("risk {}", escaped(level))),
            (None, None) => {}
        }
        if !about.is_empty() {
            writeln!(out, "   {}", about.join(" · "))?;
        }
        if let Some(why) = &request.justification {
            writeln!(out, "   why: {}", escaped(why))?;
        }
        write_json(out, None, &request.details)?;
        if let Some(metadata) = &request.metadata {
            write_json(out, Some("metadata"), metadata)?;
        }
        if let Some(trace) = &request.trace {
            write_json(out, Some("trace"), trace)?;
        }
        out.flush()
    }

    /// Prints `prompt` and reads one trimmed line; `None` at the end of the input.
    async fn ask(&mut self, prompt: &str) -> io::Result<Option<String>> {
        self.ask_from(prompt, "").await
    }

    /// Like [`ask`](Self::ask); at a terminal, the line starts as `initial`, to be edited in
    /// place (read plainly, the answer is typed whole).
    async fn ask_from(&mut self, prompt: &str, initial: &str) -> io::Result<Option<String>> {
        self.output.flush()?;
        if let Some(line_editor) = &mut self.line_editor {
            let line = line_editor.read(prompt, initial).await?;
            return Ok(line.map(|line| line.trim().to_owned()));
        }
        write!(self.output, "{prompt}")?;
        self.output.flush()?;
        let mut line = String::new();
        if self.input.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        Ok(Some(line.trim().to_owned()))
    }

    /// The reviewer's new details: from `$EDITOR` when one is set, else one line of JSON that
    /// starts as the current details and is asked for again until it is an object (an empty
    /// line goes back to the decision).
    async fn edit(&mut self, details: &Value) -> io::Result<Edited> {
        if let Some(editor) = self.editor.clone() {
            return Ok(match edit_in_editor(editor, details).await {
                Ok(text) => parse_details(&text).map_or_else(Edited::Invalid, Edited::Details),
                Err(error) => Edited::Invalid(format!("the editor failed: {error}")),
            });
        }
        let mut line = json_line(details);
        if self.line_editor.is_none() {
            writeln!(self.output, "   now: {line}")?;
        }
        loop {
            let Some(typed) = self
                .ask_from("details (one line of JSON; empty to go back) > ", &line)
                .await?
            else {
                return Ok(Edited::InputEnded);
            };
            if typed.is_empty() {
                return Ok(Edited::Cancelled);
            }
            match parse_details(&typed) {
                Ok(details) => return Ok(Edited::Details(details)),
                Err(reason) => {
                    writeln!(self.output, "  not applied: {reason}; edit it again")?;
                    line = typed;
                }
            }
        }
    }
}

/// The reviewer's text as new details: a JSON object, or the reason it is not one.
fn parse_details(text: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(details @ Value::Object(_)) => Ok(details),
        Ok(_) => Err("the details must be a JSON object: {\"name\": value, …}".into()),
        Err(error) => Err(format!("not JSON: {error}")),
    }
}

/// Each top-level field whose value the edit changed, as `name: before → after` (`(added)` and
/// `(removed)` for a field only one side has), as the inbox shows an edit.
fn write_changes(out: &mut impl Write, before: &Value, after: &Value) -> io::Result<()> {
    let empty = serde_json::Map::new();
    let was = before.as_object().unwrap_or(&empty);
    let now = after.as_object().unwrap_or(&empty);
    let keys = was
        .keys()
        .chain(now.keys().filter(|key| !was.contains_key(*key)));
    let shown = |value: Option<&Value>, absent: &str| {
        value.map_or_else(|| absent.to_owned(), |value| escaped(&value.to_string()))
    };
    let mut changed = 0;
    for key in keys {
        let (old, new) = (was.get(key), now.get(key));
        if old != new {
            changed += 1;
            writeln!(
                out,
                "    {}: {} → {}",
                escaped(key),
                shown(old, "(added)"),
                shown(new, "(removed)")
            )?;
        }
    }
    if changed == 0 {
        writeln!(out, "    no field changed")?;
    }
    Ok(())
}

/// Writes `value` as indented JSON, under `title` when given, each line passed through [`escaped`].
fn write_json(out: &mut impl Write, title: Option<&str>, value: &Value) -> io::Result<()> {
    if let Some(title) = title {
        writeln!(out, "   {title}:")?;
    }
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    for line in text.lines() {
        writeln!(out, "   {}", escaped(line))?;
    }
    Ok(())
}

enum Edited {
    Details(Value),
    Invalid(String),
    /// The reviewer went back to the decision.
    Cancelled,
    InputEnded,
}

/// Creates a new file for the details in the temporary directory, under a name no one can
/// predict, refusing to reuse (or follow a link at) an existing path; readable by its owner only.
fn create_details_file(details: &Value) -> io::Result<PathBuf> {
    let text = serde_json::to_string_pretty(details).unwrap_or_default();
    let mut attempts = 0;
    loop {
        let random: String = iter::repeat_with(fastrand::alphanumeric).take(16).collect();
        let path = std::env::temp_dir().join(format!("cheqpoint-details-{random}.json"));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut file) => {
                if let Err(error) = file.write_all(text.as_bytes()) {
                    let _ = std::fs::remove_file(&path);
                    return Err(error);
                }
                return Ok(path);
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempts < 10 => {
                attempts += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Removes the file when dropped, also when the editor could not be run.
struct Removed<'a>(&'a Path);

impl Drop for Removed<'_> {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0);
    }
}

/// Opens `details` in the editor and returns the saved text.
async fn edit_in_editor(editor: String, details: &Value) -> io::Result<String> {
    let path = create_details_file(details)?;
    let _removed = Removed(&path);
    let file = path.clone();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&file)
            .status()
    })
    .await
    .map_err(io::Error::other)??;
    let text = std::fs::read_to_string(&path);
    if !status.success() {
        return Err(io::Error::other(format!("the editor exited with {status}")));
    }
    text
}

fn risk_level(risk: f64) -> &'static str {
    if risk < 0.4 {
        "low"
    } else if risk < 0.7 {
        "medium"
    } else {
        "high"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_as_escapes() {
        assert_eq!(
            escaped("\u{1b}[2K\rApproved harmless"),
            "\\u{1b}[2K\\u{d}Approved harmless"
        );
        assert_eq!(
            escaped("a\nb\tc\u{7f}\u{9b}"),
            "a\\u{a}b\\u{9}c\\u{7f}\\u{9b}"
        );
        assert_eq!(escaped("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(escaped("Refund 120.00 € · ok"), "Refund 120.00 € · ok");
        assert_eq!(
            escaped("pay\u{200b}pal\u{200c}\u{200d}\u{2060}\u{feff}"),
            "pay\\u{200b}pal\\u{200c}\\u{200d}\\u{2060}\\u{feff}"
        );
        assert_eq!(
            escaped("ok\u{e0041}\u{e007f}\u{2028}x\u{2029}"),
            "ok\\u{e0041}\\u{e007f}\\u{2028}x\\u{2029}"
        );
        assert_eq!(
            escaped("e\u{301}\u{200b}"),
            "e\u{301}\\u{200b}",
            "a combining accent stays"
        );
    }

    #[test]
    fn details_files_are_new_and_unpredictable() {
        let details = serde_json::json!({"amount": 1});
        let first = create_details_file(&details).unwrap();
        let second = create_details_file(&details).unwrap();
        let _removed = (Removed(&first), Removed(&second));
        assert_ne!(first, second);
        assert_eq!(first.parent(), Some(std::env::temp_dir().as_path()));
        assert_ne!(
            first.file_name().unwrap().to_str(),
            Some(format!("cheqpoint-details-{}.json", std::process::id()).as_str())
        );
        assert_eq!(
            std::fs::read_to_string(&first).unwrap(),
            "{\n  \"amount\": 1\n}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&first).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
