//! What `#[checkpoint]` expansions call, re-exported as `cheqpoint::__private`. Not a public
//! API: names and signatures here change without notice.

use std::{future::Future, pin::Pin, time::Duration};

use serde_json::{Map, Value};

pub use super::bounds::{
    CarriesRejection, Editable, EditableBorrowed, GateCondition, GateReturn, RiskScore, Sendable,
};
pub use super::{claim::Claim, verdict::Verdict};
pub use crate::global::global;
use crate::{ApprovalRequest, Client, Error};

/// The request a gated call is building.
#[derive(Debug)]
pub struct Gate {
    request: ApprovalRequest,
    details: Map<String, Value>,
}

/// The wait for a verdict, boxed so that a gated fn's future holds a pointer to it rather than
/// the whole HTTP exchange beside the body's own state.
pub type PendingVerdict<'a> = Pin<Box<dyn Future<Output = Result<Verdict, Error>> + Send + 'a>>;

impl Gate {
    /// A request for `action` with `summary`.
    pub fn new(action: &str, summary: String) -> Gate {
        Gate {
            request: ApprovalRequest::new(action, summary),
            details: Map::new(),
        }
    }

    /// Sets the risk score; checked when the request is sent.
    pub fn risk(&mut self, score: impl RiskScore) {
        self.request.risk_score = Some(score.score());
    }

    /// Sets the justification.
    pub fn justification(&mut self, text: impl Into<String>) {
        self.request.justification = Some(text.into());
    }

    /// Sets how long to wait, in seconds.
    pub fn timeout_secs(&mut self, seconds: u64) {
        self.request.timeout = Some(Duration::from_secs(seconds));
    }

    /// Names the operation (`key = ".."`): with a journal, calls with one key make one request
    /// and run once.
    pub fn key(&mut self, key: String) {
        self.request.key = Some(key);
    }

    /// Sets the callback URL.
    pub fn webhook_url(&mut self, url: impl Into<String>) {
        self.request.callback_url = Some(url.into());
    }

    /// Adds a parameter to `details` under `name`.
    pub fn param<T: ?Sized + Sendable>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        let value = value.to_details().map_err(|e| Error::Serialize {
            parameter: name.to_owned(),
            message: e.to_string(),
        })?;
        self.details.insert(name.to_owned(), value);
        Ok(())
    }

    /// Asks and waits.
    pub fn approve(self, client: &Client) -> PendingVerdict<'_> {
        // Made before the wait's future, which then holds the request once, not the gate too.
        let mut request = self.request.details(Value::Object(self.details));
        Box::pin(async move {
            #[cfg(feature = "rules")]
            // Boxed: a wait holds a pointer to the rules' and grants' step, not its state.
            let readonly = match Box::pin(super::rules::apply(client, &mut request)).await? {
                super::rules::Ruled::Run => return Ok(Verdict::unasked()),
                super::rules::Ruled::Ask { readonly } => readonly,
            };
            let (approved, run) = client.checkpoint_run(&mut request).await?;
            // The details sent, to read the reviewer's edit against: the request's own, not a
            // copy held through the wait.
            let sent = match request.details {
                Value::Object(sent) => sent,
                _ => Map::new(),
            };
            let verdict = Verdict::new(approved, sent, Claim::of(run))?;
            // The keys an ask rule keeps read-only, beside the attribute's own.
            #[cfg(feature = "rules")]
            for key in &readonly {
                verdict.check_readonly(key)?;
            }
            Ok(verdict)
        })
    }

    /// Asks and waits on this thread, as [`crate::runtime::block_on`] runs a future: refused
    /// on a current-thread runtime, where it would stall everything.
    pub fn approve_blocking(self, client: &Client) -> Result<Verdict, Error> {
        crate::runtime::block_on(self.approve(client))?
    }
}

/// Records that a call with a `when = ..` option ran without asking, because `condition` (its
/// source text) was false.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub fn not_gated(action: &str, condition: &str) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        action,
        condition,
        "not gated: `when` is false, so {action} runs without asking"
    );
}
