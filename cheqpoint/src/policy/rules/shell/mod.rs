//! A shell line read as the shell would read it (`brush-parser`), into the simple commands it
//! runs and whether its effect can be bounded at all.
//!
//! Every simple command is found wherever it sits: after `;`, `&&`, `||`, `|`, `&` or a newline,
//! inside `( )`, `{ }`, `if`, `for`, `while`, `case`, inside a command or process
//! substitution, after a wrapper (`env`, `command`, `nice`, `nohup`, `timeout`, `stdbuf`,
//! `xargs`) and in `find -exec`. A line is unbounded — at least `ask`, whatever the allow
//! rules say — when it cannot be read, or when what it does depends on more than its words:
//! a substitution, `eval`/`source`/`exec` and their kin, a function defined on the line, a
//! script piped or fed by here-document to a shell or interpreter, an assignment that changes
//! what runs (`PATH=`, `LD_PRELOAD=`), a command name that is an expansion, an option that
//! makes a program run another, or a write outside the working directory.

mod programs;
mod words;

use std::path::PathBuf;

use brush_parser::{
    Parser, ParserOptions,
    ast::{self, CommandPrefixOrSuffixItem as Item, IoFileRedirectKind as Kind},
};

use super::paths::Places;
use programs::{
    ASSIGNING_BUILTINS, CHANGES_DIRECTORY, FIND_RUNS, FIND_WRITES, UNBOUNDED_BUILTINS, Wrapper,
    basename, has_program_options, is_harmless_variable, is_interpreter, runs_program,
    script_effect, wrapper,
};

/// The longest line read; a longer one is unbounded.
const MAX_LINE: usize = 64 << 10;
/// The most brackets and backquotes a line may hold: the parser recurses on each level, and a
/// line built to nest deeper than any person writes is unbounded instead of read.
const MAX_BRACKETS: usize = 200;
/// How deep substitutions inside substitutions are read.
const MAX_DEPTH: usize = 4;

/// One word of a simple command: its text, or unknown when the shell expands it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Word(String),
    Unknown,
}

/// A simple command the line runs: its name (as written, after quote removal) and arguments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invocation {
    pub(crate) name: String,
    pub(crate) args: Vec<Arg>,
}

/// What a line runs.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Line {
    /// Every simple command found, substitutions' included.
    pub(crate) commands: Vec<Invocation>,
    /// Why the line's effect cannot be bounded (the first reason found), if it cannot.
    pub(crate) unbounded: Option<String>,
}

/// Reads `line`, run in `places.cwd`.
pub(crate) fn analyze(line: &str, places: &Places<'_>) -> Line {
    let mut walk = Walk::new(places);
    walk.script(line, 0);
    walk.line
}

/// The characters a plain word is made of: none the shell reads as anything but itself (no
/// quote, escape, expansion, glob, comment, operator, brace or history mark).
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '.' | '/' | ':' | ',' | '@' | '%' | '+' | '-' | '=')
}

/// The shell's reserved words, which begin compound commands where they stand first.
const RESERVED: [&str; 17] = [
    "case", "coproc", "do", "done", "elif", "else", "esac", "fi", "for", "function", "if", "in",
    "select", "then", "time", "until", "while",
];

/// The words of a line that is one simple command of plain words (`git diff --stat src/`), as
/// the shell splits it; `None` for anything else, which the parser reads: another character, a
/// first word that assigns (`PATH=…`) or is reserved (`if`, `while`, …).
fn plain_words(text: &str) -> Option<Vec<&str>> {
    if !text.chars().all(|c| is_plain(c) || c == ' ' || c == '\t') {
        return None;
    }
    let words: Vec<&str> = text.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
    let first = *words.first()?;
    if first.contains('=') || RESERVED.contains(&first) {
        return None;
    }
    Some(words)
}

struct Walk<'a> {
    places: &'a Places<'a>,
    /// The working directory, placed.
    cwd: Option<PathBuf>,
    options: ParserOptions,
    line: Line,
    /// A `cd` (or `pushd`, `popd`) came earlier: relative paths no longer start at `cwd`.
    moved: bool,
}

impl<'a> Walk<'a> {
    fn new(places: &'a Places<'a>) -> Walk<'a> {
        Walk {
            places,
            cwd: places.place(places.cwd.to_str().unwrap_or("")),
            options: ParserOptions::default(),
            line: Line::default(),
            moved: false,
        }
    }

    fn flag(&mut self, why: impl Into<String>) {
        if self.line.unbounded.is_none() {
            self.line.unbounded = Some(why.into());
        }
    }

    fn script(&mut self, text: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return self.flag("substitutions are nested too deeply to read");
        }
        let brackets = text
            .chars()
            .filter(|c| matches!(c, '(' | '{' | '[' | '`'))
            .count();
        if text.len() > MAX_LINE || brackets > MAX_BRACKETS || text.contains('\0') {
            return self.flag("the line is too long or too deeply nested to read");
        }
        if text.trim().is_empty() {
            return self.flag("the line is empty");
        }
        // Most lines are one command of plain words: read as the parser would, without it.
        if let Some(words) = plain_words(text) {
            let words = words.into_iter().map(|w| Arg::Word(w.to_owned())).collect();
            return self.invoke(words, false, depth);
        }
        self.parsed(text, depth);
    }

    /// Reads `text` with the shell parser, and walks what it found.
    fn parsed(&mut self, text: &str, depth: usize) {
        let options = &self.options;
        // The parser is not ours: a panic inside it is a line that cannot be read, never a
        // crash of the caller.
        let parsed = std::panic::catch_unwind(|| {
            Parser::new(std::io::BufReader::new(text.as_bytes()), options).parse_program()
        });
        match parsed {
            Ok(Ok(program)) => {
                for list in &program.complete_commands {
                    self.list(list, false, depth);
                }
            }
            Ok(Err(error)) => self.flag(format!(
                "the line cannot be read as a shell command ({error})"
            )),
            Err(_) => self.flag("the line cannot be read as a shell command"),
        }
    }

    fn list(&mut self, list: &ast::CompoundList, fed: bool, depth: usize) {
        for ast::CompoundListItem(and_or, _) in &list.0 {
            self.pipeline(&and_or.first, fed, depth);
            for next in &and_or.additional {
                let (ast::AndOr::And(pipeline) | ast::AndOr::Or(pipeline)) = next;
                self.pipeline(pipeline, fed, depth);
            }
        }
    }

    /// Every command after the first reads the one before it on standard input.
    fn pipeline(&mut self, pipeline: &ast::Pipeline, fed: bool, depth: usize) {
        for (i, command) in pipeline.seq.iter().enumerate() {
            self.command(command, fed || i > 0, depth);
        }
    }

    fn command(&mut self, command: &ast::Command, fed: bool, depth: usize) {
        match command {
            ast::Command::Simple(simple) => self.simple(simple, fed, depth),
            ast::Command::Compound(compound, redirects) => {
                let mut fed = fed;
                for redirect in redirects.iter().flat_map(|list| &list.0) {
                    fed |= self.redirect(redirect, depth);
                }
                self.compound(compound, fed, depth);
            }
            ast::Command::Function(definition) => self.flag(format!(
                "it defines a function `{}`, which changes what that name runs",
                definition.fname.value
            )),
            ast::Command::ExtendedTest(test, redirects) => {
                self.code_in(&test.expr.to_string());
                for redirect in redirects.iter().flat_map(|list| &list.0) {
                    self.redirect(redirect, depth);
                }
            }
        }
    }

    fn compound(&mut self, compound: &ast::CompoundCommand, fed: bool, depth: usize) {
        use ast::CompoundCommand as C;
        match compound {
            C::Arithmetic(arithmetic) => self.code_in(&arithmetic.expr.value),
            C::ArithmeticForClause(for_clause) => {
                for expr in [
                    &for_clause.initializer,
                    &for_clause.condition,
                    &for_clause.updater,
                ]
                .into_iter()
                .flatten()
                {
                    self.code_in(&expr.value);
                }
                self.list(&for_clause.body.list, fed, depth);
            }
            C::BraceGroup(group) => self.list(&group.list, fed, depth),
            C::Subshell(subshell) => self.list(&subshell.list, fed, depth),
            C::ForClause(for_clause) => {
                self.variable(&for_clause.variable_name);
                for word in for_clause.values.iter().flatten() {
                    self.arg(&word.value, depth);
                }
                self.list(&for_clause.body.list, fed, depth);
            }
            C::CaseClause(case) => {
                self.arg(&case.value.value, depth);
                for item in &case.cases {
                    for pattern in &item.patterns {
                        self.arg(&pattern.value, depth);
                    }
                    if let Some(list) = &item.cmd {
                        self.list(list, fed, depth);
                    }
                }
            }
            C::IfClause(if_clause) => {
                self.list(&if_clause.condition, fed, depth);
                self.list(&if_clause.then, fed, depth);
                for other in if_clause.elses.iter().flatten() {
                    if let Some(condition) = &other.condition {
                        self.list(condition, fed, depth);
                    }
                    self.list(&other.body, fed, depth);
                }
            }
            C::WhileClause(clause) | C::UntilClause(clause) => {
                self.list(&clause.0, fed, depth);
                self.list(&clause.1.list, fed, depth);
            }
            C::Coprocess(_) => self.flag("coproc runs a command beside the shell"),
        }
    }

    /// Text the parser keeps unread (arithmetic, `[[ ]]`), where a substitution runs code.
    fn code_in(&mut self, text: &str) {
        if text.contains("$(") || text.contains('`') {
            self.flag(format!("{text} runs a command substitution"));
        }
    }

    fn simple(&mut self, simple: &ast::SimpleCommand, fed: bool, depth: usize) {
        let mut fed = fed;
        let mut words = Vec::new();
        for item in simple.prefix.iter().flat_map(|p| &p.0) {
            fed |= self.item(item, false, &mut words, depth);
        }
        if let Some(name) = &simple.word_or_name {
            words.push(self.arg(&name.value, depth));
        }
        for item in simple.suffix.iter().flat_map(|s| &s.0) {
            fed |= self.item(item, true, &mut words, depth);
        }
        // Assignments and redirections alone run nothing.
        if !words.is_empty() {
            self.invoke(words, fed, depth);
        }
    }

    /// One item around a command's name; true when it feeds standard input from the line.
    fn item(&mut self, item: &Item, after_name: bool, words: &mut Vec<Arg>, depth: usize) -> bool {
        match item {
            Item::IoRedirect(redirect) => return self.redirect(redirect, depth),
            // Before the name it sets a variable for the command; after, it is an argument
            // (`export A=b`, checked with the builtin).
            Item::AssignmentWord(assignment, _) if !after_name => {
                self.assignment(assignment, depth)
            }
            Item::AssignmentWord(_, word) | Item::Word(word) => {
                words.push(self.arg(&word.value, depth))
            }
            Item::ProcessSubstitution(_, subshell) => {
                self.flag("it runs a process substitution");
                self.list(&subshell.list, false, depth);
                words.push(Arg::Unknown);
            }
        }
        false
    }

    /// A word read: its substitutions' scripts are read in turn.
    fn arg(&mut self, raw: &str, depth: usize) -> Arg {
        let read = words::read(raw, &self.options);
        self.absorb(read, depth)
    }

    fn absorb(&mut self, read: words::Read, depth: usize) -> Arg {
        if let Some(why) = read.unbounded {
            self.flag(why);
        }
        for script in &read.scripts {
            self.script(script, depth + 1);
        }
        read.literal.map_or(Arg::Unknown, Arg::Word)
    }

    fn assignment(&mut self, assignment: &ast::Assignment, depth: usize) {
        match &assignment.name {
            ast::AssignmentName::VariableName(name) => self.variable(name),
            ast::AssignmentName::ArrayElementName(name, index) => {
                self.variable(name);
                self.code_in(index);
            }
        }
        match &assignment.value {
            ast::AssignmentValue::Scalar(word) => {
                self.arg(&word.value, depth);
            }
            ast::AssignmentValue::Array(items) => {
                for (key, value) in items {
                    if let Some(key) = key {
                        self.arg(&key.value, depth);
                    }
                    self.arg(&value.value, depth);
                }
            }
        }
    }

    /// A variable the line sets.
    fn variable(&mut self, name: &str) {
        if !is_harmless_variable(name) {
            self.flag(format!("it sets {name}, which can change what runs"));
        }
    }

    /// Reads a redirection; true when it feeds standard input from the line itself.
    fn redirect(&mut self, redirect: &ast::IoRedirect, depth: usize) -> bool {
        use ast::{IoFileRedirectTarget as Target, IoRedirect as R};
        match redirect {
            R::File(_, kind, target) => {
                let writes = matches!(
                    kind,
                    Kind::Write | Kind::Append | Kind::Clobber | Kind::ReadAndWrite
                );
                match target {
                    Target::Filename(word) | Target::Duplicate(word) => {
                        let target = self.arg(&word.value, depth);
                        let to_file = !matches!(&target, Arg::Word(w) if w == "-" || w.parse::<u32>().is_ok());
                        if writes || (matches!(kind, Kind::DuplicateOutput) && to_file) {
                            self.output(target);
                        }
                    }
                    Target::Fd(_) => {}
                    Target::ProcessSubstitution(_, subshell) => {
                        self.flag("it runs a process substitution");
                        self.list(&subshell.list, false, depth);
                    }
                }
                false
            }
            R::HereDocument(fd, doc) => {
                if doc.requires_expansion {
                    let read = words::read_heredoc(&doc.doc.value, &self.options);
                    self.absorb(read, depth);
                }
                fd.is_none_or(|fd| fd == 0)
            }
            R::HereString(fd, word) => {
                self.arg(&word.value, depth);
                fd.is_none_or(|fd| fd == 0)
            }
            R::OutputAndError(word, _) => {
                let target = self.arg(&word.value, depth);
                self.output(target);
                false
            }
        }
    }

    /// A file the line writes: it must be inside the working directory.
    fn output(&mut self, target: Arg) {
        let Arg::Word(path) = target else {
            return self.flag("it writes to a file whose name is an expansion");
        };
        if ["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"].contains(&path.as_str())
            || path.starts_with("/dev/fd/")
        {
            return;
        }
        if self.moved && !path.starts_with('/') && !path.starts_with('~') {
            return self.flag(format!("it writes to {path} after changing directory"));
        }
        match (self.places.place(&path), &self.cwd) {
            (Some(place), Some(cwd)) if place.starts_with(cwd) => {}
            (Some(_), Some(_)) => self.flag(format!(
                "it writes to {path}, outside the working directory"
            )),
            _ => self.flag(format!("it writes to {path}, which cannot be placed")),
        }
    }

    /// A simple command: checked for what makes a line unbounded, seen through when it is a
    /// wrapper, and recorded.
    fn invoke(&mut self, mut words: Vec<Arg>, fed: bool, depth: usize) {
        let name = match words.first() {
            Some(Arg::Word(name)) => name.clone(),
            _ => return self.flag("a command's name is an expansion, so what runs is not known"),
        };
        let args = words.split_off(1);
        let base = basename(&name);
        if let Some((_, why)) = UNBOUNDED_BUILTINS.iter().find(|(b, _)| *b == base) {
            self.flag(format!("`{base}` {why}"));
        }
        if base == "printf"
            && args
                .iter()
                .any(|a| matches!(a, Arg::Word(w) if w.starts_with("-v")))
        {
            self.flag("`printf -v` sets a variable");
        }
        if ASSIGNING_BUILTINS.contains(&base) {
            for arg in &args {
                match arg {
                    Arg::Unknown => self.flag(format!(
                        "`{base}` sets a variable whose name is an expansion"
                    )),
                    Arg::Word(word) => {
                        if let Some((variable, _)) = word.split_once('=') {
                            let variable = variable.trim_end_matches('+');
                            self.variable(variable.split('[').next().unwrap_or(variable));
                        }
                    }
                }
            }
        }
        if CHANGES_DIRECTORY.contains(&base) {
            self.moved = true;
        }
        if fed && is_interpreter(&name) {
            self.flag(format!("it feeds a script to `{name}`"));
        }
        if has_program_options(&name) {
            for arg in &args {
                match arg {
                    Arg::Unknown => self.flag(format!(
                        "an expanded word among `{name}`'s arguments may be an option that runs a program"
                    )),
                    Arg::Word(word) => {
                        if let Some(option) = runs_program(&name, word) {
                            self.flag(format!("`{name} {option}` runs another program"));
                        }
                    }
                }
            }
        }
        if base == "find" {
            self.find(&args, depth);
        }
        let words: Vec<&str> = args
            .iter()
            .filter_map(|arg| match arg {
                Arg::Word(word) => Some(word.as_str()),
                Arg::Unknown => None,
            })
            .collect();
        if let Some(why) = script_effect(&name, &words) {
            self.flag(format!("it runs {why}"));
        }
        let looks_up = base == "command"
            && args
                .iter()
                .any(|a| matches!(a, Arg::Word(w) if w == "-v" || w == "-V"));
        match wrapper(&name) {
            Some(wrapper) if !looks_up => self.unwrap(wrapper, name, args, fed, depth),
            _ => self.line.commands.push(Invocation { name, args }),
        }
    }

    /// The command a wrapper runs, read as a command of its own.
    fn unwrap(&mut self, wrapper: &Wrapper, name: String, args: Vec<Arg>, fed: bool, depth: usize) {
        let mut at = 0;
        let mut leading = wrapper.leading;
        let mut options = true;
        while let Some(arg) = args.get(at) {
            let Arg::Word(word) = arg else {
                return self.flag(format!(
                    "an expanded word among `{name}`'s options may be any option"
                ));
            };
            if options && word == "--" {
                options = false;
            } else if options && wrapper.flags.contains(&word.as_str()) {
            } else if options && wrapper.valued.contains(&word.as_str()) {
                at += 1;
            } else if options && word.starts_with('-') && word.len() > 1 {
                let attached = wrapper.valued.iter().any(|v| {
                    word.strip_prefix(v).is_some_and(|rest| {
                        rest.starts_with('=') || (!v.starts_with("--") && !rest.is_empty())
                    })
                });
                let niceness =
                    wrapper.name == "nice" && word[1..].bytes().all(|b| b.is_ascii_digit());
                if !attached && !niceness {
                    return self.flag(format!(
                        "`{name} {word}` is an option this analysis does not know"
                    ));
                }
            } else if wrapper.assigns && word.split_once('=').is_some_and(|(v, _)| !v.is_empty()) {
                let variable = word.split_once('=').map_or("", |(v, _)| v).to_owned();
                self.variable(&variable);
            } else if leading > 0 {
                leading -= 1;
            } else {
                break;
            }
            at += 1;
        }
        let mut inner: Vec<Arg> = args.get(at..).unwrap_or_default().to_vec();
        if inner.is_empty() {
            match wrapper.default {
                Some(default) => inner.push(Arg::Word(default.to_owned())),
                None => return self.line.commands.push(Invocation { name, args }),
            }
        }
        if wrapper.appends {
            inner.push(Arg::Unknown);
        }
        self.invoke(inner, fed, depth);
    }

    /// `find`: the commands its `-exec` actions run, and the actions that write.
    fn find(&mut self, args: &[Arg], depth: usize) {
        let mut at = 0;
        while let Some(arg) = args.get(at) {
            match arg {
                Arg::Unknown => {
                    self.flag("an expanded word among find's arguments may be an action")
                }
                Arg::Word(word) if FIND_WRITES.contains(&word.as_str()) => {
                    self.flag(format!("`find {word}` deletes or writes files"));
                }
                Arg::Word(word) if FIND_RUNS.contains(&word.as_str()) => {
                    let rest = args.get(at + 1..).unwrap_or_default();
                    let end = rest
                        .iter()
                        .position(|a| matches!(a, Arg::Word(w) if w == ";" || w == "+"))
                        .unwrap_or(rest.len());
                    let inner: Vec<Arg> = rest[..end]
                        .iter()
                        .map(|a| match a {
                            Arg::Word(w) if w.contains("{}") => Arg::Unknown,
                            other => other.clone(),
                        })
                        .collect();
                    if inner.is_empty() {
                        self.flag(format!("`find {word}` names no command"));
                    } else {
                        self.invoke(inner, false, depth);
                    }
                    at += end + 1;
                }
                Arg::Word(_) => {}
            }
            at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::{prelude::*, test_runner::TestRunner};

    use super::*;

    /// Plain lines read without the parser read as the parser reads them: the same commands,
    /// the same flags (a wrapper, an interpreter, a `cd`, a path out of the directory).
    #[test]
    fn plain_lines_read_as_the_parser_reads_them() {
        let word = prop_oneof![
            Just("git"),
            Just("status"),
            Just("env"),
            Just("A=b"),
            Just("xargs"),
            Just("sh"),
            Just("-c"),
            Just("cd"),
            Just(".."),
            Just("../x"),
            Just("/etc/passwd"),
            Just("-exec"),
            Just("find"),
            Just("rm"),
            Just("-rf"),
            Just("python3"),
            Just("if"),
            Just("x=1"),
            Just("time"),
            Just("a,b"),
            Just("u@h:p"),
            Just("50%"),
            Just("+x"),
            Just("--k=v"),
        ];
        let line = (
            prop::collection::vec(word, 1..6),
            prop_oneof![Just(" "), Just("  "), Just("\t")],
        )
            .prop_map(|(words, gap)| words.join(gap));
        let places = Places::new(Path::new("/work/p"), Some(Path::new("/root")));
        let (plain, total) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
        TestRunner::new(ProptestConfig {
            cases: 2000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })
        .run(&line, |line| {
            total.set(total.get() + 1);
            plain.set(plain.get() + usize::from(plain_words(&line).is_some()));
            let mut parsed = Walk::new(&places);
            parsed.parsed(&line, 0);
            prop_assert_eq!(analyze(&line, &places), parsed.line, "{:?}", line);
            Ok(())
        })
        .unwrap();
        let (plain, total) = (plain.get(), total.get());
        eprintln!("plain lines: {plain} of {total} read without the parser");
        assert!(plain > total / 4 && plain < total, "{plain} of {total}");
    }
}
