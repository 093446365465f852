//! One shell word as the shell would read it: its text after quote removal when nothing in it
//! expands, or unknown when something does (a parameter, `~`, a glob, a brace list); and the
//! scripts it would run (`$(..)`, backquotes), which the line's analysis reads in turn.

use brush_parser::{
    ParserOptions,
    word::{self, WordPiece, WordPieceWithSource},
};

/// What a word is, read.
#[derive(Debug, Default)]
pub(crate) struct Read {
    /// The word's text, when nothing in it expands.
    pub(crate) literal: Option<String>,
    /// Scripts that substitutions in it run.
    pub(crate) scripts: Vec<String>,
    /// Why its effect cannot be bounded, when it cannot.
    pub(crate) unbounded: Option<String>,
}

/// Reads `raw` (a word as the parser cut it).
pub(crate) fn read(raw: &str, options: &ParserOptions) -> Read {
    let mut read = Read::default();
    match word::parse(raw, options) {
        Ok(pieces) => {
            let mut text = String::new();
            let known = walk(raw, &pieces, false, &mut text, &mut read);
            read.literal = known.then_some(text);
        }
        Err(_) => read.unbounded = Some(format!("the word {raw:?} cannot be read")),
    }
    read
}

/// Reads a here-document's body, whose substitutions run when its delimiter is unquoted.
pub(crate) fn read_heredoc(body: &str, options: &ParserOptions) -> Read {
    let mut read = Read::default();
    match word::parse_heredoc(body, options) {
        Ok(pieces) => {
            walk(body, &pieces, true, &mut String::new(), &mut read);
        }
        Err(_) => read.unbounded = Some("a here-document cannot be read".into()),
    }
    read
}

/// Appends the literal text of `pieces` to `text`; false when some piece expands.
fn walk(
    raw: &str,
    pieces: &[WordPieceWithSource],
    quoted: bool,
    text: &mut String,
    read: &mut Read,
) -> bool {
    let mut known = true;
    for piece in pieces {
        let source = raw.get(piece.start_index..piece.end_index).unwrap_or(raw);
        match &piece.piece {
            WordPiece::Text(t) => {
                // Unquoted, `*?[` make a glob and `{a,b}` a brace list: the shell expands both.
                let expands = !quoted
                    && (t.contains(['*', '?', '['])
                        || (t.contains('{') && (t.contains(',') || t.contains(".."))));
                known &= !expands;
                text.push_str(t);
            }
            WordPiece::SingleQuotedText(t) => text.push_str(t),
            // `$'..'` with escapes in it stands for other characters than it shows.
            WordPiece::AnsiCQuotedText(t) if !t.contains('\\') => text.push_str(t),
            WordPiece::AnsiCQuotedText(_) => known = false,
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => {
                known &= walk(raw, inner, true, text, read);
            }
            WordPiece::EscapeSequence(escaped) => {
                // `\x` stands for `x`; a backslash before a newline joins the lines.
                let after = escaped.strip_prefix('\\').unwrap_or(escaped);
                if after != "\n" {
                    text.push_str(after);
                }
            }
            WordPiece::CommandSubstitution(script) => {
                substitution(read, script.clone());
                known = false;
            }
            WordPiece::BackquotedCommandSubstitution(script) => {
                substitution(read, unescape_backquoted(script));
                known = false;
            }
            WordPiece::TildeExpansion(_) => known = false,
            WordPiece::ParameterExpansion(_) | WordPiece::ArithmeticExpression(_) => {
                // Their inner words are kept as text by the parser: a substitution or a prompt
                // expansion (`@P`) in there runs code the walk above would not see.
                if source.contains("$(") || source.contains('`') || source.contains("@P") {
                    read.unbounded
                        .get_or_insert_with(|| format!("{source} runs code inside an expansion"));
                }
                known = false;
            }
        }
    }
    known
}

fn substitution(read: &mut Read, script: String) {
    read.unbounded
        .get_or_insert_with(|| "it runs a command substitution, whose output is not known".into());
    read.scripts.push(script);
}

/// Inside backquotes, `\``, `\$` and `\\` stand for the character after the backslash.
fn unescape_backquoted(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some('`' | '$' | '\\')) => out.extend(chars.next()),
            _ => out.push(c),
        }
    }
    out
}
