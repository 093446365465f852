//! `gate.toml`: which tools are gated, and for each its risk, summary, read-only keys and
//! timeout. Read once at start; a bad file is refused with the line and the reason.
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
//! ```

use std::{ops::Range, path::Path, time::Duration};

use serde::Deserialize;
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
}

impl ToolRule {
    fn named(pattern: glob::Pattern) -> ToolRule {
        ToolRule {
            pattern,
            risk: None,
            summary: None,
            readonly: Vec::new(),
            timeout: None,
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
    rules: Vec<ToolRule>,
}

/// A configuration refused at start: where, and why.
#[derive(Debug, thiserror::Error)]
#[error("{origin}{}: {reason}", line.map(|line| format!(":{line}")).unwrap_or_default())]
pub struct ConfigError {
    origin: String,
    line: Option<usize>,
    reason: String,
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
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
            origin: origin.clone(),
            line: None,
            reason: format!("cannot be read: {error}"),
        })?;
        GateConfig::parse(&text, &origin)
    }

    /// Reads a configuration from its text; `origin` names it in errors (a path).
    pub fn parse(text: &str, origin: &str) -> Result<GateConfig, ConfigError> {
        let fail = |span: Option<Range<usize>>, reason: String| ConfigError {
            origin: origin.to_owned(),
            line: span.map(|span| line_of(text, span.start)),
            reason,
        };
        let file: File = toml::from_str(text)
            .map_err(|error| fail(error.span(), error.message().trim_end().to_owned()))?;
        let mut config = GateConfig {
            name: None,
            gate_destructive: file.gate_destructive,
            timeout: None,
            rules: Vec::new(),
        };
        if let Some(name) = file.name {
            if name.get_ref().trim().is_empty() {
                return Err(fail(Some(name.span()), "`name` is empty".into()));
            }
            config.name = Some(name.into_inner());
        }
        config.timeout = file
            .timeout
            .map(|t| seconds(*t.get_ref(), Some(t.span()), &fail))
            .transpose()?;
        // Each entry is read on its own, so an error names the entry's line.
        for (pattern, value) in file.tools {
            let at = find_key(text, &pattern);
            let entry: ToolEntry = ToolEntry::deserialize(value).map_err(|error| {
                fail(
                    at.clone(),
                    format!("[tools.\"{pattern}\"]: {}", error.message()),
                )
            })?;
            let glob = glob::Pattern::new(&pattern)
                .map_err(|error| fail(at.clone(), format!("`{pattern}` is not a glob: {error}")))?;
            let mut rule = ToolRule::named(glob);
            if let Some(value) = entry.risk {
                if !(0.0..=1.0).contains(&value) {
                    return Err(fail(
                        at.clone(),
                        format!("[tools.\"{pattern}\"]: risk {value} is outside 0.0..=1.0"),
                    ));
                }
                rule.risk = Some(value);
            }
            rule.summary = entry.summary;
            rule.readonly = entry.readonly;
            rule.timeout = entry
                .timeout
                .map(|t| seconds(t, at.clone(), &fail))
                .transpose()?;
            config.rules.push(rule);
        }
        Ok(config)
    }

    /// Gates `pattern` (a name or glob) with no other setting, as `--gate` does; a pattern
    /// already in the file keeps its settings.
    pub fn gate(&mut self, pattern: &str) -> Result<(), ConfigError> {
        if self.rules.iter().any(|rule| rule.pattern() == pattern) {
            return Ok(());
        }
        let glob = glob::Pattern::new(pattern).map_err(|error| ConfigError {
            origin: "--gate".into(),
            line: None,
            reason: format!("`{pattern}` is not a glob: {error}"),
        })?;
        self.rules.push(ToolRule::named(glob));
        Ok(())
    }

    /// The rule of `tool`: the one naming it exactly, else the first glob matching it.
    pub fn rule(&self, tool: &str) -> Option<&ToolRule> {
        self.rules
            .iter()
            .find(|rule| rule.pattern() == tool)
            .or_else(|| self.rules.iter().find(|rule| rule.pattern.matches(tool)))
    }

    /// Whether any tool is gated by name or glob.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && !self.gate_destructive
    }
}

/// A whole number of seconds, more than zero.
fn seconds(
    value: u64,
    span: Option<Range<usize>>,
    fail: &impl Fn(Option<Range<usize>>, String) -> ConfigError,
) -> Result<Duration, ConfigError> {
    match value {
        0 => Err(fail(span, "a timeout must be more than 0 seconds".into())),
        secs => Ok(Duration::from_secs(secs)),
    }
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
