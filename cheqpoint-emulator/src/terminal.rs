//! A reviewer at the terminal: shows each pending request and asks for a decision.

use std::io::{self, Write};

use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::{ApprovalRecord, DecisionError, Emulator, Status};

/// Prompts for a decision on each pending request, oldest first, reading answers from `input`:
/// `a` approves, `r` rejects (then asks for a note), `e` edits the details (in `$EDITOR` when
/// one is set, else as one line of JSON) and approves them.
pub struct TerminalReviewer<R, W> {
    input: R,
    output: W,
    editor: Option<String>,
}

impl TerminalReviewer<tokio::io::BufReader<tokio::io::Stdin>, io::Stdout> {
    /// A reviewer on this process's stdin and stdout, editing with `$EDITOR` when it is set.
    pub fn stdio() -> Self {
        TerminalReviewer::new(tokio::io::BufReader::new(tokio::io::stdin()), io::stdout()).editor(
            std::env::var("EDITOR")
                .ok()
                .filter(|editor| !editor.trim().is_empty()),
        )
    }
}

impl<R: AsyncBufRead + Unpin, W: Write> TerminalReviewer<R, W> {
    /// A reviewer reading answers from `input` and writing prompts to `output`.
    pub fn new(input: R, output: W) -> Self {
        TerminalReviewer {
            input,
            output,
            editor: None,
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
            let request = emulator.next_pending().await;
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
                    Edited::InputEnded => return Ok(false),
                },
                _ => {
                    writeln!(self.output, "  answer a, r or e")?;
                    continue;
                }
            };
            match decided {
                Ok(record) => writeln!(self.output, "  {} {}\n", record.status, record.id)?,
                Err(DecisionError::AlreadyDecided { status, .. }) => {
                    writeln!(self.output, "  already {status} elsewhere\n")?
                }
                Err(error) => writeln!(self.output, "  {error}\n")?,
            }
            return Ok(true);
        }
    }

    fn show(&mut self, request: &ApprovalRecord) -> io::Result<()> {
        let out = &mut self.output;
        writeln!(out, "── {} · {}", request.action, request.id)?;
        writeln!(out, "   {}", request.summary)?;
        if let Some(risk) = request.risk_score {
            writeln!(out, "   risk {risk:.2} ({})", risk_level(risk))?;
        }
        if let Some(why) = &request.justification {
            writeln!(out, "   why: {why}")?;
        }
        let details = serde_json::to_string_pretty(&request.details).unwrap_or_default();
        for line in details.lines() {
            writeln!(out, "   {line}")?;
        }
        out.flush()
    }

    /// Prints `prompt` and reads one trimmed line; `None` at the end of the input.
    async fn ask(&mut self, prompt: &str) -> io::Result<Option<String>> {
        write!(self.output, "{prompt}")?;
        self.output.flush()?;
        let mut line = String::new();
        if self.input.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        Ok(Some(line.trim().to_owned()))
    }

    async fn edit(&mut self, details: &Value) -> io::Result<Edited> {
        let text = match self.editor.clone() {
            Some(editor) => match edit_in_editor(editor, details).await {
                Ok(text) => text,
                Err(error) => return Ok(Edited::Invalid(format!("the editor failed: {error}"))),
            },
            None => match self.ask("details as one line of JSON > ").await? {
                Some(line) => line,
                None => return Ok(Edited::InputEnded),
            },
        };
        Ok(match serde_json::from_str::<Value>(&text) {
            Ok(details @ Value::Object(_)) => Edited::Details(details),
            Ok(_) => Edited::Invalid("the details must be a JSON object".into()),
            Err(error) => Edited::Invalid(format!("not JSON: {error}")),
        })
    }
}

enum Edited {
    Details(Value),
    Invalid(String),
    InputEnded,
}

/// Opens `details` in the editor and returns the saved text.
async fn edit_in_editor(editor: String, details: &Value) -> io::Result<String> {
    let path = std::env::temp_dir().join(format!("cheqpoint-details-{}.json", std::process::id()));
    std::fs::write(
        &path,
        serde_json::to_string_pretty(details).unwrap_or_default(),
    )?;
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
    let _ = std::fs::remove_file(&path);
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
