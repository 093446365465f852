//! The table and its decision: which rules match a call, the strictest of them, and a shell
//! line's commands each allowed by some rule.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::{
    paths::{self, Judged, Places},
    shell,
    table::{AskSettings, Decide, Rule},
};

/// A table of rules and the decision for a call none of them matches.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(default)]
    default: Decide,
    #[serde(default, rename = "rule")]
    pub(super) rules: Vec<Rule>,
}

/// Which rule made a decision: its place in the table (from 0) and its line, when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleRef {
    /// Its index in the table, from 0.
    pub index: usize,
    /// The line of its file it was written at, when the caller recorded it.
    pub line: Option<usize>,
}

impl std::fmt::Display for RuleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rule {}", self.index + 1)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

/// What the rules decided for one call, and why.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Ruling {
    /// Run, ask, or refuse.
    pub decide: Decide,
    /// The rules that decided: for an allowed shell line, the rule of each command; empty when
    /// the default decided, or when the line could not be bounded.
    pub rules: Vec<RuleRef>,
    /// Why, in words: a deny rule's reason, why a shell line is asked about, or the rule's own
    /// `reason`.
    pub reason: Option<String>,
    /// How to ask, from the ask rule that decided.
    pub ask: AskSettings,
}

impl Ruling {
    /// The decision with its cause, in one line for a log or a journal: `allow by rule 2 (line
    /// 7)`, `ask: it runs a command substitution …`, `ask by default`.
    pub fn explain(&self) -> String {
        let mut text = self.decide.as_str().to_owned();
        if self.rules.is_empty() && self.reason.is_none() {
            text.push_str(" by default");
        }
        if !self.rules.is_empty() {
            let names: Vec<String> = self.rules.iter().map(RuleRef::to_string).collect();
            text.push_str(&format!(" by {}", names.join(", ")));
        }
        if let Some(reason) = &self.reason {
            text.push_str(&format!(": {reason}"));
        }
        text
    }

    /// The refusal of a call of `action` this ruling denies, as every door gives it: the rules
    /// that denied (or the rules' default), and their reason (or, where none was given, the
    /// ruling in words).
    pub fn denial(&self, action: &str) -> crate::Error {
        let rules: Vec<String> = self.rules.iter().map(RuleRef::to_string).collect();
        crate::Error::Denied {
            action: action.to_owned(),
            rule: match rules.as_slice() {
                [] => "the rules' default".to_owned(),
                rules => rules.join(", "),
            },
            reason: self.reason.clone().unwrap_or_else(|| self.explain()),
        }
    }
}

impl Rules {
    /// A table of `rules`, with `default` for calls none of them matches.
    pub fn new(default: Decide, rules: Vec<Rule>) -> Rules {
        Rules { default, rules }
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// What a call no rule matches gets.
    pub fn default_decision(&self) -> Decide {
        self.default
    }

    pub(super) fn reference(&self, index: usize) -> RuleRef {
        RuleRef {
            index,
            line: self.rules[index].line,
        }
    }

    /// Decides a call of `tool` (an MCP tool, a hook's tool, a `#[checkpoint]` action) with
    /// `arguments`, run in `cwd` (relative paths start there; a `cwd` that is not absolute
    /// leaves them unplaced). Never fails: what cannot be told asks.
    pub fn decide(&self, tool: &str, arguments: &Value, cwd: &Path) -> Ruling {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let places = Places::new(cwd, home.as_deref());
        let mine: Vec<usize> = (0..self.rules.len())
            .filter(|&i| self.rules[i].matches_tool(tool))
            .collect();
        let line = mine
            .iter()
            .any(|&i| self.rules[i].command.is_some())
            .then(|| match arguments.get("command").and_then(Value::as_str) {
                Some(text) => shell::analyze(text, &places),
                None => shell::Line {
                    commands: Vec::new(),
                    unbounded: Some("the call has no `command` line to read".into()),
                },
            });
        // The rules that matched, by decision; and for a shell line, the allow rule of each
        // of its commands.
        let mut matched: [Vec<usize>; 3] = Default::default();
        let mut covered: Vec<Option<usize>> =
            vec![None; line.as_ref().map_or(0, |l| l.commands.len())];
        for &i in &mine {
            let rule = &self.rules[i];
            let judged = self.judge(rule, arguments, &places);
            // What cannot be told never allows, and asks rather than refuses.
            let decide = match (judged, rule.decide) {
                (Judged::No, _) | (Judged::Unsure, Decide::Allow) => continue,
                (Judged::Unsure, Decide::Deny) => Decide::Ask,
                (_, decide) => decide,
            };
            match (&rule.command, &line) {
                (None, _) => matched[decide as usize].push(i),
                (Some(patterns), Some(line)) => {
                    let matches = |n: usize| patterns.iter().any(|p| p.matches(&line.commands[n]));
                    if rule.decide == Decide::Allow {
                        for (n, cover) in covered.iter_mut().enumerate() {
                            if cover.is_none() && matches(n) {
                                *cover = Some(i);
                            }
                        }
                    } else if (0..line.commands.len()).any(matches) {
                        matched[decide as usize].push(i);
                    }
                }
                (Some(_), None) => {}
            }
        }
        if let Some(line) = &line
            && line.unbounded.is_none()
            && !covered.is_empty()
            && covered.iter().all(Option::is_some)
        {
            let mut by: Vec<usize> = covered.iter().flatten().copied().collect();
            by.sort_unstable();
            by.dedup();
            matched[Decide::Allow as usize].extend(by);
        }
        let mut ruling = self.strictest(&matched);
        // A line whose effect cannot be bounded is asked about, whatever allowed it.
        if let Some(why) = line.and_then(|l| l.unbounded) {
            if ruling.decide < Decide::Ask {
                ruling = Ruling {
                    decide: Decide::Ask,
                    rules: Vec::new(),
                    reason: Some(why),
                    ask: AskSettings::default(),
                };
            } else if ruling.rules.is_empty() {
                // The default asks: say what could not be told.
                ruling.reason.get_or_insert(why);
            }
        }
        ruling
    }

    /// What a rule's conditions other than `command` say of the call.
    fn judge(&self, rule: &Rule, arguments: &Value, places: &Places<'_>) -> Judged {
        let mut verdicts: Vec<Judged> = rule
            .conditions
            .iter()
            .map(|(path, condition)| {
                if condition.holds(path.lookup(arguments)) {
                    Judged::Yes
                } else {
                    Judged::No
                }
            })
            .collect();
        if let Some(path) = &rule.path {
            verdicts.push(path.judge(arguments, places));
        }
        paths::combine(&verdicts)
    }

    /// The strictest decision among the matched rules (the first rule of it named), or the
    /// default.
    fn strictest(&self, matched: &[Vec<usize>; 3]) -> Ruling {
        for decide in [Decide::Deny, Decide::Ask, Decide::Allow] {
            let rules = &matched[decide as usize];
            let Some(&first) = rules.first() else {
                continue;
            };
            let rule = &self.rules[first];
            let named = if decide == Decide::Allow {
                rules.clone()
            } else {
                vec![first]
            };
            return Ruling {
                decide,
                rules: named.into_iter().map(|i| self.reference(i)).collect(),
                reason: rule.reason.clone(),
                ask: rule.ask.clone(),
            };
        }
        Ruling {
            decide: self.default,
            rules: Vec::new(),
            reason: None,
            ask: AskSettings::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(rules: Vec<RuleRef>, reason: Option<&str>) -> (String, String) {
        let ruling = Ruling {
            decide: Decide::Deny,
            rules,
            reason: reason.map(str::to_owned),
            ask: AskSettings::default(),
        };
        match ruling.denial("claude_code.Bash") {
            crate::Error::Denied {
                action,
                rule,
                reason,
            } => {
                assert_eq!(action, "claude_code.Bash");
                (rule, reason)
            }
            other => panic!("not a denial: {other:?}"),
        }
    }

    #[test]
    fn a_denial_names_its_rules_and_says_why_even_without_a_reason() {
        let rule = |index, line| RuleRef { index, line };
        assert_eq!(
            denied(vec![rule(1, Some(9))], Some("under review")),
            ("rule 2 (line 9)".into(), "under review".into())
        );
        assert_eq!(
            denied(vec![rule(1, Some(9)), rule(3, None)], None),
            (
                "rule 2 (line 9), rule 4".into(),
                "deny by rule 2 (line 9), rule 4".into()
            )
        );
        assert_eq!(
            denied(Vec::new(), None),
            ("the rules' default".into(), "deny by default".into())
        );
    }
}
