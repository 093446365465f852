//! What the gate decided for a hook (`Decided`), and `strongest`, the one function that turns
//! it into the strongest answer the event's `Powers` (data each adapter gives) honour. A decision the agent cannot express is never
//! turned into a wider one: an edit an agent cannot run, or an `ask` it does not honour, is a
//! deny in words.

use serde_json::{Map, Value};

use super::{
    agent::Agent,
    event::{Answer, Edits, Event},
};

/// What to answer when no decision came in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnTimeout {
    /// Refuse the tool call.
    #[default]
    Deny,
    /// Let the agent ask the user at the terminal, where the agent can.
    Ask,
}

/// How the gate ended for a hook's call.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Decided {
    /// Approved: run with `input` (`edited` when a reviewer changed it).
    Allow {
        /// The approved input.
        input: Map<String, Value>,
        /// Whether a reviewer changed it.
        edited: bool,
        /// The approval, and what changed, in words.
        reason: String,
    },
    /// Not approved, for the reason given.
    Deny(String),
    /// No decision in time.
    Undecided(String),
}

/// The strongest answer `event`'s powers allow for `outcome`.
pub(super) fn strongest(
    agent: Agent,
    event: &Event,
    outcome: Decided,
    on_timeout: OnTimeout,
) -> Answer {
    let name = agent.facts().name;
    match outcome {
        Decided::Allow {
            input,
            edited: true,
            reason,
        } => match event.powers.edits {
            Edits::Never => Answer::Deny(format!(
                "{reason} But {name} cannot run a call with another input than it asked for, so the \
                 edit is refused and nothing ran. The approved input was {}: make that call to ask for it.",
                Value::Object(input)
            )),
            Edits::Merge => match event.input.keys().find(|key| {
                !input.contains_key(*key) || input.get(*key).is_some_and(Value::is_null)
            }) {
                Some(key) => Answer::Deny(format!(
                    "{reason} But the edit removed `{key}`, and {name} merges an edit into the call, \
                     so it cannot remove a key: the edit is refused and nothing ran."
                )),
                None => Answer::Allow {
                    input,
                    edited: true,
                    reason,
                },
            },
            Edits::Replace => Answer::Allow {
                input,
                edited: true,
                reason,
            },
        },
        Decided::Allow {
            input,
            edited: false,
            reason,
        } => Answer::Allow {
            input,
            edited: false,
            reason,
        },
        Decided::Deny(reason) => Answer::Deny(reason),
        Decided::Undecided(reason) if on_timeout == OnTimeout::Ask && event.powers.ask => {
            Answer::Ask(reason)
        }
        Decided::Undecided(reason) => Answer::Deny(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::event::Powers;
    use serde_json::json;

    fn event(powers: Powers) -> Event {
        Event {
            name: "PreToolUse".into(),
            tool: "Bash".into(),
            input: json!({"command": "ls", "description": "list"})
                .as_object()
                .unwrap()
                .clone(),
            session: None,
            cwd: None,
            summary: "Run `ls`".into(),
            schema: None,
            powers,
        }
    }

    fn allow(input: Value, edited: bool) -> Decided {
        Decided::Allow {
            input: input.as_object().unwrap().clone(),
            edited,
            reason: "Approved (req_1).".into(),
        }
    }

    const ALL: Powers = Powers {
        ask: true,
        edits: Edits::Replace,
    };

    #[test]
    fn an_edit_the_agent_cannot_run_is_refused_in_words() {
        let never = event(Powers {
            ask: false,
            edits: Edits::Never,
        });
        let answer = strongest(
            Agent::Cursor,
            &never,
            allow(json!({"command": "ls -l"}), true),
            OnTimeout::Deny,
        );
        let Answer::Deny(reason) = answer else {
            panic!("{answer:?}")
        };
        assert!(reason.contains("cursor cannot run"), "{reason}");
        assert!(reason.contains("ls -l"), "{reason}");
        // An approval without an edit is an allow for every agent.
        let plain = strongest(
            Agent::Cursor,
            &never,
            allow(json!({"command": "ls"}), false),
            OnTimeout::Deny,
        );
        assert!(matches!(plain, Answer::Allow { edited: false, .. }));
    }

    #[test]
    fn a_merging_agent_cannot_remove_a_key() {
        let merge = event(Powers {
            ask: false,
            edits: Edits::Merge,
        });
        let removed = strongest(
            Agent::Gemini,
            &merge,
            allow(json!({"command": "ls -l"}), true),
            OnTimeout::Deny,
        );
        assert!(
            matches!(&removed, Answer::Deny(r) if r.contains("removed `description`")),
            "{removed:?}"
        );
        let nulled = strongest(
            Agent::Gemini,
            &merge,
            allow(json!({"command": "ls -l", "description": null}), true),
            OnTimeout::Deny,
        );
        assert!(matches!(nulled, Answer::Deny(_)), "{nulled:?}");
        let changed = strongest(
            Agent::Gemini,
            &merge,
            allow(json!({"command": "ls -l", "description": "x"}), true),
            OnTimeout::Deny,
        );
        assert!(matches!(changed, Answer::Allow { edited: true, .. }));
    }

    #[test]
    fn no_decision_is_a_question_only_where_asked_for_and_honoured() {
        let undecided = || Decided::Undecided("no decision".into());
        let asks = event(ALL);
        assert_eq!(
            strongest(Agent::ClaudeCode, &asks, undecided(), OnTimeout::Ask),
            Answer::Ask("no decision".into())
        );
        assert_eq!(
            strongest(Agent::ClaudeCode, &asks, undecided(), OnTimeout::Deny),
            Answer::Deny("no decision".into())
        );
        let never_asks = event(Powers {
            ask: false,
            edits: Edits::Replace,
        });
        assert_eq!(
            strongest(Agent::Codex, &never_asks, undecided(), OnTimeout::Ask),
            Answer::Deny("no decision".into())
        );
    }
}
