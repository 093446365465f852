//! A grant in the words a reviewer reads — what it lets run, for how long, how often, for whom —
//! and the approval request that asks for it with them.

use std::fmt::Write;

use serde_json::Value;

use super::grant::{ACTION_PREFIX, Grant, GrantScope};
use crate::ApprovalRequest;

impl Grant {
    /// The approval request that asks a person for it: action `grant:TOOL`, the grant as
    /// details, its [words](Grant::words) as the summary.
    pub fn request(&self) -> ApprovalRequest {
        ApprovalRequest::new(format!("{ACTION_PREFIX}{}", self.tool), self.words())
            .details(serde_json::to_value(self).unwrap_or(Value::Null))
    }

    /// The grant in words: `let claude_code.Bash run `npm run test *` for 1 h, at most 50
    /// times, in session 5c1f`.
    pub fn words(&self) -> String {
        describe(self)
    }
}

/// `let claude_code.Bash run `npm run test *` for 1 h, at most 50 times, in session 5c1f`.
fn describe(grant: &Grant) -> String {
    let mut text = format!("let {} run", grant.tool);
    match &grant.command {
        Some(patterns) => {
            let quoted: Vec<String> = patterns.iter().map(|p| format!("`{p}`")).collect();
            let _ = write!(text, " {}", quoted.join(" or "));
        }
        None if grant.path.is_none() && grant.conditions.is_none() => text.push_str(" any call"),
        None => {}
    }
    if let Some(path) = &grant.path {
        let _ = write!(text, " on paths {}", bounds(path));
    }
    if let Some(conditions) = &grant.conditions {
        let _ = write!(text, " where {}", bounds(conditions));
    }
    let _ = write!(text, " for {}", span(grant.for_seconds));
    match grant.uses {
        1 => text.push_str(", once"),
        uses => {
            let _ = write!(text, ", at most {uses} times");
        }
    }
    match &grant.scope {
        GrantScope::Session(id) => {
            let _ = write!(text, ", in session {id}");
        }
        GrantScope::Agent(name) => {
            let _ = write!(text, ", for {name}");
        }
        GrantScope::Everywhere => text.push_str(", everywhere"),
    }
    text
}

/// A bounds table as `key value, key value` (`under ["{cwd}/src"]`, `amount_cents {"max":
/// 20000}`); anything else as JSON.
fn bounds(table: &Value) -> String {
    match table {
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| format!("{key} {value}"))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// Seconds as the largest whole unit that fits: `90 s`, `30 min`, `1 h`, `2 days`.
fn span(seconds: u64) -> String {
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => match s / 86_400 {
            1 => "1 day".into(),
            days => format!("{days} days"),
        },
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_bound_is_said() {
        let grant = Grant::new("refund")
            .conditions(json!({"amount_cents": {"max": 20000}}))
            .path(json!({"under": ["{cwd}/src"]}))
            .lasting(std::time::Duration::from_secs(2 * 86_400))
            .scope(GrantScope::Agent("billing".into()));
        assert_eq!(
            grant.words(),
            "let refund run on paths under [\"{cwd}/src\"] where amount_cents {\"max\":20000} \
             for 2 days, once, for billing"
        );
        assert_eq!(
            Grant::new("x")
                .lasting(std::time::Duration::from_secs(90))
                .words(),
            "let x run any call for 90 s, once, everywhere"
        );
        assert_eq!(span(1800), "30 min");
    }
}
