//! A grant and what it covers: the tool, the bounds (written as a rule's), the duration, the
//! uses and the scope, checked as a rule is, and the [`Covering`] its bounds make.

use std::{path::Path, time::Duration};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::policy::rules::{Decide, Rule, Rules};

/// The action of a request that asks for a grant is this prefix and the tool's name.
pub const ACTION_PREFIX: &str = "grant:";

/// The longest a grant may last: 30 days.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Who a grant covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum GrantScope {
    /// The calls of one agent session (a coding agent's session id, an MCP session, or the
    /// `scope` of a [`ApprovalRequest`](crate::ApprovalRequest)).
    Session(String),
    /// The calls of one agent (`claude_code`, `codex`, a gateway's server name).
    Agent(String),
    /// Every call of the tool, by every process on the journal.
    Everywhere,
}

impl GrantScope {
    /// True when a call made in `session` by `agent` is within this scope.
    pub fn holds(&self, session: Option<&str>, agent: Option<&str>) -> bool {
        match self {
            GrantScope::Session(id) => session == Some(id.as_str()),
            GrantScope::Agent(name) => agent == Some(name.as_str()),
            GrantScope::Everywhere => true,
        }
    }

    /// How wide it is: a session within an agent within everywhere.
    pub(super) fn width(&self) -> u8 {
        match self {
            GrantScope::Session(_) => 0,
            GrantScope::Agent(_) => 1,
            GrantScope::Everywhere => 2,
        }
    }
}

/// A grant: the calls of one tool whose arguments are within its bounds, for a time, a number
/// of runs, and a scope. Serialized as the details of the request that asks for it:
///
/// ```json
/// {"tool": "claude_code.Bash", "command": ["npm run test *"],
///  "for_seconds": 3600, "uses": 50, "scope": {"session": "5c1f…"}}
/// ```
///
/// ```
/// use std::time::Duration;
/// use cheqpoint::policy::grants::{Grant, GrantScope};
///
/// let grant = Grant::new("claude_code.Bash")
///     .command(["npm run test *"])
///     .lasting(Duration::from_secs(3600))
///     .uses(50)
///     .scope(GrantScope::Session("5c1f".into()));
/// assert_eq!(
///     grant.words(),
///     "let claude_code.Bash run `npm run test *` for 1 h, at most 50 times, in session 5c1f"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Grant {
    /// The action it covers, exactly (`claude_code.Bash`, `github.create_issue`, `refund`).
    pub tool: String,
    /// Shell command patterns, as a rule's `command`: every command of a line must match one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Where paths must lead, as a rule's `path` (`{"under": ["{cwd}/src"]}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Value>,
    /// Conditions on the arguments, as a rule's `where`.
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Value>,
    /// How long it lasts once approved, in seconds.
    pub for_seconds: u64,
    /// How many calls it may run.
    pub uses: u32,
    /// Who it covers.
    pub scope: GrantScope,
}

impl Grant {
    /// A grant of every call of `tool`, everywhere, once, for an hour: narrow it with the
    /// methods below.
    pub fn new(tool: impl Into<String>) -> Grant {
        Grant {
            tool: tool.into(),
            command: None,
            path: None,
            conditions: None,
            for_seconds: 3600,
            uses: 1,
            scope: GrantScope::Everywhere,
        }
    }

    /// Only shell lines each command of which matches one of `patterns` (`git diff *`).
    pub fn command<S: Into<String>>(mut self, patterns: impl IntoIterator<Item = S>) -> Grant {
        self.command = Some(patterns.into_iter().map(Into::into).collect());
        self
    }

    /// Only calls whose paths meet `condition`, a rule's `path` table.
    pub fn path(mut self, condition: Value) -> Grant {
        self.path = Some(condition);
        self
    }

    /// Only calls whose arguments meet `conditions`, a rule's `where` table.
    pub fn conditions(mut self, conditions: Value) -> Grant {
        self.conditions = Some(conditions);
        self
    }

    /// How long it lasts once approved (whole seconds).
    pub fn lasting(mut self, duration: Duration) -> Grant {
        self.for_seconds = duration.as_secs();
        self
    }

    /// How many calls it may run.
    pub fn uses(mut self, uses: u32) -> Grant {
        self.uses = uses;
        self
    }

    /// Who it covers.
    pub fn scope(mut self, scope: GrantScope) -> Grant {
        self.scope = scope;
        self
    }

    /// How long it lasts once approved.
    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.for_seconds)
    }

    /// Checks it can be kept: one tool named exactly, a duration within [`MAX_DURATION`], at
    /// least one use, bounds that read as a rule's. The rule that decides what it covers.
    pub fn checked(&self) -> Result<Covering, String> {
        if self.tool.trim().is_empty() || self.tool.contains(['|', '*', '?']) {
            return Err(format!(
                "a grant names one tool exactly, not {:?}",
                self.tool
            ));
        }
        if self.for_seconds == 0 || self.duration() > MAX_DURATION {
            return Err(format!(
                "a grant lasts from 1 second to 30 days, not {} seconds",
                self.for_seconds
            ));
        }
        if self.uses == 0 {
            return Err("a grant allows at least one use".into());
        }
        Ok(Covering {
            rules: vec![Rules::new(Decide::Ask, vec![self.rule()?])],
        })
    }

    /// Its bounds as a rule that allows what they cover.
    pub(super) fn rule(&self) -> Result<Rule, String> {
        let mut rule = json!({"tool": self.tool, "decide": "allow"});
        for (key, bound) in [
            ("command", self.command.as_ref().map(|c| json!(c))),
            ("path", self.path.clone()),
            ("where", self.conditions.clone()),
        ] {
            if let Some(bound) = bound {
                rule[key] = bound;
            }
        }
        serde_json::from_value(rule).map_err(|error| format!("its bounds: {error}"))
    }
}

/// The rules a grant's bounds make: what it covers.
#[derive(Debug, Clone)]
pub struct Covering {
    /// Each must allow a call.
    rules: Vec<Rules>,
}

impl Covering {
    /// Covers only what both cover: a narrowed grant is held to the bounds asked for as well
    /// as to its own.
    pub fn and(mut self, other: Covering) -> Covering {
        self.rules.extend(other.rules);
        self
    }

    /// True when a call of `action` with `arguments`, run in `cwd`, is within the bounds.
    pub fn covers(&self, action: &str, arguments: &Value, cwd: &Path) -> bool {
        self.rules
            .iter()
            .all(|rules| rules.decide(action, arguments, cwd).decide == Decide::Allow)
    }
}
