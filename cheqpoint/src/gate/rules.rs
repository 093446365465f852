//! The client's rules and grants applied to a `#[checkpoint]` call before it asks: by the
//! action's name and the parameters as they would be sent, a rule lets the body run with no
//! request, refuses the call with its reason, or sets how the person is asked; a call still to
//! be asked runs with no request when a live grant in the journal covers it, taking one of its
//! uses. Every decision a rule made is a `tracing` event naming the rule and its line, and, with
//! a journal, a record in it (an allow that cannot be recorded does not run); every use is
//! recorded in the journal with the grant's id.

use crate::{
    ApprovalRequest, Client, Error, GrantCall,
    policy::rules::{Decide, Ruling},
};

/// What the rules left to do.
#[derive(Debug)]
pub(crate) enum Ruled {
    /// A rule allows it: run the body, ask nobody.
    Run,
    /// Ask, with these keys read-only on top of the attribute's.
    Ask { readonly: Vec<String> },
}

/// Decides `request` by the client's rules, sets what an ask rule asks with, and runs a call
/// still to be asked under a grant that covers it.
pub(crate) async fn apply(client: &Client, request: &mut ApprovalRequest) -> Result<Ruled, Error> {
    // A working directory that cannot be read leaves relative paths unplaced: never allowed.
    let cwd = std::env::current_dir().unwrap_or_default();
    let ruling = client.rules().map(|rules| {
        let ruling = rules.decide(&request.action, &request.details, &cwd);
        record(&request.action, &ruling);
        ruling
    });
    if let Some(journal) = client.journal() {
        let call = GrantCall::new(&request.action, &request.details, &cwd)
            .session(request.scope.as_deref());
        if journal.settle(ruling.as_ref(), call).await?.is_some() {
            return Ok(Ruled::Run);
        }
    }
    match ruling {
        Some(ruling) => by_rules(ruling, request),
        None => Ok(Ruled::Ask {
            readonly: Vec::new(),
        }),
    }
}

/// What `ruling` leaves of `request`, with what an ask rule asks with set on it.
fn by_rules(ruling: Ruling, request: &mut ApprovalRequest) -> Result<Ruled, Error> {
    match ruling.decide {
        Decide::Allow => Ok(Ruled::Run),
        Decide::Deny => Err(ruling.denial(&request.action)),
        Decide::Ask => {
            let ask = ruling.ask;
            if let Some(summary) = ask.summary_for(&request.details) {
                request.summary = summary;
            }
            if ask.risk.is_some() {
                request.risk_score = ask.risk;
            }
            if ask.timeout.is_some() {
                request.timeout = ask.timeout;
            }
            Ok(Ruled::Ask {
                readonly: ask.readonly,
            })
        }
    }
}

/// The `tracing` event of a decision the rules made (none for a call they leave to the
/// default ask: it is recorded as any request is).
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn record(action: &str, ruling: &Ruling) {
    #[cfg(feature = "tracing")]
    if ruling.decide != Decide::Ask || !ruling.rules.is_empty() || ruling.reason.is_some() {
        let how = ruling.explain();
        let decision = ruling.decide.as_str();
        let line = ruling.rules.first().and_then(|rule| rule.line);
        tracing::info!(action, decision, line, "rules: {action}: {how}");
    }
}
