//! Line editing at the terminal: a prompt whose line starts filled in (the details, as one line
//! of JSON) and is edited in place with the usual keys (arrows, Home/End, word moves, deletion),
//! through `rustyline`. Only with the `line-editing` feature, and only when stdin and stdout are a
//! terminal; otherwise the reviewer reads plain lines from its input.

use std::fmt::Write as _;

#[cfg(feature = "line-editing")]
pub(crate) use with_rustyline::LineEditor;
#[cfg(not(feature = "line-editing"))]
pub(crate) use without::LineEditor;

#[cfg(feature = "line-editing")]
mod with_rustyline {
    use std::io::{self, IsTerminal};

    use rustyline::{DefaultEditor, error::ReadlineError};

    /// The terminal's line editor. Held in an `Option` so that a read can move it onto a
    /// blocking thread and back.
    pub(crate) struct LineEditor(Option<DefaultEditor>);

    impl LineEditor {
        /// The line editor of this process's terminal; `None` when stdin or stdout is not one.
        pub(crate) fn at_terminal() -> Option<LineEditor> {
            if !(io::stdin().is_terminal() && io::stdout().is_terminal()) {
                return None;
            }
            DefaultEditor::new()
                .ok()
                .map(|editor| LineEditor(Some(editor)))
        }

        /// Reads one line after `prompt`, starting from `initial` with the cursor at its end;
        /// `None` at the end of the input (Ctrl-D on an empty line). Ctrl-C is an
        /// [`io::ErrorKind::Interrupted`] error.
        pub(crate) async fn read(
            &mut self,
            prompt: &str,
            initial: &str,
        ) -> io::Result<Option<String>> {
            let mut editor = self.0.take().ok_or_else(|| {
                io::Error::other("the line editor was lost to an earlier failure")
            })?;
            let (prompt, initial) = (prompt.to_owned(), initial.to_owned());
            let (editor, read) = tokio::task::spawn_blocking(move || {
                let read = editor.readline_with_initial(&prompt, (&initial, ""));
                (editor, read)
            })
            .await
            .map_err(io::Error::other)?;
            self.0 = Some(editor);
            match read {
                Ok(line) => Ok(Some(line)),
                Err(ReadlineError::Eof) => Ok(None),
                Err(ReadlineError::Interrupted) => Err(io::ErrorKind::Interrupted.into()),
                Err(ReadlineError::Io(error)) => Err(error),
                Err(other) => Err(io::Error::other(other)),
            }
        }
    }
}

#[cfg(not(feature = "line-editing"))]
mod without {
    use std::io;

    /// No line editor is built without the `line-editing` feature.
    pub(crate) enum LineEditor {}

    impl LineEditor {
        pub(crate) fn at_terminal() -> Option<LineEditor> {
            None
        }

        pub(crate) async fn read(&mut self, _: &str, _: &str) -> io::Result<Option<String>> {
            match *self {}
        }
    }
}

/// `value` as one line of JSON in which every character the terminal must not receive raw
/// (see [`super::escape::escaped`]) is written as a JSON `\u` escape: the same value, shown, never obeyed.
pub(crate) fn json_line(value: &serde_json::Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    let mut line = String::with_capacity(text.len());
    for c in text.chars() {
        if super::escape::must_escape(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(line, "\\u{unit:04x}");
            }
        } else {
            line.push(c);
        }
    }
    line
}
