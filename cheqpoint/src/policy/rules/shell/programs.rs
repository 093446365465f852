//! What the analysis knows of particular programs, kept as data: builtins whose effect has no
//! bound, programs that run a script they are fed, wrappers that run another command (and
//! their options), options that make an ordinary program run another, scripts of awk and sed
//! that run commands or write files, and the variables an assignment may set without changing
//! what runs.

/// Builtins whose effect cannot be bounded from the line, with why.
pub(crate) const UNBOUNDED_BUILTINS: [(&str, &str); 14] = [
    ("eval", "runs its arguments as a script"),
    ("source", "runs a file as a script in this shell"),
    (".", "runs a file as a script in this shell"),
    ("exec", "replaces the shell with another program"),
    ("trap", "sets code that runs later"),
    ("alias", "changes what a name runs"),
    ("enable", "turns builtins on and off"),
    ("hash", "changes where a name is found"),
    ("fc", "runs commands from the history"),
    ("coproc", "runs a command beside the shell"),
    ("mapfile", "sets variables and can run a callback"),
    ("readarray", "sets variables and can run a callback"),
    ("read", "sets variables from data"),
    ("let", "evaluates arithmetic that can run code"),
];

/// Builtins that set variables from their arguments (`NAME=value`).
pub(crate) const ASSIGNING_BUILTINS: [&str; 5] =
    ["export", "declare", "typeset", "local", "readonly"];

/// Builtins that change the working directory, after which a relative path leads elsewhere.
pub(crate) const CHANGES_DIRECTORY: [&str; 3] = ["cd", "pushd", "popd"];

/// Programs that run the script they read on standard input (or from a here-document).
/// (`awk` is not among them: its program is an argument, and its input is data.)
const INTERPRETERS: [&str; 23] = [
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "mksh",
    "yash",
    "fish",
    "csh",
    "tcsh",
    "busybox",
    "perl",
    "ruby",
    "node",
    "nodejs",
    "deno",
    "bun",
    "php",
    "lua",
    "tclsh",
    "Rscript",
    "osascript",
    "pwsh",
];

/// True when `name` (its last path component) runs the script it is fed.
pub(crate) fn is_interpreter(name: &str) -> bool {
    let base = basename(name);
    INTERPRETERS.contains(&base) || base.starts_with("python") || base.starts_with("pypy")
}

/// The last path component of a command name.
pub(crate) fn basename(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Variables an assignment may set, on its own or before a command, without changing which
/// program runs or what it loads. Any other name (`PATH`, `LD_PRELOAD`, `GIT_SSH_COMMAND`,
/// `HOME`, which moves every configuration file, ...) makes the line unbounded.
const HARMLESS_VARIABLES: [&str; 22] = [
    "RUST_LOG",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
    "RUST_TEST_THREADS",
    "CARGO_TERM_COLOR",
    "CARGO_INCREMENTAL",
    "NO_COLOR",
    "FORCE_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "TERM",
    "COLUMNS",
    "LINES",
    "LANG",
    "LANGUAGE",
    "TZ",
    "CI",
    "DEBUG",
    "VERBOSE",
    "NODE_ENV",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
];

/// True when assigning `name` cannot change what runs.
pub(crate) fn is_harmless_variable(name: &str) -> bool {
    HARMLESS_VARIABLES.contains(&name) || name.starts_with("LC_")
}

/// A wrapper: a program that runs the command named after its own options.
#[derive(Debug)]
pub(crate) struct Wrapper {
    pub(crate) name: &'static str,
    /// Options that take no value.
    pub(crate) flags: &'static [&'static str],
    /// Options whose value is the next word (or after `=`, or attached to a short option).
    pub(crate) valued: &'static [&'static str],
    /// Plain words it reads before the command (`timeout`'s duration).
    pub(crate) leading: usize,
    /// `NAME=value` words before the command set variables (`env`).
    pub(crate) assigns: bool,
    /// It appends words of its input to the command (`xargs`).
    pub(crate) appends: bool,
    /// The command it runs when none is named.
    pub(crate) default: Option<&'static str>,
}

/// The wrappers the analysis sees through. `sudo`, `doas`, `ssh` and the like are not among
/// them: they change who or where a command runs, so they match only a rule that names them.
pub(crate) const WRAPPERS: [Wrapper; 8] = [
    Wrapper {
        name: "env",
        flags: &[
            "-i",
            "--ignore-environment",
            "-0",
            "--null",
            "-v",
            "--debug",
            "-",
        ],
        valued: &["-u", "--unset"],
        leading: 0,
        assigns: true,
        appends: false,
        default: None,
    },
    Wrapper {
        name: "command",
        flags: &["-p"],
        valued: &[],
        leading: 0,
        assigns: false,
        appends: false,
        default: None,
    },
    Wrapper {
        name: "builtin",
        flags: &[],
        valued: &[],
        leading: 0,
        assigns: false,
        appends: false,
        default: None,
    },
    Wrapper {
        name: "nice",
        flags: &[],
        valued: &["-n", "--adjustment"],
        leading: 0,
        assigns: false,
        appends: false,
        default: None,
    },
    Wrapper {
        name: "nohup",
        flags: &[],
        valued: &[],
        leading: 0,
        assigns: false,
        appends: false,
        default: None,
    },
    Wrapper {
        name: "timeout",
        flags: &["--preserve-status", "--foreground", "-v", "--verbose"],
        valued: &["-s", "--signal", "-k", "--kill-after"],
        leading: 1,
        assigns: false,
        appends: false,
        default: None,
    },
    Wrapper {
        name: "stdbuf",
        flags: &[],
        valued: &["-i", "-o", "-e", "--input", "--output", "--error"],
        leading: 0,
        assigns: false,
        appends: false,
        default: None,
    },
    Wrapper {
        name: "xargs",
        flags: &[
            "-0",
            "--null",
            "-r",
            "--no-run-if-empty",
            "-t",
            "--verbose",
            "-x",
            "--exit",
        ],
        valued: &[
            "-I",
            "-L",
            "-n",
            "-P",
            "-d",
            "-E",
            "-s",
            "-a",
            "--arg-file",
            "--max-args",
            "--max-procs",
            "--delimiter",
            "--max-lines",
            "--replace",
            "--eof",
            "--max-chars",
        ],
        leading: 0,
        assigns: false,
        appends: true,
        default: Some("echo"),
    },
];

/// The wrapper `name` is, if any. `command -v` and `command -V` only look a name up.
pub(crate) fn wrapper(name: &str) -> Option<&'static Wrapper> {
    WRAPPERS.iter().find(|w| w.name == basename(name))
}

/// Options that make an ordinary program run another program or script, by program.
const RUNS_PROGRAMS: [(&str, &[&str]); 8] = [
    ("rg", &["--pre"]),
    ("sort", &["--compress-program"]),
    (
        "tar",
        &[
            "--to-command",
            "--use-compress-program",
            "-I",
            "--checkpoint-action",
            "--info-script",
            "--new-volume-script",
            "-F",
        ],
    ),
    (
        "git",
        &[
            "--upload-pack",
            "--receive-pack",
            "--exec",
            "-c",
            "--config-env",
            "--exec-path",
        ],
    ),
    ("rsync", &["-e", "--rsh", "--rsync-path"]),
    ("cargo", &["--config"]),
    ("make", &["SHELL", ".SHELLFLAGS", "--eval", "-E"]),
    ("go", &["-exec", "-toolexec"]),
];

/// The option of `program` among `word`'s forms (`--pre`, `--pre=x`, `-Ix`) that runs another
/// program, if `word` is one.
pub(crate) fn runs_program(program: &str, word: &str) -> Option<&'static str> {
    let (_, options) = RUNS_PROGRAMS
        .iter()
        .find(|(p, _)| *p == basename(program))?;
    options.iter().copied().find(|option| {
        word == *option
            || word
                .strip_prefix(option)
                .is_some_and(|rest| rest.starts_with('='))
            || (option.len() == 2 && option.starts_with('-') && word.starts_with(option))
    })
}

/// True when `program` has options that run other programs: an expanded word among its
/// arguments may be one.
pub(crate) fn has_program_options(program: &str) -> bool {
    RUNS_PROGRAMS.iter().any(|(p, _)| *p == basename(program))
}

/// `find`'s actions that run a command, up to `;` or `+`.
pub(crate) const FIND_RUNS: [&str; 4] = ["-exec", "-execdir", "-ok", "-okdir"];

/// `find`'s actions that delete or write files named in the line.
pub(crate) const FIND_WRITES: [&str; 5] = ["-delete", "-fprint", "-fprint0", "-fprintf", "-fls"];

/// The awk family: its program (an argument) can run commands and write files.
const AWKS: [&str; 4] = ["awk", "gawk", "mawk", "nawk"];

/// Why an awk program may run a command or write a file, if it may: `system(…)`, a pipe to or
/// from a command, `getline` from one, or `print > "file"`. A comparison (`$3 > 100`) is not an
/// output, and is left alone.
fn awk_effect(program: &str) -> Option<&'static str> {
    if program.contains("system") {
        Some("an awk program that calls `system`")
    } else if program.contains('|') {
        Some("an awk program that pipes to or from a command")
    } else if program.contains("getline") {
        Some("an awk program that reads with `getline`")
    } else if program.match_indices('>').any(|(at, _)| {
        program[at..]
            .trim_start_matches(['>', ' '])
            .starts_with(['"', '('])
    }) {
        Some("an awk program that writes a file")
    } else {
        None
    }
}

/// Why a sed script may run a command or write a file, if it may: the `e` command or the `e`
/// flag of `s` (which run the pattern space as a command), `w` and `W` (which write files), as a
/// command or as a flag of `s`.
fn sed_effect(script: &str) -> Option<&'static str> {
    let mut chars = script.chars().peekable();
    // At the start of a command: after the script's start, `;`, a newline, `{` or `}`.
    let mut at_command = true;
    while let Some(c) = chars.next() {
        match c {
            ';' | '\n' | '{' | '}' => at_command = true,
            ' ' | '\t' | '!' | ',' | '$' | '0'..='9' if at_command => {}
            '/' | '\\' if at_command => {
                // An address: skip to its closing delimiter.
                let close = if c == '\\' {
                    chars.next().unwrap_or('/')
                } else {
                    '/'
                };
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => drop(chars.next()),
                        d if d == close => break,
                        _ => {}
                    }
                }
            }
            'e' | 'w' | 'W' if at_command => {
                return Some("a sed script that runs a command or writes a file");
            }
            's' | 'y' if at_command => {
                let Some(delimiter) = chars.next() else { break };
                let mut fields = 0;
                while fields < 2 {
                    match chars.next() {
                        Some('\\') => drop(chars.next()),
                        Some(d) if d == delimiter => fields += 1,
                        Some(_) => {}
                        None => break,
                    }
                }
                let mut flags = String::new();
                while let Some(&flag) = chars.peek() {
                    if !flag.is_ascii_alphanumeric() {
                        break;
                    }
                    flags.push(flag);
                    chars.next();
                }
                if c == 's' && flags.contains(['e', 'w']) {
                    return Some("a sed `s` command that runs a command or writes a file");
                }
                at_command = false;
            }
            _ => at_command = false,
        }
    }
    None
}

/// Why `program`'s script among `words` (an awk program, a sed script) may run a command or
/// write a file, if it may. Every word that is not an option is read as a script: a file name
/// read as one only makes the check more careful.
pub(crate) fn script_effect(program: &str, words: &[&str]) -> Option<&'static str> {
    let base = basename(program);
    let scripts = words.iter().filter(|w| !w.starts_with('-'));
    if AWKS.contains(&base) {
        return scripts.filter_map(|w| awk_effect(w)).next();
    }
    if base == "sed" {
        let expressions = words
            .windows(2)
            .filter_map(|pair| matches!(pair[0], "-e" | "--expression").then_some(pair[1]));
        return scripts
            .copied()
            .chain(expressions)
            .chain(words.iter().filter_map(|w| w.strip_prefix("--expression=")))
            .filter_map(sed_effect)
            .next();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awk_and_sed_scripts_that_run_or_write_are_named() {
        for (program, words, effect) in [
            ("awk", &["{print $1}"][..], false),
            ("awk", &["$3 > 100 {print}"][..], false),
            ("awk", &["BEGIN{system(\"rm -rf /\")}"][..], true),
            ("gawk", &["{print | \"sh\"}"][..], true),
            ("awk", &["BEGIN{\"date\" | getline d}"][..], true),
            ("awk", &["{print > \"/etc/passwd\"}"][..], true),
            ("/usr/bin/awk", &["-F:", "{print >>(\"x\")}"][..], true),
            ("sed", &["s/a/b/g", "file"][..], false),
            ("sed", &["-n", "/re/p"][..], false),
            ("sed", &["s/a/b/e"][..], true),
            ("sed", &["s|a|b|gw /tmp/out"][..], true),
            ("sed", &["1e rm -rf /"][..], true),
            ("sed", &["/x/ e id"][..], true),
            ("sed", &["-e", "p", "-e", "w /etc/x"][..], true),
            ("sed", &["--expression=$!W out"][..], true),
            ("sed", &["s/e/w/"][..], false),
            ("sed", &["y/ew/we/"][..], false),
            ("sed", &["/e/d"][..], false),
            ("grep", &["system"][..], false),
        ] {
            assert_eq!(
                script_effect(program, words).is_some(),
                effect,
                "{program} {words:?}"
            );
        }
    }
}
