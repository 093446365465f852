//! `command` patterns: `git diff *`, `cargo test *`, `ls`. A pattern is words: each matches one
//! word of a simple command after the shell's quote removal (`*` and `?` inside a word are
//! wildcards), and a last word `*` matches any words that follow, none included. A word the
//! shell would expand (`$X`, `~`, `*.rs`, `{a,b}`) is known only to a last `*`.

use super::{shell::Arg, shell::Invocation, wildcard::Wildcard};

/// One pattern of a `command` list.
#[derive(Debug, Clone)]
pub(crate) struct CommandPattern {
    text: String,
    words: Vec<Wildcard>,
    /// Ends in a lone `*`: any further words.
    open: bool,
}

impl CommandPattern {
    pub(crate) fn new(text: &str) -> Result<CommandPattern, String> {
        let mut words: Vec<Wildcard> = text.split_whitespace().map(Wildcard::new).collect();
        let open = words.last().is_some_and(|w| w.as_str() == "*");
        if open {
            words.pop();
        }
        match words.first() {
            None => Err(format!("the command pattern {text:?} names no program")),
            Some(name) if !name.is_literal() => Err(format!(
                "the command pattern {text:?} must name its program exactly, not {:?}",
                name.as_str()
            )),
            Some(_) => Ok(CommandPattern {
                text: text.to_owned(),
                words,
                open,
            }),
        }
    }

    /// The pattern as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// True when every command this pattern matches, `wider` matches too: as many words or
    /// more under a last `*`, each word the same pattern or a plain word the wider one matches.
    pub(crate) fn within(&self, wider: &CommandPattern) -> bool {
        let lengths = if wider.open {
            self.words.len() >= wider.words.len()
        } else {
            !self.open && self.words.len() == wider.words.len()
        };
        lengths
            && self.words.iter().zip(&wider.words).all(|(narrow, wide)| {
                narrow.as_str() == wide.as_str()
                    || (narrow.is_literal() && wide.matches(narrow.as_str()))
            })
    }

    /// True when the pattern matches `invocation` word for word.
    pub(crate) fn matches(&self, invocation: &Invocation) -> bool {
        let count = 1 + invocation.args.len();
        if count < self.words.len() || (!self.open && count != self.words.len()) {
            return false;
        }
        let words = std::iter::once(Some(invocation.name.as_str())).chain(
            invocation.args.iter().map(|arg| match arg {
                Arg::Word(word) => Some(word.as_str()),
                Arg::Unknown => None,
            }),
        );
        self.words
            .iter()
            .zip(words)
            .all(|(pattern, word)| word.is_some_and(|word| pattern.matches(word)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(words: &[&str]) -> Invocation {
        Invocation {
            name: words[0].to_owned(),
            args: words[1..]
                .iter()
                .map(|w| {
                    if *w == "$X" {
                        Arg::Unknown
                    } else {
                        Arg::Word((*w).to_owned())
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn words_and_a_last_star() {
        let status = CommandPattern::new("git status").unwrap();
        assert!(status.matches(&call(&["git", "status"])));
        assert!(!status.matches(&call(&["git", "status", "--porcelain"])));
        let diff = CommandPattern::new("git diff *").unwrap();
        assert!(
            diff.matches(&call(&["git", "diff"])) && diff.matches(&call(&["git", "diff", "$X"]))
        );
        assert!(!diff.matches(&call(&["git", "-c", "x=y", "diff"])));
        let test = CommandPattern::new("cargo test -p *").unwrap();
        assert!(test.matches(&call(&["cargo", "test", "-p", "x"])));
        let branch = CommandPattern::new("git checkout feat/*").unwrap();
        assert!(branch.matches(&call(&["git", "checkout", "feat/x"])));
        assert!(!branch.matches(&call(&["git", "checkout", "$X"])));
        assert!(CommandPattern::new("  ").is_err() && CommandPattern::new("* x").is_err());
    }
}
