//! One gated tool call: one approval request through the `cheqpoint` client (action
//! `SERVER.TOOL`, the summary, `details` = the arguments exactly as sent, the risk, the agent),
//! then the call forwarded with exactly the approved arguments, or never forwarded.
//!
//! With a journal the call is keyed by server, tool and a hash of its arguments, so the same call
//! after a restart re-attaches to its request, and an approval is forwarded at most once.

use std::{future::Future, time::Duration};

use cheqpoint::{ApprovalRequest, Client, Journal, Trace};
use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{edits, outcome};

/// What a gated call asks with, besides its arguments.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    /// `SERVER.TOOL`.
    pub action: String,
    /// One sentence for the reviewer.
    pub summary: String,
    /// 0.0–1.0.
    pub risk: Option<f64>,
    /// Who is asking: the client's name (`claude-code`, `codex-mcp-client`, …), shown to the
    /// reviewer as the request's justification and its trace's model.
    pub agent: Option<String>,
    /// The W3C `traceparent` the client gave, shown in the request's trace.
    pub traceparent: Option<String>,
    /// How long to wait for a decision.
    pub timeout: Option<Duration>,
    /// Top-level keys a reviewer may not change.
    pub readonly: Vec<String>,
    /// The journal key: the operation's identity.
    pub key: String,
}

/// How a gated call ended, before it becomes what the model reads.
#[derive(Debug)]
pub enum Verdict<T> {
    /// Approved and run: what the run gave, and the line saying what the reviewer changed.
    Ran {
        /// The approval.
        approval_id: String,
        /// What the run gave.
        output: T,
        /// What the reviewer changed, in a sentence; `None` when nothing.
        changed: Option<String>,
    },
    /// Approved, but the edit could not be run: it does not fit the schema, changes a read-only
    /// key, or is not an object. Nothing ran; the next identical call asks again.
    EditRefused {
        /// The approval.
        approval_id: String,
        /// Why the edit cannot run.
        reason: String,
    },
    /// No approval: rejected, timed out, the service failing, the journal refusing.
    Refused(cheqpoint::Error),
}

/// The gate: a client (with its journal, when it has one).
#[derive(Debug, Clone)]
pub struct Gate {
    client: Client,
    journal: Option<Journal>,
}

impl Gate {
    /// A gate asking through `client`; `journal` is the one `client` was built with, if any
    /// (an edit the gate refuses is forgotten from it, so the next call asks anew).
    pub fn new(client: Client, journal: Option<Journal>) -> Gate {
        Gate { client, journal }
    }

    /// The journal, when there is one.
    pub fn journal(&self) -> Option<&Journal> {
        self.journal.as_ref()
    }

    /// Asks for `arguments` and, on approval, runs `run` with the approved object; an edited
    /// object runs only when `check` accepts it (the tool's schema, its keys) and it kept every
    /// read-only key.
    pub async fn decide<C, F, Fut, T>(
        &self,
        ask: &Ask,
        arguments: &JsonObject,
        check: C,
        run: F,
    ) -> Verdict<T>
    where
        C: FnOnce(&JsonObject) -> Result<(), String>,
        F: FnOnce(JsonObject) -> Fut,
        Fut: Future<Output = T>,
    {
        let sent = Value::Object(arguments.clone());
        let mut request = ApprovalRequest::new(&ask.action, &ask.summary)
            .details(sent.clone())
            .key(&ask.key);
        if let Some(risk) = ask.risk {
            request = request.risk(risk);
        }
        let mut trace = Trace::new().tool_call(format!("{}({sent})", ask.action));
        if let Some(agent) = &ask.agent {
            request = request
                .agent_name(agent)
                .justification(format!("Asked for by the agent {agent}."));
            trace = trace.model(agent);
        }
        if let Some(traceparent) = &ask.traceparent {
            trace = trace.observation(format!("traceparent {traceparent}"));
        }
        request = request.trace(trace);
        if let Some(timeout) = ask.timeout {
            request = request.timeout(timeout);
        }
        let outcome = self
            .client
            .guard(request, |approved| async move {
                let approved_id = approved.approval_id.clone();
                let Some(edit) = approved.modified_details else {
                    return Ok((approved_id, run(arguments.clone()).await, None));
                };
                let checked = match &edit {
                    Value::Object(object) => check(object)
                        .and_then(|()| edits::check_readonly(arguments, object, &ask.readonly))
                        .map(|()| object.clone()),
                    other => Err(format!(
                        "the approved arguments are {other}, not a JSON object"
                    )),
                };
                match checked {
                    Ok(object) => {
                        let changed = edits::report(arguments, &object);
                        Ok((approved_id, run(object).await, changed))
                    }
                    Err(reason) => Err((approved_id, reason)),
                }
            })
            .await;
        match outcome {
            Ok(Ok((approval_id, output, changed))) => Verdict::Ran {
                approval_id,
                output,
                changed,
            },
            Ok(Err((approval_id, reason))) => {
                if let Some(journal) = &self.journal {
                    // Nothing ran: the next identical call asks again instead of "already done".
                    let _ = journal.forget(&ask.key).await;
                }
                Verdict::EditRefused {
                    approval_id,
                    reason,
                }
            }
            Err(error) => Verdict::Refused(error),
        }
    }
}

/// The journal key of a call: `PREFIX/SERVER/TOOL/` and the SHA-256 of its arguments in a
/// canonical form (keys sorted at every depth), so the same call has the same key in any
/// process.
pub fn call_key(prefix: &str, server: &str, tool: &str, arguments: &JsonObject) -> String {
    let mut hash = Sha256::new();
    hash.update(canonical(&Value::Object(arguments.clone())).as_bytes());
    format!("{prefix}/{server}/{tool}/{}", hex::encode(hash.finalize()))
}

fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|key| format!("{}:{}", Value::from(key.as_str()), canonical(&map[key])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", parts.join(","))
        }
        other => other.to_string(),
    }
}

/// What the model reads for a verdict whose run gave a tool result (or a failure to deliver).
pub fn into_result(ask: &Ask, verdict: Verdict<Result<CallToolResult, String>>) -> CallToolResult {
    match verdict {
        Verdict::Ran {
            output: Ok(mut result),
            changed,
            ..
        } => {
            if let Some(changed) = changed {
                result.content.insert(
                    0,
                    ContentBlock::text(format!(
                        "{changed}; the tool ran with the approved arguments."
                    )),
                );
            }
            result
        }
        Verdict::Ran {
            output: Err(failure),
            changed,
            ..
        } => outcome::error_result(format!(
            "{}{}",
            changed.map(|c| format!("{c}.\n")).unwrap_or_default(),
            outcome::upstream_failed_after_approval(&ask.action, &failure)
        )),
        Verdict::EditRefused {
            approval_id,
            reason,
        } => outcome::error_result(outcome::edit_refused(&ask.action, &approval_id, &reason)),
        Verdict::Refused(error) => outcome::error_result(outcome::refused(&ask.action, &error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_key_is_the_same_for_the_same_arguments_in_any_order() {
        let a = json!({"b": {"y": 1, "x": [2, {"q": 1, "p": 0}]}, "a": "s"});
        let b = json!({"a": "s", "b": {"x": [2, {"p": 0, "q": 1}], "y": 1}});
        let key = |v: &Value| call_key("mcp", "fs", "rm", v.as_object().unwrap());
        assert_eq!(key(&a), key(&b));
        assert!(key(&a).starts_with("mcp/fs/rm/"));
        assert_ne!(key(&a), key(&json!({"a": "t"})));
        assert_ne!(
            call_key("mcp", "fs", "rm", &JsonObject::new()),
            call_key("mcp", "fs", "mv", &JsonObject::new())
        );
    }
}
