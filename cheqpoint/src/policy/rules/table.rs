//! The rule table as people write it: the serde form of `[[rule]]` entries (read from TOML,
//! JSON or anything serde reads), checked as it is read, so that a mistake is a typed error
//! naming the field and never a rule that quietly matches nothing.

use std::time::Duration;

use serde::Deserialize;

use super::{
    arguments::{self, ArgPath, Condition},
    commands::CommandPattern,
    paths::PathCondition,
    wildcard::Wildcard,
};

/// What a rule decides for the calls it matches. Ordered by strictness: where several rules
/// match, the strictest wins (`deny` beats `ask` beats `allow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Decide {
    /// The call runs without a request; the rule is recorded as the reason.
    Allow,
    /// A person decides, with the rule's risk, summary, read-only keys and timeout.
    #[default]
    Ask,
    /// The call is refused with the rule's reason, and nobody is asked.
    Deny,
}

impl Decide {
    /// The decision as a word: `allow`, `ask`, `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decide::Allow => "allow",
            Decide::Ask => "ask",
            Decide::Deny => "deny",
        }
    }
}

/// What a call that a rule sends to a person is asked with. Empty for a call the default sends.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct AskSettings {
    /// The risk score, 0.0–1.0.
    pub risk: Option<f64>,
    /// A template over the arguments (`Refund {amount_cents} on {order.id}`).
    pub summary: Option<String>,
    /// Argument keys a reviewer may not change.
    pub readonly: Vec<String>,
    /// How long to wait for a decision.
    pub timeout: Option<Duration>,
}

impl AskSettings {
    /// The summary template filled with `arguments` (`{order.id}` shows that value), when the
    /// rule has one.
    pub fn summary_for(&self, arguments: &serde_json::Value) -> Option<String> {
        self.summary
            .as_deref()
            .map(|template| arguments::fill(template, arguments))
    }
}

/// One `[[rule]]`: which calls it matches (the tool, and conditions on the arguments) and what
/// it decides for them.
#[derive(Debug, Clone)]
pub struct Rule {
    pub(super) tools: Vec<Wildcard>,
    pub(super) command: Option<Vec<CommandPattern>>,
    pub(super) path: Option<PathCondition>,
    pub(super) conditions: Vec<(ArgPath, Condition)>,
    pub(super) decide: Decide,
    pub(super) ask: AskSettings,
    pub(super) reason: Option<String>,
    pub(super) line: Option<usize>,
}

impl Rule {
    /// The same rule, recorded as written at `line` of its file (1-based): every decision it
    /// makes names that line.
    pub fn at_line(mut self, line: usize) -> Rule {
        self.line = Some(line);
        self
    }

    /// The line it was written at, when known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// What it decides.
    pub fn decide(&self) -> Decide {
        self.decide
    }

    /// True when its `tool` names `tool` (an alternative, or a wildcard over names).
    pub fn matches_tool(&self, tool: &str) -> bool {
        self.tools.iter().any(|pattern| pattern.matches(tool))
    }

    /// Checks that every call this rule matches, `wider` matches too: the same tools, and each
    /// of the wider one's bounds (`command`, `path`, each `where` path) kept, the same or
    /// tighter (more bounds only narrow). Names the first bound that is wider or gone.
    pub fn within(&self, wider: &Rule) -> Result<(), String> {
        let tools = |rule: &Rule| rule.tool_patterns().map(str::to_owned).collect::<Vec<_>>();
        if tools(self) != tools(wider) {
            return Err(format!(
                "the tool changed from `{}` to `{}`",
                tools(wider).join("|"),
                tools(self).join("|")
            ));
        }
        if let Some(wide) = &wider.command {
            let narrow = self.command.as_deref().unwrap_or_default();
            if narrow.is_empty() {
                return Err("`command` was taken away".into());
            }
            if let Some(outside) = narrow.iter().find(|n| !wide.iter().any(|w| n.within(w))) {
                return Err(format!(
                    "`command` pattern `{}` is not within the patterns asked for",
                    outside.as_str()
                ));
            }
        }
        if let Some(wide) = &wider.path
            && !self.path.as_ref().is_some_and(|narrow| narrow.within(wide))
        {
            return Err("`path` is wider than asked for, or gone".into());
        }
        for (at, wide) in &wider.conditions {
            let kept = self
                .conditions
                .iter()
                .any(|(path, narrow)| path == at && narrow.within(wide));
            if !kept {
                return Err(format!(
                    "`where.{}` is wider than asked for, or gone",
                    at.dotted()
                ));
            }
        }
        Ok(())
    }

    /// The `tool` alternatives as written.
    pub fn tool_patterns(&self) -> impl Iterator<Item = &str> {
        self.tools.iter().map(Wildcard::as_str)
    }
}

/// A string or a list of strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

/// `path = { at = .., under = .., outside = .., matches = .. }` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathForm {
    at: Option<OneOrMany>,
    under: Option<OneOrMany>,
    outside: Option<OneOrMany>,
    matches: Option<OneOrMany>,
}

/// A `[[rule]]` as written, before its checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleForm {
    tool: OneOrMany,
    command: Option<OneOrMany>,
    path: Option<PathForm>,
    #[serde(rename = "where")]
    conditions: Option<serde_json::Value>,
    decide: Decide,
    risk: Option<f64>,
    summary: Option<String>,
    readonly: Option<Vec<String>>,
    timeout: Option<u64>,
    reason: Option<String>,
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Rule, D::Error> {
        let form = RuleForm::deserialize(deserializer)?;
        Rule::checked(form).map_err(serde::de::Error::custom)
    }
}

impl Rule {
    fn checked(form: RuleForm) -> Result<Rule, String> {
        let tools: Vec<Wildcard> = form
            .tool
            .into_vec()
            .iter()
            .flat_map(|names| names.split('|'))
            .map(|name| Wildcard::new(name.trim()))
            .collect();
        if tools.iter().any(|tool| tool.as_str().is_empty()) {
            return Err("`tool` names an empty tool".into());
        }
        let command = form
            .command
            .map(|patterns| {
                let patterns = patterns.into_vec();
                if patterns.is_empty() {
                    return Err("`command` lists no command".to_owned());
                }
                patterns.iter().map(|p| CommandPattern::new(p)).collect()
            })
            .transpose()?;
        let path = form
            .path
            .map(|form| {
                PathCondition::new(
                    form.at.map(OneOrMany::into_vec).unwrap_or_default(),
                    form.under.map(OneOrMany::into_vec).unwrap_or_default(),
                    form.outside.map(OneOrMany::into_vec).unwrap_or_default(),
                    form.matches.map(OneOrMany::into_vec).unwrap_or_default(),
                )
            })
            .transpose()?;
        let conditions = match &form.conditions {
            Some(table) => arguments::conditions(table)?,
            None => Vec::new(),
        };
        let asked = [
            ("risk", form.risk.is_some()),
            ("summary", form.summary.is_some()),
            ("readonly", form.readonly.is_some()),
            ("timeout", form.timeout.is_some()),
        ];
        if form.decide != Decide::Ask
            && let Some((field, _)) = asked.iter().find(|(_, given)| *given)
        {
            return Err(format!(
                "`{field}` says how a person is asked, but this rule decides `{}`: nobody is asked",
                form.decide.as_str()
            ));
        }
        if let Some(risk) = form.risk.filter(|risk| !(0.0..=1.0).contains(risk)) {
            return Err(format!("risk {risk} is outside 0.0..=1.0"));
        }
        if form.timeout == Some(0) {
            return Err("a timeout must be more than 0 seconds".into());
        }
        Ok(Rule {
            tools,
            command,
            path,
            conditions,
            decide: form.decide,
            ask: AskSettings {
                risk: form.risk,
                summary: form.summary,
                readonly: form.readonly.unwrap_or_default(),
                timeout: form.timeout.map(Duration::from_secs),
            },
            reason: form.reason,
            line: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::policy::rules::decide::Rules;

    fn refused(rule: serde_json::Value) -> String {
        serde_json::from_value::<Rules>(json!({ "rule": [rule] }))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn mistakes_are_refused_with_their_field() {
        for (rule, words) in [
            (
                json!({"tool": "x", "decide": "allow", "risk": 0.5}),
                "`risk` says how a person is asked",
            ),
            (
                json!({"tool": "x", "decide": "deny", "timeout": 5}),
                "`timeout` says how",
            ),
            (
                json!({"tool": "x", "decide": "ask", "risk": 1.5}),
                "risk 1.5 is outside",
            ),
            (
                json!({"tool": "x", "decide": "ask", "timeout": 0}),
                "more than 0 seconds",
            ),
            (
                json!({"tool": "x", "decide": "maybe"}),
                "unknown variant `maybe`",
            ),
            (
                json!({"tool": "x", "decide": "ask", "decidee": "x"}),
                "unknown field `decidee`",
            ),
            (
                json!({"tool": "a||b", "decide": "ask"}),
                "names an empty tool",
            ),
            (
                json!({"tool": "x", "decide": "allow", "command": []}),
                "lists no command",
            ),
            (
                json!({"tool": "x", "decide": "allow", "command": ["* x"]}),
                "must name its program",
            ),
            (
                json!({"tool": "x", "decide": "allow", "path": {"at": "p"}}),
                "needs `under`, `outside` or `matches`",
            ),
            (
                json!({"tool": "x", "decide": "allow", "path": {"under": ""}}),
                "empty folder",
            ),
            (json!({"decide": "allow"}), "missing field `tool`"),
        ] {
            let error = refused(rule.clone());
            assert!(error.contains(words), "{rule}: {error}");
        }
        assert!(serde_json::from_value::<Rules>(json!({"defaults": "ask"})).is_err());
    }

    #[test]
    fn alternatives_and_wildcards_name_tools() {
        let rules: Rules = serde_json::from_value(json!({"default": "deny", "rule": [
            {"tool": "Write|Edit", "decide": "ask"},
            {"tool": ["delete_*", "rm"], "decide": "deny", "reason": "r"},
        ]}))
        .unwrap();
        assert_eq!(rules.default_decision(), Decide::Deny);
        let [write, delete] = rules.rules() else {
            panic!()
        };
        assert!(write.matches_tool("Edit") && !write.matches_tool("MultiEdit"));
        assert!(delete.matches_tool("delete_branch") && delete.matches_tool("rm"));
        assert_eq!(write.clone().at_line(7).line(), Some(7));
        assert_eq!(Rules::default().default_decision(), Decide::Ask);
    }
}
