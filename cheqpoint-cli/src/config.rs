//! `gate.toml`: which tools are gated, and for each its risk, summary, read-only keys and
//! timeout. Read once at start; a bad file is refused with every mistake's line and reason at
//! once. Once the upstream's tools are known, [`GateConfig::check_against`] refuses a name or
//! glob that matches no tool (naming the nearest) and a summary placeholder that names no
//! argument, so that a typo never leaves a tool ungated or a reviewer reading `?`.
//!
//! ```toml
//! name = "github"            # the action's prefix; default: the server's own name
//! gate_destructive = true    # also gate every tool whose annotations say `destructiveHint`
//! timeout = 600              # seconds to wait for a decision (default: the client's, 300 s)
//!
//! [tools."delete_*"]         # a tool's name, or a glob over names
//! risk = 0.9
//! summary = "Delete {path} in {repo}"
//! readonly = ["repo"]
//! timeout = 3600
//!
//! [suggest]                  # ask once for a grant after repeated approvals (off when absent)
//! after = 3                  # approvals of one tool …
//! within = 600               # … within this many seconds
//! uses = 20                  # the grant asked for: its uses
//! lasting = 3600             # and how long it lasts, in seconds
//! ```

use std::{fmt, ops::Range, path::Path, time::Duration};

use cheqpoint::policy::{
    grants::{MAX_DURATION, Suggestion},
    rules::{Decide, Rule, Rules},
};
use serde::Deserialize;
use serde_json::{Map, Value};
use toml::Spanned;

/// A tool name or glob, and what a gated call of a matching tool asks with.
#[derive(Debug, Clone)]
pub struct ToolRule {
    pattern: glob::Pattern,
    /// The risk score sent, 0.0–1.0.
    pub risk: Option<f64>,
    /// A template over the arguments (`{path}`); default: the tool's title and its arguments.
    pub summary: Option<String>,
    /// Top-level argument keys a reviewer may not change.
    pub readonly: Vec<String>,
    /// How long to wait for a decision.
    pub timeout: Option<Duration>,
    /// Where it was written: the file's line, or `None` for `--gate`.
    line: Option<usize>,
}

impl ToolRule {
    fn named(pattern: glob::Pattern, line: Option<usize>) -> ToolRule {
        ToolRule {
            pattern,
            risk: None,
            summary: None,
            readonly: Vec::new(),
            timeout: None,
            line,
        }
    }

    /// The name or glob as written.
    pub fn pattern(&self) -> &str {
        self.pattern.as_str()
    }
}

/// The gateway's configuration: `gate.toml` and the command line's `--gate`.
#[derive(Debug, Clone, Default)]
pub struct GateConfig {
    /// The action's prefix (`NAME.tool`); default: the upstream's name from `initialize`.
    pub name: Option<String>,
    /// Gate every tool whose annotations say `destructiveHint: true`, besides those listed.
    pub gate_destructive: bool,
    /// How long a gated call waits for a decision unless its rule says otherwise.
    pub timeout: Option<Duration>,
    tools: Vec<ToolRule>,
    /// The `[[rule]]` table and its `default`: decisions on a call's arguments.
    rules: Rules,
    /// `[suggest]`: when to ask for a grant after repeated approvals of one tool.
    pub suggest: Option<Suggestion>,
    /// Where the file came from, for the errors of [`check_against`](GateConfig::check_against).
    origin: String,
}

/// A configuration refused at start: every mistake, each with where and why.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    problems: Vec<Problem>,
}

/// One mistake in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, or `--gate`.
    pub origin: String,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong, and what to write instead.
    pub reason: String,
}

impl ConfigError {
    fn one(origin: &str, line: Option<usize>, reason: String) -> ConfigError {
        ConfigError {
            problems: vec![Problem {
                origin: origin.to_owned(),
                line,
                reason,
            }],
        }
    }

    /// Every mistake found, in the order of the file.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.origin, self.reason),
            None => write!(f, "{}: {}", self.origin, self.reason),
        }
    }
}

/// A tool as the upstream lists it, for [`GateConfig::check_against`].
#[derive(Debug, Clone, Copy)]
pub struct ToolView<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its `inputSchema`.
    pub input_schema: &'a Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: Option<Spanned<String>>,
    #[serde(default)]
    gate_destructive: bool,
    timeout: Option<Spanned<u64>>,
    #[serde(default)]
    tools: toml::Table,
    default: Option<Decide>,
    #[serde(default)]
    rule: Vec<Spanned<toml::Value>>,
    suggest: Option<Spanned<SuggestEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuggestEntry {
    after: u32,
    within: u64,
    uses: u32,
    lasting: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolEntry {
    risk: Option<f64>,
    summary: Option<String>,
    #[serde(default)]
    readonly: Vec<String>,
    timeout: Option<u64>,
}

impl GateConfig {
    /// Reads `gate.toml` at `path`.
    pub fn load(path: &Path) -> Result<GateConfig, ConfigError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|error| ConfigError::one(&origin, None, format!("cannot be read: {error}")))?;
        GateConfig::parse(&text, &origin)
    }

    /// Reads a configuration from its text; `origin` names it in errors (a path). Every bad
    /// entry is reported, not only the first.
    pub fn parse(text: &str, origin: &str) -> Result<GateConfig, ConfigError> {
        let mut problems = Vec::new();
        let mut fail = |span: Option<Range<usize>>, reason: String| {
            problems.push(Problem {
                origin: origin.to_owned(),
                line: span.map(|span| line_of(text, span.start)),
                reason,
            });
        };
        let file: File = match toml::from_str(text) {
            Ok(file) => file,
            Err(error) => {
                fail(error.span(), error.message().trim_end().to_owned());
                return Err(ConfigError { problems });
            }
        };
        let mut config = GateConfig {
            name: None,
            gate_destructive: file.gate_destructive,
            timeout: None,
            tools: Vec::new(),
            rules: Rules::default(),
            suggest: None,
            origin: origin.to_owned(),
        };
        if let Some(name) = file.name {
            if name.get_ref().trim().is_empty() {
                fail(Some(name.span()), "`name` is empty".into());
            }
            config.name = Some(name.into_inner());
        }
        if let Some(timeout) = file.timeout {
            config.timeout = seconds(*timeout.get_ref(), Some(timeout.span()), &mut fail);
        }
        // Each entry is read on its own, so an error names the entry's line.
        for (pattern, value) in file.tools {
            let at = find_key(text, &pattern);
            let entry = match ToolEntry::deserialize(value) {
                Ok(entry) => entry,
                Err(error) => {
                    fail(at, format!("[tools.\"{pattern}\"]: {}", error.message()));
                    continue;
                }
            };
            let glob = match glob::Pattern::new(&pattern) {
                Ok(glob) => glob,
                Err(error) => {
                    fail(at, format!("`{pattern}` is not a glob: {error}"));
                    continue;
                }
            };
            let mut rule = ToolRule::named(glob, at.clone().map(|at| line_of(text, at.start)));
            if let Some(value) = entry.risk {
                if (0.0..=1.0).contains(&value) {
                    rule.risk = Some(value);
                } else {
                    fail(
                        at.clone(),
                        format!("[tools.\"{pattern}\"]: risk {value} is outside 0.0..=1.0"),
                    );
                }
            }
            rule.summary = entry.summary;
            rule.readonly = entry.readonly;
            if let Some(timeout) = entry.timeout {
                rule.timeout = seconds(timeout, at.clone(), &mut fail);
            }
            config.tools.push(rule);
        }
        if let Some(entry) = file.suggest {
            let at = Some(entry.span());
            let entry = entry.into_inner();
            let lasting = Duration::from_secs(entry.lasting);
            if entry.after == 0 || entry.within == 0 || entry.uses == 0 {
                fail(
                    at,
                    "[suggest]: `after`, `within` and `uses` are more than 0".into(),
                );
            } else if lasting.is_zero() || lasting > MAX_DURATION {
                fail(
                    at,
                    "[suggest]: `lasting` is from 1 second to 30 days".into(),
                );
            } else {
                config.suggest = Some(Suggestion {
                    after: entry.after,
                    within: Duration::from_secs(entry.within),
                    uses: entry.uses,
                    lasting,
                });
            }
        }
        let mut rules = Vec::new();
        for entry in file.rule {
            let line = line_of(text, entry.span().start);
            match Rule::deserialize(entry.into_inner()) {
                Ok(rule) => rules.push(rule.at_line(line)),
                Err(error) => problems.push(Problem {
                    origin: origin.to_owned(),
                    line: Some(line),
                    reason: format!("[[rule]]: {}", error.message()),
                }),
            }
        }
        config.rules = Rules::new(file.default.unwrap_or_default(), rules);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError { problems })
        }
    }

    /// Checks the configuration against the tools the upstream lists: every name or glob must
    /// match a tool (else the nearest names are suggested), and every `{placeholder}` of a
    /// summary must name a property of the tool's `inputSchema`. Every mistake is reported.
    pub fn check_against(&self, tools: &[ToolView<'_>]) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        for rule in &self.tools {
            let mut fail = |reason: String| {
                problems.push(Problem {
                    origin: match rule.line {
                        Some(_) => self.origin.clone(),
                        None => "--gate".to_owned(),
                    },
                    line: rule.line,
                    reason,
                });
            };
            let matched: Vec<&ToolView<'_>> = tools
                .iter()
                .filter(|tool| rule.pattern.matches(tool.name))
                .collect();
            if matched.is_empty() {
                fail(format!(
                    "`{}` matches no tool of the server{}",
                    rule.pattern(),
                    nearest(rule.pattern(), tools)
                ));
                continue;
            }
            let Some(template) = &rule.summary else {
                continue;
            };
            for placeholder in crate::summary::placeholders(template) {
                let missing: Vec<&str> = matched
                    .iter()
                    .filter(|tool| !has_property(tool.input_schema, placeholder))
                    .map(|tool| tool.name)
                    .collect();
                if !missing.is_empty() {
                    fail(format!(
                        "the summary's `{{{placeholder}}}` names no argument of {} (its inputSchema has no property `{placeholder}`)",
                        missing.join(", ")
                    ));
                }
            }
        }
        let rule_problems = self
            .rules
            .naming_no_tool(tools.iter().map(|tool| tool.name))
            .into_iter()
            .chain(tools.iter().flat_map(|tool| {
                self.rules
                    .check_against(tool.name, &Value::Object(tool.input_schema.clone()))
            }));
        for problem in rule_problems {
            problems.push(Problem {
                origin: self.origin.clone(),
                line: problem.rule.line,
                reason: format!("[[rule]] {}", problem.message),
            });
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems })
        }
    }

    /// The `[[rule]]` table, with its `default`.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Whether calls of `tool` go through the gate: a `[tools]` entry or `--gate` names it, or
    /// a `[[rule]]` does (which then decides it, and the default decides what no rule matches).
    pub fn holds(&self, tool: &str) -> bool {
        self.rule(tool).is_some()
            || self
                .rules
                .rules()
                .iter()
                .any(|rule| rule.matches_tool(tool))
    }

    /// Gates `pattern` (a name or glob) with no other setting, as `--gate` does; a pattern
    /// already in the file keeps its settings.
    pub fn gate(&mut self, pattern: &str) -> Result<(), ConfigError> {
        if self.tools.iter().any(|rule| rule.pattern() == pattern) {
            return Ok(());
        }
        let glob = glob::Pattern::new(pattern).map_err(|error| {
            ConfigError::one(
                "--gate",
                None,
                format!("`{pattern}` is not a glob: {error}"),
            )
        })?;
        self.tools.push(ToolRule::named(glob, None));
        Ok(())
    }

    /// The rule of `tool`: the one naming it exactly, else the first glob matching it.
    pub fn rule(&self, tool: &str) -> Option<&ToolRule> {
        self.tools
            .iter()
            .find(|rule| rule.pattern() == tool)
            .or_else(|| self.tools.iter().find(|rule| rule.pattern.matches(tool)))
    }

    /// Whether no tool is gated, by name, glob, annotation or rule.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty() && !self.gate_destructive && self.rules.rules().is_empty()
    }
}

/// A whole number of seconds, more than zero; `None` (and a problem told) for zero.
fn seconds(
    value: u64,
    span: Option<Range<usize>>,
    fail: &mut impl FnMut(Option<Range<usize>>, String),
) -> Option<Duration> {
    match value {
        0 => {
            fail(span, "a timeout must be more than 0 seconds".into());
            None
        }
        secs => Some(Duration::from_secs(secs)),
    }
}

/// ` (did you mean `a`, `b`?)`: the tool names nearest to `pattern`, or nothing.
fn nearest(pattern: &str, tools: &[ToolView<'_>]) -> String {
    let mut scored: Vec<(f64, &str)> = tools
        .iter()
        .map(|tool| (strsim::jaro_winkler(pattern, tool.name), tool.name))
        .filter(|(score, _)| *score > 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let names: Vec<String> = scored
        .into_iter()
        .take(3)
        .map(|(_, name)| format!("`{name}`"))
        .collect();
    match names.as_slice() {
        [] => String::new(),
        names => format!(" (did you mean {}?)", names.join(", ")),
    }
}

/// True when `schema`'s `properties` has `name`.
fn has_property(schema: &Map<String, Value>, name: &str) -> bool {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|properties| properties.contains_key(name))
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Where the tools' table names `pattern` (`[tools."delete_*"]`, `[tools.x]`, or `x = {..}`
/// inside `[tools]`), for an error's line.
fn find_key(text: &str, pattern: &str) -> Option<Range<usize>> {
    let quoted = format!("\"{pattern}\"");
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let names = |rest: &str| rest.starts_with(&quoted) || rest.starts_with(pattern);
        let header = trimmed
            .strip_prefix("[tools.")
            .is_some_and(|rest| names(rest.trim_start()));
        let inline = names(trimmed) && trimmed.contains('=');
        if header || inline {
            return Some(offset..offset + line.len());
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_read_with_their_settings() {
        let config = GateConfig::parse(
            "gate_destructive = true\ntimeout = 60\n[tools.\"delete_*\"]\nrisk = 0.9\nsummary = \"Delete {path}\"\nreadonly = [\"repo\"]\n[tools.write_file]\ntimeout = 5\n",
            "gate.toml",
        )
        .unwrap();
        assert!(config.gate_destructive);
        assert_eq!(config.timeout, Some(Duration::from_secs(60)));
        let rule = config.rule("delete_branch").unwrap();
        assert_eq!(rule.risk, Some(0.9));
        assert_eq!(rule.readonly, ["repo"]);
        assert_eq!(
            config.rule("write_file").unwrap().timeout,
            Some(Duration::from_secs(5))
        );
        assert!(config.rule("read_file").is_none());
    }

    #[test]
    fn a_bad_entry_is_refused_with_its_line() {
        let error = GateConfig::parse("[tools.a]\nrisk = 0.1\n\n[tools.b]\nrisk = 2.0\n", "g.toml")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("g.toml:4: "), "{error}");
        assert!(error.contains("risk 2 is outside"), "{error}");
        let error = GateConfig::parse("name = 'x'\n[tools.a]\nrisky = 0.1\n", "g.toml")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("g.toml:2: "), "{error}");
        assert!(error.contains("unknown field `risky`"), "{error}");
        let error = GateConfig::parse("gate_destructive = 'yes'\n", "g.toml")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("g.toml:1: "), "{error}");
        let error = GateConfig::parse("timeout = 0\n", "g.toml")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("g.toml:1: "), "{error}");
    }

    #[test]
    fn every_bad_entry_is_reported_at_once() {
        let error = GateConfig::parse(
            "timeout = 0\n[tools.a]\nrisk = 2.0\n[tools.b]\nrisky = 1\n[tools.c]\ntimeout = 0\n",
            "g.toml",
        )
        .unwrap_err();
        let lines: Vec<_> = error.problems().iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(1), Some(2), Some(4), Some(6)], "{error}");
    }

    #[test]
    fn a_name_or_placeholder_naming_nothing_is_refused_with_the_nearest_names() {
        let schema = |keys: &[&str]| {
            let properties: Map<String, Value> = keys
                .iter()
                .map(|k| ((*k).to_owned(), Value::Bool(true)))
                .collect();
            Map::from_iter([("properties".to_owned(), Value::Object(properties))])
        };
        let (write, read) = (schema(&["path", "content"]), schema(&["path"]));
        let tools = [
            ToolView {
                name: "write_file",
                input_schema: &write,
            },
            ToolView {
                name: "read_file",
                input_schema: &read,
            },
        ];
        let mut config = GateConfig::parse(
            "[tools.write_file]\nsummary = \"Write {pathh}\"\n[tools.\"*_file\"]\nsummary = \"{path}\"\n",
            "g.toml",
        )
        .unwrap();
        config.gate("write_flie").unwrap();
        config.gate("delete_*").unwrap();
        let error = config.check_against(&tools).unwrap_err();
        let said: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
        assert_eq!(said.len(), 3, "{error}");
        assert!(
            said[0]
                .starts_with("g.toml:1: the summary's `{pathh}` names no argument of write_file"),
            "{error}"
        );
        assert!(
            said[1].starts_with(
                "--gate: `write_flie` matches no tool of the server (did you mean `write_file`"
            ),
            "{error}"
        );
        assert!(said[2].contains("`delete_*` matches no tool"), "{error}");
        let fine = GateConfig::parse("[tools.\"*_file\"]\nsummary = \"{path}\"\n", "g").unwrap();
        assert!(fine.check_against(&tools).is_ok());
    }

    #[test]
    fn rules_are_read_with_their_lines_and_held_against_the_tools() {
        let error = GateConfig::parse(
            "[[rule]]\ntool = \"a\"\ndecide = \"allow\"\n\n[[rule]]\ntool = \"b\"\ndecide = \"maybe\"\n",
            "g.toml",
        )
        .unwrap_err();
        assert_eq!(error.problems().len(), 1, "{error}");
        assert!(
            error.to_string().starts_with("g.toml:5: [[rule]]"),
            "{error}"
        );
        let config = GateConfig::parse(
            "default = \"deny\"\n[[rule]]\ntool = \"write_file\"\nwhere = { pathh = { glob = \"/tmp/*\" } }\ndecide = \"allow\"\n",
            "g.toml",
        )
        .unwrap();
        assert!(config.holds("write_file") && !config.holds("read_file"));
        let schema = Map::from_iter([(
            "properties".to_owned(),
            serde_json::json!({"path": {"type": "string"}}),
        )]);
        let tools = [ToolView {
            name: "write_file",
            input_schema: &schema,
        }];
        let error = config.check_against(&tools).unwrap_err();
        assert!(
            error.to_string().starts_with("g.toml:2: [[rule]]"),
            "{error}"
        );
        assert!(error.to_string().contains("pathh"), "{error}");
    }

    /// The README's quiet coding session decides as the README says it does.
    #[test]
    fn the_readmes_quiet_session_decides_as_it_says() {
        let readme = include_str!("../../README.md");
        let section = &readme[readme.find("## Rules: ask a person").expect("the section")..];
        let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
        let block = &section[start..start + section[start..].find("```").expect("its end")];
        let config = GateConfig::parse(block, "README.md").expect("it parses");
        let cwd = std::env::temp_dir();
        let decide = |tool: &str, arguments: Value| {
            config
                .rules()
                .decide(tool, &arguments, &cwd)
                .decide
                .as_str()
        };
        let inside = cwd.join("src/main.rs").display().to_string();
        let cases = [
            (
                "Bash",
                serde_json::json!({"command": "git status"}),
                "allow",
            ),
            (
                "Bash",
                serde_json::json!({"command": "cargo test --workspace"}),
                "allow",
            ),
            (
                "Bash",
                serde_json::json!({"command": "ls; rm -rf ~"}),
                "ask",
            ),
            (
                "Bash",
                serde_json::json!({"command": "ls $(rm -rf ~)"}),
                "ask",
            ),
            (
                "Bash",
                serde_json::json!({"command": "git push origin main"}),
                "ask",
            ),
            (
                "Write",
                serde_json::json!({"file_path": inside, "content": ""}),
                "allow",
            ),
            (
                "Write",
                serde_json::json!({"file_path": "/etc/hosts", "content": ""}),
                "ask",
            ),
            (
                "Read",
                serde_json::json!({"file_path": "/etc/hosts"}),
                "allow",
            ),
            (
                "refund",
                serde_json::json!({"amount_cents": 1500, "currency": "EUR"}),
                "allow",
            ),
            (
                "refund",
                serde_json::json!({"amount_cents": 150000, "currency": "EUR"}),
                "ask",
            ),
        ];
        for (tool, arguments, expected) in cases {
            assert_eq!(
                decide(tool, arguments.clone()),
                expected,
                "{tool} {arguments}"
            );
        }
    }

    #[test]
    fn suggestions_are_read_and_their_mistakes_named() {
        let config = GateConfig::parse(
            "[suggest]\nafter = 3\nwithin = 600\nuses = 20\nlasting = 3600\n",
            "g.toml",
        )
        .unwrap();
        assert_eq!(
            config.suggest,
            Some(Suggestion {
                after: 3,
                within: Duration::from_secs(600),
                uses: 20,
                lasting: Duration::from_secs(3600),
            })
        );
        assert_eq!(GateConfig::parse("", "g.toml").unwrap().suggest, None);
        for (text, words) in [
            (
                "[suggest]\nafter = 0\nwithin = 1\nuses = 1\nlasting = 1\n",
                "more than 0",
            ),
            (
                "[suggest]\nafter = 1\nwithin = 1\nuses = 1\nlasting = 9999999\n",
                "30 days",
            ),
            ("[suggest]\nafter = 1\n", "missing field"),
        ] {
            let error = GateConfig::parse(text, "g.toml").unwrap_err().to_string();
            assert!(
                error.contains(words) && error.contains("g.toml:1"),
                "{text}: {error}"
            );
        }
    }

    #[test]
    fn an_exact_name_wins_over_a_glob() {
        let mut config =
            GateConfig::parse("[tools.\"*\"]\nrisk = 0.2\n[tools.rm]\nrisk = 0.9\n", "g").unwrap();
        assert_eq!(config.rule("rm").unwrap().risk, Some(0.9));
        assert_eq!(config.rule("ls").unwrap().risk, Some(0.2));
        config.gate("ls").unwrap();
        assert_eq!(config.rule("ls").unwrap().risk, None);
        assert!(config.gate("[").is_err());
    }
}
