//! Whether a reviewer's edit of a grant narrows it: no more uses, no longer, no wider scope,
//! and bounds within the ones asked for ([`Rule::within`](crate::policy::rules::Rule::within)).
//! An edit that is not within grants nothing, and the refusal names what widened.

use serde_json::Value;

use super::grant::Grant;

impl Grant {
    /// What a reviewer's edit of this grant's details grants: the edited grant when it parses
    /// and is within this one (each bound the same or narrower, no longer, no more uses, no
    /// wider scope); otherwise why it grants nothing.
    pub fn narrowed_by(&self, edited: &Value) -> Result<Grant, String> {
        let narrower: Grant = serde_json::from_value(edited.clone())
            .map_err(|error| format!("the edit is no grant: {error}"))?;
        narrower.checked()?;
        within(&narrower, self)?;
        Ok(narrower)
    }
}

/// `Ok` when `narrow` covers no call, time, use or scope that `wide` does not.
pub(super) fn within(narrow: &Grant, wide: &Grant) -> Result<(), String> {
    if narrow.uses > wide.uses {
        return Err(format!(
            "the edit raises the uses from {} to {}",
            wide.uses, narrow.uses
        ));
    }
    if narrow.for_seconds > wide.for_seconds {
        return Err(format!(
            "the edit lengthens the grant from {} to {} seconds",
            wide.for_seconds, narrow.for_seconds
        ));
    }
    if narrow.scope != wide.scope && narrow.scope.width() >= wide.scope.width() {
        return Err(format!(
            "the edit moves the scope from {:?} to {:?}",
            wide.scope, narrow.scope
        ));
    }
    if narrow.scope != wide.scope && wide.scope.width() == 1 {
        // From an agent to a session: which agent a session belongs to is not known here.
        return Err(format!(
            "the edit moves the scope from {:?} to {:?}, which may not be the same agent's",
            wide.scope, narrow.scope
        ));
    }
    let (narrow_rule, wide_rule) = (narrow.rule()?, wide.rule()?);
    narrow_rule
        .within(&wide_rule)
        .map_err(|why| format!("the edit widens the bounds: {why}"))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{Value, json};

    use crate::policy::grants::{Grant, GrantScope};

    fn asked() -> Grant {
        Grant::new("claude_code.Bash")
            .command(["npm run test *", "git diff *"])
            .path(json!({"under": ["{cwd}"]}))
            .conditions(json!({"timeout": {"max": 600000}}))
            .lasting(std::time::Duration::from_secs(3600))
            .uses(50)
            .scope(GrantScope::Everywhere)
    }

    /// The asked grant's JSON with `change` applied.
    fn edited(change: impl FnOnce(&mut Value)) -> Value {
        let mut value = serde_json::to_value(asked()).unwrap();
        change(&mut value);
        value
    }

    #[test]
    fn narrower_edits_grant_what_they_say() {
        for (what, edit) in [
            ("fewer uses", edited(|g| g["uses"] = json!(5))),
            ("shorter", edited(|g| g["for_seconds"] = json!(600))),
            (
                "a session",
                edited(|g| g["scope"] = json!({"session": "s1"})),
            ),
            (
                "one pattern",
                edited(|g| g["command"] = json!(["git diff *"])),
            ),
            (
                "a longer pattern",
                edited(|g| g["command"] = json!(["npm run test -- unit *"])),
            ),
            (
                "a closed pattern",
                edited(|g| g["command"] = json!(["npm run test"])),
            ),
            (
                "a deeper folder",
                edited(|g| g["path"] = json!({"under": ["{cwd}/src"]})),
            ),
            (
                "a lower max",
                edited(|g| g["where"] = json!({"timeout": {"max": 1000}})),
            ),
            (
                "a pinned value",
                edited(|g| g["where"] = json!({"timeout": {"equals": 5}})),
            ),
            (
                "a bound added",
                edited(|g| g["where"]["description"] = json!({"glob": "run tests*"})),
            ),
            ("nothing", edited(|_| {})),
        ] {
            let granted = asked().narrowed_by(&edit);
            assert!(granted.is_ok(), "{what}: {granted:?}");
        }
    }

    #[test]
    fn wider_or_broken_edits_grant_nothing_and_say_why() {
        for (edit, words) in [
            (
                edited(|g| g["uses"] = json!(51)),
                "raises the uses from 50 to 51",
            ),
            (edited(|g| g["for_seconds"] = json!(7200)), "lengthens"),
            (
                edited(|g| g["command"] = json!(["npm run *"])),
                "`command` pattern `npm run *` is not within",
            ),
            (
                edited(|g| g["command"] = json!(["npm run test * --x", "rm *"])),
                "`rm *` is not within",
            ),
            (
                edited(|g| {
                    g.as_object_mut()
                        .unwrap()
                        .remove("command")
                        .map(drop)
                        .unwrap()
                }),
                "`command` was taken away",
            ),
            (
                edited(|g| g["path"] = json!({"under": ["{cwd}/../x"]})),
                "`path` is wider",
            ),
            (
                edited(|g| g["path"] = json!({"under": ["/"]})),
                "`path` is wider",
            ),
            (
                edited(|g| g["where"] = json!({"timeout": {"max": 600001}})),
                "`where.timeout` is wider",
            ),
            (
                edited(|g| g["where"] = json!({"timeout": {"min": 1}})),
                "`where.timeout` is wider",
            ),
            (
                edited(|g| g["tool"] = json!("claude_code.Write")),
                "the tool changed",
            ),
            (edited(|g| g["uses"] = json!(0)), "at least one use"),
            (
                edited(|g| g["uses"] = json!("many")),
                "the edit is no grant",
            ),
            (
                edited(|g| g["forever"] = json!(true)),
                "unknown field `forever`",
            ),
            (
                edited(|g| g["command"] = json!(["* anything"])),
                "must name its program",
            ),
        ] {
            let refused = asked().narrowed_by(&edit).unwrap_err();
            assert!(refused.contains(words), "{edit}: {refused}");
        }
        let in_a_session = asked().scope(GrantScope::Session("s1".into()));
        let elsewhere = in_a_session.clone().scope(GrantScope::Session("s2".into()));
        let everywhere = in_a_session.clone().scope(GrantScope::Everywhere);
        for wider in [elsewhere, everywhere] {
            let refused = in_a_session
                .narrowed_by(&serde_json::to_value(&wider).unwrap())
                .unwrap_err();
            assert!(refused.contains("moves the scope"), "{refused}");
        }
        let for_an_agent = asked().scope(GrantScope::Agent("codex".into()));
        let to_a_session = for_an_agent.clone().scope(GrantScope::Session("s".into()));
        assert!(
            for_an_agent
                .narrowed_by(&serde_json::to_value(&to_a_session).unwrap())
                .unwrap_err()
                .contains("may not be the same agent's")
        );
    }

    #[test]
    fn a_narrowed_grant_is_held_to_both_bounds() {
        let cwd = Path::new("/work/project");
        // A Bash call names no path: the asked grant's bounds without one.
        let mut wide = asked();
        wide.path = None;
        let narrow = wide
            .narrowed_by(&json!(Grant {
                command: Some(vec!["git diff *".into()]),
                ..wide.clone()
            }))
            .unwrap();
        let covering = narrow.checked().unwrap().and(wide.checked().unwrap());
        let call = |line: &str| json!({"command": line, "timeout": 1000});
        assert!(covering.covers("claude_code.Bash", &call("git diff --stat"), cwd));
        assert!(!covering.covers("claude_code.Bash", &call("npm run test"), cwd));
        assert!(!covering.covers("claude_code.Bash", &call("git diff; rm -rf /"), cwd));
        assert!(!covering.covers("claude_code.Write", &call("git diff"), cwd));
        let timed = json!({"command": "git diff", "timeout": 700000});
        assert!(!covering.covers("claude_code.Bash", &timed, cwd));
    }
}
