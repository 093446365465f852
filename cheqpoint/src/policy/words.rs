//! The words a model reads when a gated call did not run as asked, one set for every door: the
//! attribute's rig and rmcp integrations, the MCP gateway and the coding-agent hooks. Each says
//! what happened, that the call did not run, and what the model can do next — and only what is
//! true for that case (a rejection never reads "already ran").

use crate::Error;

use super::edits::Change;

/// Who declined a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider {
    /// A person, in the review inbox.
    Person,
    /// A rule of the workspace, at creation.
    WorkspaceRule,
    /// The service itself (the request expired, no reviewer): not a judgement of the call.
    Service,
}

impl Decider {
    /// Who declined, from a rejection's flags: the service when it is `retryable`, else a rule
    /// when `auto_decided`, else a person.
    pub fn of(auto_decided: bool, retryable: bool) -> Decider {
        if retryable {
            Decider::Service
        } else if auto_decided {
            Decider::WorkspaceRule
        } else {
            Decider::Person
        }
    }

    /// In words, lower case: `a reviewer`, `a workspace rule`, `the approval service`.
    pub fn name(self) -> &'static str {
        match self {
            Decider::Person => "a reviewer",
            Decider::WorkspaceRule => "a workspace rule",
            Decider::Service => "the approval service",
        }
    }
}

/// The words for the calls of one action at one door.
///
/// ```
/// use cheqpoint::{Error, policy::words::Words};
///
/// let rejected = Error::Rejected {
///     approval_id: "req_1".into(),
///     note: Some("not on Fridays".into()),
///     reason_code: None,
///     auto_decided: false,
///     rule_name: None,
///     retryable: false,
/// };
/// let text = Words::new("fs.write_file").not_run(&rejected);
/// assert!(text.starts_with("A reviewer declined this call to fs.write_file (approval req_1)"));
/// assert!(text.contains("not on Fridays"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Words<'a> {
    action: Option<&'a str>,
    reattaches: bool,
}

impl<'a> Words<'a> {
    /// The words for calls of `action`, at a door without a journal.
    pub fn new(action: &'a str) -> Words<'a> {
        Words {
            action: Some(action),
            reattaches: false,
        }
    }

    /// The words for a call whose action the door does not know (an rmcp tool's error, made
    /// from the [`Error`] alone): "this call" without a name.
    pub fn unnamed() -> Words<'static> {
        Words {
            action: None,
            reattaches: false,
        }
    }

    /// Says that the same call made again while its request is open waits on that request:
    /// true at a door with a journal (the gateway, the hooks, a client given one).
    pub fn reattaching(mut self, reattaches: bool) -> Words<'a> {
        self.reattaches = reattaches;
        self
    }

    /// Why the call did not run, and what the model can do next.
    pub fn not_run(&self, error: &Error) -> String {
        let call = match self.action {
            Some(action) => format!("this call to {action}"),
            None => "this call".to_owned(),
        };
        match error {
            Error::Rejected {
                approval_id,
                note,
                reason_code,
                auto_decided,
                rule_name,
                retryable,
            } => {
                let decider = Decider::of(*auto_decided, *retryable);
                let who = match (decider, rule_name) {
                    (Decider::WorkspaceRule, Some(rule)) => format!("The workspace rule {rule:?}"),
                    _ => capitalized(decider.name()),
                };
                let mut text =
                    format!("{who} declined {call} (approval {approval_id}); it did not run.");
                if let Some(note) = note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                    text.push_str(&format!(" The note: {note:?}."));
                }
                if let Some(code) = reason_code {
                    text.push_str(&format!(" Reason code: {code}."));
                }
                text.push_str(if decider == Decider::Service {
                    " That was not a judgement of the call: making it again asks anew."
                } else {
                    " Do not make the same call again as it is: take the note into account, change the approach, or ask the user."
                });
                text
            }
            Error::Timeout {
                approval_id,
                waited,
            } => {
                let again = if self.reattaches {
                    "the same call made again waits on that request instead of asking again"
                } else {
                    "ask the user before making the call again"
                };
                format!(
                    "No decision on approval {approval_id} for {call} after {} s; it did not run. A reviewer may still decide: {again}.",
                    waited.as_secs()
                )
            }
            Error::InvalidEdit {
                approval_id,
                parameter,
                message,
            } => format!(
                "A reviewer approved {call} (approval {approval_id}) with an edit that cannot be used (`{parameter}`: {message}); it did not run. Making the call again asks anew."
            ),
            Error::ReadonlyChanged {
                approval_id,
                parameter,
            } => format!(
                "A reviewer approved {call} (approval {approval_id}) but changed `{parameter}`, which may not be changed; it did not run. Making the call again asks anew."
            ),
            Error::DetailsMismatch { approval_id } => format!(
                "Approval {approval_id} is for other arguments than {call} sent; it did not run. Making the call again asks anew."
            ),
            Error::AlreadyDone { approval_id, .. } => format!(
                "The operation of {call} already ran on approval {approval_id}, and its key allows one run; it did not run again."
            ),
            Error::Interrupted {
                approval_id, key, ..
            } => {
                let then = if key.is_some() {
                    "its key is not run again until someone checks and releases it"
                } else {
                    "the same call made again asks anew"
                };
                format!(
                    "{} was approved ({approval_id}) and started, but its end was never recorded; it was not run again. Check whether it took effect: {then}.",
                    capitalized(&call)
                )
            }
            Error::InProgress { .. } => format!(
                "The same call is being asked for or run by another call right now, so {call} did not run. Wait for that one."
            ),
            Error::Denied { rule, reason, .. } => format!(
                "A rule of this gate ({rule}) refused {call}: {reason}. Nobody was asked and it did not run. Do not make the same call again as it is: change the approach or ask the user."
            ),
            Error::Api { .. }
            | Error::Transport { .. }
            | Error::InvalidResponse { .. }
            | Error::UnknownStatus { .. }
            | Error::Congested { .. }
            | Error::CreateUnconfirmed { .. } => format!(
                "The approval service could not give a decision on {call}, so it did not run ({error}). Try again later, or tell the user the approval service is failing."
            ),
            Error::Journal { .. } => format!(
                "The approval journal could not be written, so {call} did not run ({error}). Tell the user."
            ),
            other => format!("{} did not run: {other}.", capitalized(&call)),
        }
    }

    /// The line a model reads before the result of a call that ran with a reviewer's edit;
    /// `None` when nothing changed.
    pub fn ran_with_edit(&self, changes: &[Change]) -> Option<String> {
        if changes.is_empty() {
            return None;
        }
        let parts: Vec<String> = changes
            .iter()
            .map(|change| match (&change.from, &change.to) {
                (Some(from), Some(to)) => {
                    format!("`{}` from {} to {}", change.key, brief(from), brief(to))
                }
                (Some(_), None) => format!("removed `{}`", change.key),
                (None, to) => format!(
                    "set `{}` to {}",
                    change.key,
                    to.as_ref().map_or_else(|| "null".to_owned(), brief)
                ),
            })
            .collect();
        Some(format!(
            "A reviewer changed the arguments before approving ({}); {} ran with the approved arguments.",
            parts.join("; "),
            self.action.unwrap_or("the tool")
        ))
    }
}

/// A JSON value in brief: its text, cut at 80 characters.
pub fn brief(value: &serde_json::Value) -> String {
    const MOST: usize = 80;
    let text = value.to_string();
    match text.char_indices().nth(MOST) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use serde_json::json;

    use super::*;

    fn rejected(auto_decided: bool, retryable: bool) -> Error {
        Error::Rejected {
            approval_id: "req_1".into(),
            note: Some("too large".into()),
            reason_code: Some("policy".into()),
            auto_decided,
            rule_name: None,
            retryable,
        }
    }

    #[test]
    fn who_declined_is_read_the_same_everywhere() {
        let words = Words::new("shop.refund");
        let person = words.not_run(&rejected(false, false));
        assert!(person.starts_with("A reviewer declined"), "{person}");
        for part in ["req_1", "\"too large\"", "policy", "did not run", "Do not"] {
            assert!(person.contains(part), "{part:?} missing from {person:?}");
        }
        let rule = words.not_run(&rejected(true, false));
        assert!(rule.starts_with("A workspace rule declined"), "{rule}");
        // Retryable wins over auto-decided: the service declined, and asking again is new.
        let service = words.not_run(&rejected(true, true));
        assert!(
            service.starts_with("The approval service declined"),
            "{service}"
        );
        assert!(service.contains("asks anew"), "{service}");
        assert_eq!(Decider::of(true, true), Decider::Service);
    }

    #[test]
    fn no_refusal_says_the_call_ran() {
        let words = Words::new("fs.write");
        let errors = [
            rejected(false, false),
            rejected(false, true),
            Error::Timeout {
                approval_id: "req_2".into(),
                waited: Duration::from_secs(30),
            },
            Error::Interrupted {
                key: None,
                approval_id: "req_3".into(),
                started_at: SystemTime::now(),
            },
            Error::InvalidEdit {
                parameter: "/path".into(),
                approval_id: "req_4".into(),
                message: "not a string".into(),
            },
        ];
        for error in &errors {
            let text = words.not_run(error);
            assert!(!text.contains("already ran"), "{text}");
            assert!(
                text.contains("not run") || text.contains("did not run"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_timeout_says_the_call_reattaches_only_where_it_does() {
        let timeout = Error::Timeout {
            approval_id: "req_2".into(),
            waited: Duration::from_secs(30),
        };
        let journalled = Words::new("a").reattaching(true).not_run(&timeout);
        assert!(journalled.contains("waits on that request"), "{journalled}");
        let plain = Words::new("a").not_run(&timeout);
        assert!(!plain.contains("waits on that request"), "{plain}");
    }

    #[test]
    fn an_edit_is_reported_change_by_change() {
        let changes = [
            Change {
                key: "path".into(),
                from: Some(json!("/a")),
                to: Some(json!("/b")),
            },
            Change {
                key: "force".into(),
                from: Some(json!(true)),
                to: None,
            },
            Change {
                key: "mode".into(),
                from: None,
                to: Some(json!(7)),
            },
        ];
        let line = Words::new("fs.write")
            .ran_with_edit(&changes)
            .unwrap_or_default();
        for part in [
            "`path` from \"/a\" to \"/b\"",
            "removed `force`",
            "set `mode` to 7",
            "fs.write ran with the approved arguments",
        ] {
            assert!(line.contains(part), "{part:?} missing from {line:?}");
        }
        assert_eq!(Words::new("x").ran_with_edit(&[]), None);
        assert!(brief(&json!("x".repeat(200))).ends_with('…'));
    }
}
