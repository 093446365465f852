//! What a waiting call tells `tracing`: one span per call (action, risk, approval id, decision,
//! auto-decided, wait time) and events when a wait starts and while it goes on. Compiled to
//! nothing without the `tracing` feature. The key and the request's details are never recorded; the
//! message of an error that ends a call (e.g. an edit that did not fit its parameter) may quote
//! the offending value.

use std::{future::Future, time::Duration};

use crate::{ApprovalRequest, Approved, Decision, Error};

/// The span of one call that may wait for a person.
pub(crate) struct CallSpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl CallSpan {
    /// A span for `operation` (`checkpoint`, `request_sync`, …) on `request`.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn request(operation: &'static str, request: &ApprovalRequest) -> CallSpan {
        CallSpan {
            #[cfg(feature = "tracing")]
            span: tracing::info_span!(
                "cheqpoint",
                operation,
                action = %request.action,
                risk = request.risk_score,
                approval_id = tracing::field::Empty,
                decision = tracing::field::Empty,
                auto_decided = tracing::field::Empty,
                waited_ms = tracing::field::Empty,
            ),
        }
    }

    /// A span for resuming the wait on `approval_id`.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn resume(approval_id: &str) -> CallSpan {
        CallSpan {
            #[cfg(feature = "tracing")]
            span: tracing::info_span!(
                "cheqpoint",
                operation = "wait",
                action = tracing::field::Empty,
                risk = tracing::field::Empty,
                approval_id,
                decision = tracing::field::Empty,
                auto_decided = tracing::field::Empty,
                waited_ms = tracing::field::Empty,
            ),
        }
    }

    /// `call`, run inside the span. Not an `async fn`: that would hold `call` twice in its
    /// state (once as the argument, once instrumented), and a waiting call's state is what
    /// thousands of waits cost.
    pub(crate) fn run<F: Future>(&self, call: F) -> impl Future<Output = F::Output> {
        #[cfg(feature = "tracing")]
        return tracing::Instrument::instrument(call, self.span.clone());
        #[cfg(not(feature = "tracing"))]
        call
    }

    /// Records how the call ended, with an event at its end.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn finish(&self, outcome: &impl Outcome, waited: Duration) {
        #[cfg(feature = "tracing")]
        {
            let span = &self.span;
            let (approval_id, decision, auto_decided) = outcome.fields();
            span.record("waited_ms", waited.as_millis() as u64);
            span.record("decision", decision);
            if let Some(id) = approval_id {
                span.record("approval_id", id);
            }
            if let Some(auto_decided) = auto_decided {
                span.record("auto_decided", auto_decided);
            }
            match outcome.error() {
                Some(error) => tracing::info!(parent: span, %error, "not approved"),
                None => tracing::info!(parent: span, decision, "decided"),
            }
        }
    }

    /// Records the id of the request once it exists.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn created(&self, approval_id: &str) {
        #[cfg(feature = "tracing")]
        self.span.record("approval_id", approval_id);
    }
}

/// The event that starts a wait: what the agent is blocked on and where to decide it.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn awaiting(approval_id: &str, review_url: Option<&str>) {
    #[cfg(feature = "tracing")]
    match review_url {
        Some(url) => tracing::info!(
            approval_id,
            review_url = url,
            "awaiting approval {approval_id} — review at {url}"
        ),
        None => tracing::info!(approval_id, "awaiting approval {approval_id}"),
    }
}

/// The event repeated while a wait goes on.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn still_awaiting(approval_id: &str, waited: Duration) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        approval_id,
        waited_s = waited.as_secs(),
        "still awaiting approval {approval_id} after {}s",
        waited.as_secs()
    );
}

/// A failed exchange that will be tried again.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn retrying(what: &'static str, error: &Error, delay: Duration) {
    #[cfg(feature = "tracing")]
    tracing::debug!(%error, ?delay, "{what} failed; trying again");
}

/// A gated call found no client given to `cheqpoint::init` and built one from the environment.
pub(crate) fn global_from_env() {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        "a gated call ran before cheqpoint::init: it uses a client built from CHEQPOINT_API_KEY \
         until init is called"
    );
}

/// A callback the listener refused, once per cause: never its body, nor any secret.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn callback_refused(why: &'static str) {
    #[cfg(feature = "tracing")]
    tracing::warn!("{why} (later ones of this kind are not logged)");
}

/// What a finished call reports on its span: approval id, decision, auto-decided.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) trait Outcome {
    /// The approval id when known, the decision in one word, and whether a rule decided.
    fn fields(&self) -> (Option<&str>, &'static str, Option<bool>);
    /// The error, when the call failed.
    fn error(&self) -> Option<&Error>;
}

impl Outcome for Result<Approved, Error> {
    fn fields(&self) -> (Option<&str>, &'static str, Option<bool>) {
        match self {
            Ok(approved) => approved_fields(approved),
            Err(error) => error_fields(error),
        }
    }

    fn error(&self) -> Option<&Error> {
        self.as_ref().err()
    }
}

impl<Claim> Outcome for Result<(Approved, Claim), Error> {
    fn fields(&self) -> (Option<&str>, &'static str, Option<bool>) {
        match self {
            Ok((approved, _)) => approved_fields(approved),
            Err(error) => error_fields(error),
        }
    }

    fn error(&self) -> Option<&Error> {
        self.as_ref().err()
    }
}

#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
fn approved_fields(approved: &Approved) -> (Option<&str>, &'static str, Option<bool>) {
    (
        Some(&approved.approval_id),
        "approved",
        Some(approved.auto_decided),
    )
}

impl Outcome for Result<Decision, Error> {
    fn fields(&self) -> (Option<&str>, &'static str, Option<bool>) {
        match self {
            Ok(decision) => (Some(&decision.approval_id), decision.status.as_str(), None),
            Err(error) => error_fields(error),
        }
    }

    fn error(&self) -> Option<&Error> {
        self.as_ref().err()
    }
}

#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
fn error_fields(error: &Error) -> (Option<&str>, &'static str, Option<bool>) {
    let (decision, auto_decided) = match error {
        Error::Rejected { auto_decided, .. } => ("rejected", Some(*auto_decided)),
        Error::Timeout { .. } => ("timeout", None),
        Error::AlreadyDone { .. } => ("already_done", None),
        Error::Interrupted { .. } => ("interrupted", None),
        Error::InProgress { .. } => ("in_progress", None),
        _ => ("error", None),
    };
    (error.approval_id(), decision, auto_decided)
}
