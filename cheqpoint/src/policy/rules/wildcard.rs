//! Wildcards as people write them in rules: `*` for any run of characters, `?` for one. In a
//! path pattern (`Wildcard::path`), `*` and `?` stop at `/` and `**` crosses it.

/// One pattern, compiled to its pieces.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wildcard {
    text: String,
    pieces: Vec<Piece>,
    /// `?` and `*` stop at `/`.
    path: bool,
    /// No wildcard in it.
    literal: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(char),
    /// `?`: one character (not `/` in a path pattern).
    One,
    /// `*`: any run (not crossing `/` in a path pattern).
    Run,
    /// `**` in a path pattern: any run, `/` included.
    Deep,
}

impl Wildcard {
    /// `*` and `?` match any character.
    pub(crate) fn new(text: &str) -> Wildcard {
        Wildcard::compile(text, false)
    }

    /// `*` and `?` stop at `/`; `**` crosses it.
    pub(crate) fn path(text: &str) -> Wildcard {
        Wildcard::compile(text, true)
    }

    fn compile(text: &str, path: bool) -> Wildcard {
        let mut pieces = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            pieces.push(match c {
                '*' if path && chars.peek() == Some(&'*') => {
                    chars.next();
                    Piece::Deep
                }
                '*' if path => Piece::Run,
                '*' => Piece::Deep,
                '?' => Piece::One,
                c => Piece::Literal(c),
            });
        }
        let literal = pieces.iter().all(|p| matches!(p, Piece::Literal(_)));
        Wildcard {
            text: text.to_owned(),
            pieces,
            path,
            literal,
        }
    }

    /// The pattern as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the pattern holds no wildcard.
    pub(crate) fn is_literal(&self) -> bool {
        self.literal
    }

    /// True when `text` matches the whole pattern.
    pub(crate) fn matches(&self, text: &str) -> bool {
        // Most patterns are names: compared as they are, with nothing allocated.
        if self.is_literal() {
            return text == self.text;
        }
        let text: Vec<char> = text.chars().collect();
        matches_from(&self.pieces, &text, self.path)
    }
}

/// Dynamic programming over pieces × characters: `reach[t]` says whether the pieces so far can
/// match the first `t` characters. At most pieces × characters steps, whatever the pattern.
fn matches_from(pieces: &[Piece], text: &[char], path: bool) -> bool {
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    let mut next = vec![false; text.len() + 1];
    for piece in pieces {
        for t in 0..=text.len() {
            match piece {
                Piece::Literal(c) => next[t] = t > 0 && reach[t - 1] && text[t - 1] == *c,
                Piece::One => next[t] = t > 0 && reach[t - 1] && !(path && text[t - 1] == '/'),
                // A run extends the match before it by any characters (not `/` for `Run` in a
                // path pattern).
                Piece::Run | Piece::Deep => {
                    let crosses = matches!(piece, Piece::Deep) || !path;
                    next[t] = reach[t] || (t > 0 && next[t - 1] && (crosses || text[t - 1] != '/'));
                }
            }
        }
        std::mem::swap(&mut reach, &mut next);
    }
    reach[text.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_single_characters() {
        let w = Wildcard::new("delete_*");
        assert!(w.matches("delete_branch") && w.matches("delete_") && !w.matches("undelete_x"));
        assert!(Wildcard::new("a?c").matches("abc") && !Wildcard::new("a?c").matches("ac"));
        assert!(Wildcard::new("*.rs").matches("src/lib.rs"));
        assert!(
            Wildcard::new("a*b*c").matches("aXbYbZc") && !Wildcard::new("a*b*c").matches("acb")
        );
        assert!(Wildcard::new("").matches("") && !Wildcard::new("").matches("x"));
        assert!(Wildcard::new("git").is_literal() && !w.is_literal());
    }

    #[test]
    fn path_runs_stop_at_slashes() {
        let w = Wildcard::path("/p/*.rs");
        assert!(w.matches("/p/lib.rs") && !w.matches("/p/src/lib.rs"));
        let deep = Wildcard::path("/p/**.rs");
        assert!(deep.matches("/p/src/lib.rs"));
        let secrets = Wildcard::path("**/.ssh/**");
        assert!(secrets.matches("/home/me/.ssh/id_rsa") && !secrets.matches("/home/me/ssh/x"));
        // A deep run takes as much as it needs, past a shallow one's stop.
        assert!(Wildcard::path("**/x/*").matches("/a/x/b/x/c"));
        assert!(!Wildcard::path("/p/?").matches("/p//"));
    }
}
