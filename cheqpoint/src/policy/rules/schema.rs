//! A rule table held against the tools it will judge: every argument a rule names (in `where`,
//! `path`, `command`, `readonly` and its summary's placeholders) must be one the tool's
//! `inputSchema` has, and every rule must name some tool, so that a misspelt key is refused at
//! start instead of matching nothing for ever.

use serde_json::{Map, Value};

use super::{
    arguments::{self, ArgPath},
    decide::{RuleRef, Rules},
    paths::DEFAULT_KEYS,
};

/// A mistake in a rule, found against the tools.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {message}")]
pub struct RuleProblem {
    /// The rule at fault.
    pub rule: RuleRef,
    /// What is wrong, in words.
    pub message: String,
}

impl Rules {
    /// The problems of the rules that match `tool` against its input `schema` (a JSON Schema
    /// object, as MCP's `inputSchema`); empty when there are none.
    pub fn check_against(&self, tool: &str, schema: &Value) -> Vec<RuleProblem> {
        let mut problems = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.matches_tool(tool) {
                continue;
            }
            let mut problem = |message: String| {
                problems.push(RuleProblem {
                    rule: self.reference(index),
                    message,
                });
            };
            let mut named: Vec<(&str, ArgPath)> = Vec::new();
            named.extend(
                rule.conditions
                    .iter()
                    .map(|(path, _)| ("`where`", path.clone())),
            );
            if rule.command.is_some() {
                named.push(("`command`", ArgPath::parse("command")));
            }
            named.extend(
                rule.ask
                    .readonly
                    .iter()
                    .map(|key| ("`readonly`", ArgPath::parse(key))),
            );
            if let Some(summary) = &rule.ask.summary {
                named.extend(
                    arguments::placeholders(summary)
                        .into_iter()
                        .map(|p| ("the summary", p)),
                );
            }
            match &rule.path {
                Some(path) if path.names_keys() => {
                    named.extend(path.keys().iter().cloned().map(|key| ("`path.at`", key)));
                }
                Some(_)
                    if !DEFAULT_KEYS
                        .iter()
                        .any(|key| lookup(schema, &ArgPath::parse(key)).is_ok()) =>
                {
                    problem(format!(
                        "`path` reads {}, and {tool} takes none of them: name its argument with `at`",
                        DEFAULT_KEYS.join(", ")
                    ));
                }
                _ => {}
            }
            for (field, path) in named {
                if let Err(known) = lookup(schema, &path) {
                    problem(format!(
                        "{field} names `{}`, which {tool} does not take (it takes: {known})",
                        path.dotted()
                    ));
                }
            }
        }
        problems
    }

    /// The rules whose `tool` names none of `tools`.
    pub fn naming_no_tool<'a>(
        &self,
        tools: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Vec<RuleProblem> {
        (0..self.rules.len())
            .filter(|&i| {
                !tools
                    .clone()
                    .into_iter()
                    .any(|tool| self.rules[i].matches_tool(tool))
            })
            .map(|i| RuleProblem {
                rule: self.reference(i),
                message: format!(
                    "`tool = \"{}\"` names no tool there is",
                    self.rules[i].tool_patterns().collect::<Vec<_>>().join("|")
                ),
            })
            .collect()
    }
}

/// Walks `path` through the schema's `properties` (and `items` for an index). A schema that
/// does not list its properties takes any key. `Err` holds the keys it does take, in words.
fn lookup<'a>(schema: &'a Value, path: &ArgPath) -> Result<&'a Value, String> {
    let mut node = schema;
    for key in path.segments() {
        let properties = node.get("properties").and_then(Value::as_object);
        let items = node.get("items");
        node = match (properties, items) {
            (Some(properties), _) => properties.get(key).ok_or_else(|| listed(properties))?,
            (None, Some(items)) if key.parse::<usize>().is_ok() => items,
            _ => return Ok(node),
        };
    }
    Ok(node)
}

fn listed(properties: &Map<String, Value>) -> String {
    let keys: Vec<&str> = properties.keys().map(String::as_str).collect();
    if keys.is_empty() {
        "nothing".into()
    } else {
        keys.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_every_argument_the_tool_does_not_take() {
        let rules: Rules = serde_json::from_value(json!({"rule": [
            {"tool": "refund", "decide": "allow", "where": {"amount_cent": {"max": 5}, "order.id": {"equals": "x"}}},
            {"tool": "refund", "decide": "ask", "summary": "Refund {amount_cents} on {order.idd}", "readonly": ["currency"]},
            {"tool": "Write", "decide": "ask", "path": {"outside": "{cwd}"}},
            {"tool": "write_file", "decide": "ask", "path": {"outside": "{cwd}"}},
            {"tool": "Bash", "decide": "allow", "command": ["ls *"]},
        ]}))
        .unwrap();
        let refund = json!({"type": "object", "properties": {
            "amount_cents": {"type": "integer"},
            "order": {"type": "object", "properties": {"id": {"type": "string"}}},
        }});
        let problems: Vec<String> = rules
            .check_against("refund", &refund)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            [
                "rule 1: `where` names `amount_cent`, which refund does not take (it takes: amount_cents, order)",
                "rule 2: `readonly` names `currency`, which refund does not take (it takes: amount_cents, order)",
                "rule 2: the summary names `order.idd`, which refund does not take (it takes: id)",
            ]
        );
        let write = json!({"properties": {"file_path": {}, "content": {}}});
        assert!(rules.check_against("Write", &write).is_empty());
        let wrong = json!({"properties": {"target": {}}});
        assert!(
            rules.check_against("write_file", &wrong)[0]
                .message
                .contains("name its argument with `at`")
        );
        assert!(
            rules.check_against("Bash", &json!({"properties": {"cmd": {}}}))[0]
                .message
                .contains("`command` names `command`")
        );
        // A schema that lists no properties takes any key.
        assert!(
            rules
                .check_against("refund", &json!({"type": "object"}))
                .is_empty()
        );
        let unused: Vec<usize> = rules
            .naming_no_tool(["refund", "Write", "Bash"])
            .iter()
            .map(|p| p.rule.index)
            .collect();
        assert_eq!(unused, [3]);
    }
}
