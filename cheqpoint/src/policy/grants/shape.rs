//! A grant shaped on calls a person approved, for a door to suggest after repeated approvals of
//! one tool: what stayed the same is pinned, and what varied is bounded by what was seen — a
//! shell line by the words every line began with, a path by the folder every path was in,
//! numbers by the least and greatest seen; any other argument that varied (a model's
//! description) is left free. Where no such bound exists (shell lines with nothing in common,
//! paths with no folder in common) nothing is suggested.

use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value, json};

use super::grant::{Grant, GrantScope};
use crate::policy::rules::PATH_KEYS;

/// How a door suggests grants: after `after` approvals of one tool within `within`, it asks
/// once for a grant of `uses` uses lasting `lasting`, shaped on those calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suggestion {
    /// Approvals of one tool that make a suggestion.
    pub after: u32,
    /// Within how long.
    pub within: std::time::Duration,
    /// The uses of the grant asked for.
    pub uses: u32,
    /// How long the grant asked for lasts.
    pub lasting: std::time::Duration,
}

impl Suggestion {
    /// The grant to ask for, shaped on the arguments of approved calls of `tool`; `None`
    /// when they have no common shape worth granting.
    pub fn shape(&self, tool: &str, calls: &[Value], scope: GrantScope) -> Option<Grant> {
        let objects: Vec<&Map<String, Value>> =
            calls.iter().map(Value::as_object).collect::<Option<_>>()?;
        let first = *objects.first()?;
        let mut grant = Grant::new(tool)
            .lasting(self.lasting)
            .uses(self.uses)
            .scope(scope);
        let mut conditions = Map::new();
        for (key, value) in first {
            let seen: Vec<&Value> = objects.iter().map(|o| o.get(key)).collect::<Option<_>>()?;
            let same = seen.iter().all(|v| *v == value);
            if key == "command" {
                grant = grant.command([command_pattern(&seen)?]);
            } else if PATH_KEYS.contains(&key.as_str()) {
                grant = grant.path(json!({"at": key, "under": [common_folder(&seen)?]}));
            } else if same {
                conditions.insert(key.clone(), json!({"equals": value}));
            } else if seen.iter().all(|v| v.is_number()) {
                let numbers: Vec<f64> = seen.iter().filter_map(|v| v.as_f64()).collect();
                let least = numbers.iter().copied().fold(f64::INFINITY, f64::min);
                let most = numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                conditions.insert(key.clone(), json!({"min": least, "max": most}));
            }
        }
        if !conditions.is_empty() {
            grant = grant.conditions(Value::Object(conditions));
        }
        grant.checked().ok()?;
        Some(grant)
    }
}

/// The words every line began with, open after them (`npm test *`), or the line itself when
/// every line was the same; `None` for lines that are not one plain command each.
fn command_pattern(seen: &[&Value]) -> Option<String> {
    let lines: Vec<Vec<&str>> = seen
        .iter()
        .map(|v| {
            let line = v.as_str()?;
            let plain = !line.contains([
                '\n', ';', '&', '|', '<', '>', '$', '`', '(', ')', '\\', '"', '\'', '*', '?', '{',
                '~',
            ]);
            plain.then(|| line.split_whitespace().collect())
        })
        .collect::<Option<_>>()?;
    let first = lines.first()?;
    if lines.iter().all(|line| line == first) {
        return Some(first.join(" "));
    }
    let common = (0..first.len())
        .take_while(|&i| lines.iter().all(|line| line.get(i) == first.get(i)))
        .count();
    (common > 0).then(|| format!("{} *", first[..common].join(" ")))
}

/// The deepest folder every path was in, when it is not the root.
fn common_folder(seen: &[&Value]) -> Option<String> {
    let paths: Vec<&Path> = seen
        .iter()
        .map(|v| v.as_str().map(Path::new))
        .collect::<Option<_>>()?;
    let placed = |p: &Path| {
        p.is_absolute()
            && p.components()
                .all(|c| !matches!(c, Component::ParentDir | Component::CurDir))
    };
    if !paths.iter().all(|p| placed(p)) {
        return None;
    }
    let mut folder: PathBuf = paths.first()?.parent()?.to_path_buf();
    while !paths.iter().all(|p| p.starts_with(&folder)) {
        folder = folder.parent()?.to_path_buf();
    }
    (folder.components().count() > 1).then(|| folder.display().to_string())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    const SUGGEST: Suggestion = Suggestion {
        after: 3,
        within: Duration::from_secs(600),
        uses: 20,
        lasting: Duration::from_secs(3600),
    };

    #[test]
    fn what_stayed_is_pinned_and_what_varied_is_bounded_by_what_was_seen() {
        let calls = [
            json!({"command": "npm test -- unit", "description": "run unit tests", "timeout": 60000}),
            json!({"command": "npm test -- e2e", "description": "e2e", "timeout": 60000}),
        ];
        let grant = SUGGEST
            .shape("claude_code.Bash", &calls, GrantScope::Session("s".into()))
            .unwrap();
        assert_eq!(grant.command, Some(vec!["npm test -- *".to_owned()]));
        assert_eq!(
            grant.conditions,
            Some(json!({"timeout": {"equals": 60000}}))
        );
        assert_eq!((grant.uses, grant.for_seconds), (20, 3600));

        let refunds = [
            json!({"order": "A", "amount_cents": 1200, "currency": "EUR"}),
            json!({"order": "B", "amount_cents": 800, "currency": "EUR"}),
        ];
        let grant = SUGGEST
            .shape("refund", &refunds, GrantScope::Everywhere)
            .unwrap();
        assert_eq!(
            grant.conditions,
            Some(
                json!({"amount_cents": {"min": 800.0, "max": 1200.0}, "currency": {"equals": "EUR"}})
            )
        );

        let writes = [
            json!({"file_path": "/p/src/a.rs", "content": "x"}),
            json!({"file_path": "/p/src/b/c.rs", "content": "y"}),
        ];
        let grant = SUGGEST
            .shape("claude_code.Write", &writes, GrantScope::Everywhere)
            .unwrap();
        assert_eq!(
            grant.path,
            Some(json!({"at": "file_path", "under": ["/p/src"]}))
        );
    }

    #[test]
    fn nothing_is_suggested_without_a_common_shape() {
        let shape = |calls: &[Value]| SUGGEST.shape("t", calls, GrantScope::Everywhere);
        assert!(
            shape(&[
                json!({"command": "npm test"}),
                json!({"command": "cargo test"})
            ])
            .is_none()
        );
        assert!(
            shape(&[
                json!({"command": "npm test && rm -rf /"}),
                json!({"command": "npm test"})
            ])
            .is_none()
        );
        assert!(shape(&[json!({"file_path": "/a/x"}), json!({"file_path": "/b/y"})]).is_none());
        assert!(shape(&[json!({"file_path": "src/x"}), json!({"file_path": "src/y"})]).is_none());
        assert!(shape(&[json!({"command": "ls"}), json!({"other": 1})]).is_none());
        assert!(shape(&[]).is_none());
        assert_eq!(
            shape(&[
                json!({"command": "git status"}),
                json!({"command": "git status"})
            ])
            .unwrap()
            .command,
            Some(vec!["git status".to_owned()])
        );
    }
}
