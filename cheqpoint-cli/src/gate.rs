//! One gated call through the `cheqpoint` library, the same for the gateway and every hook:
//! one approval request (action `DOOR.TOOL`, the summary, `details` = the arguments exactly as
//! the agent sent them, the risk, the agent), then `run` with exactly the approved arguments, or
//! nothing run.
//!
//! The library owns what every door shares: the call's identity (its action and canonical
//! arguments, within a scope such as an agent's session: the same call re-attaches to its
//! pending request and, once it has ended, is asked anew), the comparison of an edit with what
//! was asked, and the words the model reads. An edit that this gate refuses (it does not fit the
//! tool's schema, or changes a read-only key) ends the call in the library as refused, nothing
//! run.
//!
//! Before anyone is asked, the `[[rule]]` table decides (the library's
//! [`Rules`], the same a Rust program hands its client): a call a
//! rule allows runs with no request, one a rule denies is refused with the rule's reason, and one
//! asked about is asked with the rule's risk, summary, read-only keys and timeout. Each rule's
//! decision is written to stderr with the rule's line, and an allow or a deny to the journal
//! (an allow that cannot be recorded does not run). A call still to be asked runs with no
//! request when a live grant in the journal covers it (the library's
//! [`Journal::use_grant`]), taking one of its uses; a deny rule is never overridden by a grant.

use std::{future::Future, path::PathBuf, sync::Arc, time::Duration};

use cheqpoint::{
    ApprovalRequest, Client, Error, GrantCall, Journal, RequestWatch, Trace,
    policy::{
        edits::{self, Change},
        grants::{GrantScope, Suggestion},
        rules::{Decide, Rules},
        words::Words,
    },
};
use serde_json::{Map, Value};

/// What a gated call asks with, besides its arguments.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    /// `DOOR.TOOL`: `SERVER.TOOL` for the gateway, `claude_code.Bash` for a hook.
    pub action: String,
    /// The tool's own name, as `[[rule]]`s name it (`Bash`, `write_file`).
    pub tool: String,
    /// Where the call runs: relative paths in the arguments start here.
    pub cwd: PathBuf,
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
    /// Where the same call is the same: an agent's session for a hook; `None` for the gateway,
    /// whose calls are named by server, tool and arguments alone.
    pub scope: Option<String>,
    /// The agent's own session id, as a grant's `session` scope names it (`None` for the
    /// gateway, whose client names none).
    pub session: Option<String>,
    /// Learns the request's id once there is one (for progress reports).
    pub watch: RequestWatch,
}

/// Why an edit cannot run, as a check of the tool's own rules says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditRefusal {
    /// Where in the arguments (a JSON pointer, `/` for the whole object).
    pub path: String,
    /// What the rule says.
    pub reason: String,
}

/// How a gated call ended.
#[derive(Debug)]
pub enum Outcome<T> {
    /// Approved and run with the approved arguments.
    Ran {
        /// The approval.
        approval_id: String,
        /// What the run gave.
        output: T,
        /// What the reviewer changed; empty when nothing.
        changes: Vec<Change>,
    },
    /// Run with the arguments as sent, with no request: a rule or a grant allowed it.
    Allowed {
        /// The rule or the grant, in words (`allow by rule 2 (line 7)`, `allow by grant g…
        /// (4 uses left)`).
        ruling: String,
        /// What the run gave.
        output: T,
    },
    /// Not run: denied by a rule, rejected, timed out, an edit refused, the service failing, the
    /// journal refusing.
    Refused(Error),
}

/// The gate: a client, with its journal when it has one, and the rules that decide first.
#[derive(Debug, Clone)]
pub struct Gatekeeper {
    client: Client,
    rules: Arc<Rules>,
    /// When to suggest a grant, and the journal the process that asks for it opens.
    suggest: Option<(Suggestion, Option<String>)>,
}

impl Gatekeeper {
    /// A gate asking through `client`, with no rules: every call is asked.
    pub fn new(client: Client) -> Gatekeeper {
        Gatekeeper {
            client,
            rules: Arc::default(),
            suggest: None,
        }
    }

    /// The same gate, asking once for a grant shaped on repeated approvals of one tool, as
    /// `suggestion` says (`[suggest]` in gate.toml; none: never). The grant is asked for by a
    /// process of its own, on the journal at `journal` (the default one when `None`).
    pub fn suggesting(
        mut self,
        suggestion: Option<Suggestion>,
        journal: Option<String>,
    ) -> Gatekeeper {
        self.suggest = suggestion.map(|suggestion| (suggestion, journal));
        self
    }

    /// The same gate, deciding by `rules` before asking anyone.
    pub fn with_rules(mut self, rules: Rules) -> Gatekeeper {
        self.rules = Arc::new(rules);
        self
    }

    /// The client's journal, when it has one.
    pub fn journal(&self) -> Option<&Journal> {
        self.client.journal()
    }

    /// The words a model reads for calls of `action` at this gate.
    pub fn words<'a>(&self, action: &'a str) -> Words<'a> {
        Words::new(action).reattaching(self.journal().is_some())
    }

    /// Decides `arguments` by the rules, then (unless a rule allowed or denied them) asks for
    /// them and, on approval, runs `run` with the approved object. An edited object runs only
    /// when it is an object, `check` accepts it (the tool's schema) and it kept every read-only
    /// key.
    pub async fn decide<C, F, Fut, T>(
        &self,
        ask: &Ask,
        arguments: &Map<String, Value>,
        check: C,
        run: F,
    ) -> Outcome<T>
    where
        C: FnOnce(&Map<String, Value>) -> Result<(), EditRefusal>,
        F: FnOnce(Map<String, Value>) -> Fut,
        Fut: Future<Output = T>,
    {
        let sent = Value::Object(arguments.clone());
        let ruling = self.rules.decide(&ask.tool, &sent, &ask.cwd);
        if !ruling.rules.is_empty() || ruling.decide != Decide::Ask {
            eprintln!("cheqpoint: {}: {}", ask.action, ruling.explain());
        }
        // The journal records an allow or a deny (an allow it cannot record does not run), and
        // runs a call still to be asked under a grant that covers it.
        if let Some(journal) = self.journal() {
            match journal.settle(Some(&ruling), grant_call(ask, &sent)).await {
                Ok(Some(used)) => {
                    let grant = format!(
                        "allow by grant {} ({} uses left)",
                        used.grant_id, used.uses_left
                    );
                    eprintln!("cheqpoint: {}: {grant}", ask.action);
                    return Outcome::Allowed {
                        ruling: grant,
                        output: run(arguments.clone()).await,
                    };
                }
                Ok(None) => {}
                Err(error) => return Outcome::Refused(error),
            }
        }
        let asked;
        let ask = match ruling.decide {
            Decide::Allow => {
                return Outcome::Allowed {
                    ruling: ruling.explain(),
                    output: run(arguments.clone()).await,
                };
            }
            Decide::Deny => return Outcome::Refused(ruling.denial(&ask.action)),
            Decide::Ask => {
                let settings = &ruling.ask;
                let mut readonly = ask.readonly.clone();
                readonly.extend(settings.readonly.iter().cloned());
                asked = Ask {
                    risk: settings.risk.or(ask.risk),
                    summary: settings
                        .summary_for(&sent)
                        .unwrap_or_else(|| ask.summary.clone()),
                    timeout: settings.timeout.or(ask.timeout),
                    readonly,
                    ..ask.clone()
                };
                &asked
            }
        };
        let checked = |approved: &cheqpoint::Approved| {
            let Some(edit) = &approved.modified_details else {
                return Ok(());
            };
            let invalid = |path: &str, reason: String| Error::InvalidEdit {
                parameter: path.to_owned(),
                approval_id: approved.approval_id.clone(),
                message: reason,
            };
            let Value::Object(edit) = edit else {
                return Err(invalid(
                    "/",
                    format!("the edit is {edit}, not a JSON object"),
                ));
            };
            check(edit).map_err(|refusal| invalid(&refusal.path, refusal.reason))?;
            let changes = edits::changes(arguments, edit);
            if let Some(change) = edits::changed_readonly(&changes, &ask.readonly) {
                return Err(Error::ReadonlyChanged {
                    parameter: change.key.clone(),
                    approval_id: approved.approval_id.clone(),
                });
            }
            Ok(())
        };
        let outcome = self
            .client
            .guard_checked(request(ask, sent), checked, |approved| async move {
                // What runs is the approved object, checked above.
                let (runs, changes) = match approved.modified_details {
                    Some(Value::Object(edit)) => {
                        let changes = edits::changes(arguments, &edit);
                        (edit, changes)
                    }
                    _ => (arguments.clone(), Vec::new()),
                };
                (approved.approval_id, run(runs).await, changes)
            })
            .await;
        if outcome.is_ok() {
            self.suggest_grant(ask).await;
        }
        match outcome {
            Ok((approval_id, output, changes)) => Outcome::Ran {
                approval_id,
                output,
                changes,
            },
            Err(error) => Outcome::Refused(error),
        }
    }

    /// After an approved run: asks for a grant shaped on the recent approvals of the call's
    /// tool, when the configuration suggests grants and the journal says it is time. A
    /// suggestion guards nothing: when it cannot be made, that is said on stderr and the call
    /// is answered as it was.
    async fn suggest_grant(&self, ask: &Ask) {
        let (Some((suggestion, journal_spec)), Some(journal)) = (&self.suggest, self.journal())
        else {
            return;
        };
        let scope = match (&ask.session, door(ask)) {
            (Some(session), _) => GrantScope::Session(session.clone()),
            (None, Some(door)) => GrantScope::Agent(door.to_owned()),
            (None, None) => GrantScope::Everywhere,
        };
        match journal
            .suggested_grant(&ask.action, suggestion, scope)
            .await
        {
            Ok(Some(grant)) => {
                eprintln!(
                    "cheqpoint: {}: suggesting a grant: {}",
                    ask.action,
                    grant.words()
                );
                if let Err(error) =
                    crate::grants::ask_in_background(&grant, journal_spec.as_deref())
                {
                    eprintln!("cheqpoint: the grant could not be asked for: {error}");
                }
            }
            Ok(None) => {}
            Err(error) => eprintln!("cheqpoint: no grant suggested: {error}"),
        }
    }
}

/// The call as grants see it: its session the agent's, its agent the door (`claude_code`, the
/// server's name).
fn grant_call<'a>(ask: &'a Ask, sent: &'a Value) -> GrantCall<'a> {
    GrantCall::new(&ask.action, sent, &ask.cwd)
        .session(ask.session.as_deref())
        .agent(door(ask))
}

/// The door of a call: its action's first part.
fn door(ask: &Ask) -> Option<&str> {
    ask.action.split('.').next()
}

/// The approval request of a call whose arguments are `sent`.
fn request(ask: &Ask, sent: Value) -> ApprovalRequest {
    let mut trace = Trace::new().tool_call(format!("{}({sent})", ask.action));
    let mut request = ApprovalRequest::new(&ask.action, &ask.summary)
        .details(sent)
        .watch(&ask.watch);
    if let Some(scope) = &ask.scope {
        request = request.scope(scope);
    }
    if let Some(risk) = ask.risk {
        request = request.risk(risk);
    }
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
    request
}
