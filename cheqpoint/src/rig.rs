//! Puts any [`rig`](https://docs.rs/rig-core) tool behind a human approval without rewriting it
//! (feature `rig`, rig-core 0.44; the feature needs Rust 1.95).
//!
//! [`Gated`] wraps a tool and is itself a tool with the same name, description and parameter
//! schema, so the model sees no difference. On each call:
//!
//! 1. the arguments the model gave are serialized into the request's `details` (an object as
//!    it is; any other JSON value under the key `args`);
//! 2. the wrapper asks through [`Client::checkpoint`] and waits for the decision;
//! 3. on approval without an edit, the inner tool runs with the model's own arguments; with
//!    an edit (the reviewer's `modifiedDetails`, a whole replacement), the edit is read into the
//!    tool's `Args` and accepted only when those serialize back to it: a key `Args` has no place
//!    for, a removed argument that is not an `Option`, a wrong type, or a field a serde default
//!    would fill in fails the call, naming the path. The tool's result then starts with a line
//!    telling the model which arguments a person changed and to what ([`Gated::report_edits`]
//!    turns it off);
//! 4. on rejection the inner tool does not run, and the model reads `A reviewer declined this
//!    call to refund (approval req_…); it did not run. The note: "…".` as the tool's result (the
//!    words of [`crate::policy::words`], the same at every door), so the agent can go on (or, with [`RejectAs::Error`], the call
//!    fails with a refusal carrying the same text).
//!
//! Everything else fails closed: a timeout, a transport or HTTP error, an edit that does not
//! deserialize into `Args`, or a missing global client is an error result (whose model-visible
//! text says the action was not approved and why), and the inner tool does not run. The
//! error's source is the [`crate::Error`]: `error.downcast_ref::<cheqpoint::Error>()`.
//!
//! ```no_run
//! use cheqpoint::rig::{Gated, RejectAs};
//! use rig_core::tool::PortableTool;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct RefundArgs { order_id: String, amount_cents: u64 }
//!
//! struct Refund;
//!
//! impl PortableTool for Refund {
//!     const NAME: &'static str = "refund";
//!     type Args = RefundArgs;
//!     type Output = String;
//!     type Error = std::convert::Infallible;
//!     fn description(&self) -> String { "Refund part of an order.".into() }
//!     fn parameters(&self) -> serde_json::Value { serde_json::json!({"type": "object"}) }
//!     async fn call(&self, args: RefundArgs) -> Result<String, Self::Error> {
//!         Ok(format!("refunded {} cents on {}", args.amount_cents, args.order_id))
//!     }
//! }
//!
//! # fn run() -> Result<(), cheqpoint::Error> {
//! let refund = Gated::new(Refund, cheqpoint::Client::from_env()?)
//!     .action("process_refund")
//!     .risk(0.8)
//!     .summary_with(|args: &RefundArgs| {
//!         format!("Refund {} cents on order {}", args.amount_cents, args.order_id)
//!     })
//!     .on_reject(RejectAs::ToolResult);
//! // Register `refund` with a rig agent as any other tool.
//! # Ok(()) }
//! ```
//!
//! [`Gated::when`] asks only for the calls that need it (`.when(|args| args.amount_cents >=
//! 5_000)`); the others run at once.
//!
//! Not supported: checking an edit against the tool's JSON schema (`Args`' serde round trip
//! decides whether an edit fits), `readonly` or `skip` of single arguments (the
//! whole of `Args` is sent and editable), and streaming tool output.

use std::{sync::Arc, time::Duration};

use rig_core::{
    completion::message::ToolResultContent,
    tool::{IntoToolOutput, Tool, ToolContext, ToolExecutionError, ToolOutput},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::{
    ApprovalRequest, Client, Error,
    policy::{edits::Change, words::Words},
};

/// The key under which arguments that are not a JSON object travel in `details`.
pub const ARGS_KEY: &str = "args";

/// What the model gets when a reviewer declines a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RejectAs {
    /// A successful tool result reading `A reviewer declined this call to NAME (approval …); it
    /// did not run.` and the note (`A workspace rule declined …` when a rule of the workspace
    /// decided, `The approval service declined …` when the service did, e.g. on expiry): the
    /// model reads it and the agent goes on. The default.
    #[default]
    ToolResult,
    /// A refusal (a failed tool call) with the same text, whose source is
    /// [`Error::Rejected`]. Rig's agent still shows the text to the model, marked as an error.
    Error,
}

/// A rig tool that runs only after a person approves each call, with the arguments they
/// approved.
///
/// It has the inner tool's `NAME`, description and parameters. The inner tool's `Args` must be
/// `Serialize` as well as `Deserialize`, and must round-trip through JSON: they are sent as the
/// request's `details` and read back from the approved details.
pub struct Gated<T: Tool> {
    inner: T,
    client: Option<Client>,
    action: String,
    risk: Option<f64>,
    summary: Summary<T::Args>,
    timeout: Option<Duration>,
    on_reject: RejectAs,
    when: Option<WhenFn<T::Args>>,
    report_edits: bool,
}

type WhenFn<A> = Arc<dyn Fn(&A) -> bool + Send + Sync>;

type SummaryFn<A> = Arc<dyn Fn(&A) -> String + Send + Sync>;

enum Summary<A> {
    Default,
    Fixed(String),
    With(SummaryFn<A>),
}

impl<T: Tool + std::fmt::Debug> std::fmt::Debug for Gated<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gated")
            .field("inner", &self.inner)
            .field("client", &self.client)
            .field("action", &self.action)
            .field("risk", &self.risk)
            .field("timeout", &self.timeout)
            .field("report_edits", &self.report_edits)
            .finish_non_exhaustive()
    }
}

impl<T: Tool + Clone> Clone for Gated<T> {
    fn clone(&self) -> Self {
        Gated {
            inner: self.inner.clone(),
            client: self.client.clone(),
            action: self.action.clone(),
            risk: self.risk,
            summary: match &self.summary {
                Summary::Default => Summary::Default,
                Summary::Fixed(text) => Summary::Fixed(text.clone()),
                Summary::With(make) => Summary::With(Arc::clone(make)),
            },
            timeout: self.timeout,
            on_reject: self.on_reject,
            when: self.when.clone(),
            report_edits: self.report_edits,
        }
    }
}

impl<T: Tool> Gated<T>
where
    T::Args: Serialize + DeserializeOwned,
{
    /// Gates `tool` through `client`, with every option at its default.
    pub fn new(tool: T, client: Client) -> Self {
        Self::build(tool, Some(client))
    }

    /// Gates `tool` through the global client ([`crate::global`]), looked up at each call; when
    /// there is none, the call fails with [`Error::NotConfigured`] and the tool does not run.
    pub fn global(tool: T) -> Self {
        Self::build(tool, None)
    }

    fn build(inner: T, client: Option<Client>) -> Self {
        Gated {
            inner,
            client,
            action: T::NAME.to_owned(),
            risk: None,
            summary: Summary::Default,
            timeout: None,
            on_reject: RejectAs::default(),
            when: None,
            report_edits: true,
        }
    }

    /// The action name the reviewer sees; default: the tool's `NAME`.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = action.into();
        self
    }

    /// The risk score, 0.0 to 1.0; checked when a call is sent (out of range: every call fails).
    pub fn risk(mut self, score: f64) -> Self {
        self.risk = Some(score);
        self
    }

    /// A fixed one-sentence summary. The default reads ``Run tool `refund`: `` followed by the
    /// first line of the tool's description (at most 200 characters).
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Summary::Fixed(summary.into());
        self
    }

    /// A summary made from each call's arguments.
    pub fn summary_with(
        mut self,
        summary: impl Fn(&T::Args) -> String + Send + Sync + 'static,
    ) -> Self {
        self.summary = Summary::With(Arc::new(summary));
        self
    }

    /// How long each call waits for a decision, in place of the client's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// What the model gets when a reviewer declines; default [`RejectAs::ToolResult`].
    pub fn on_reject(mut self, reject_as: RejectAs) -> Self {
        self.on_reject = reject_as;
        self
    }

    /// Asks only for the calls where `condition` holds; the others run at once, unasked (with
    /// `tracing`, an event records each). Default: every call is asked.
    pub fn when(mut self, condition: impl Fn(&T::Args) -> bool + Send + Sync + 'static) -> Self {
        self.when = Some(Arc::new(condition));
        self
    }

    /// Whether the tool result tells the model which arguments a reviewer changed before
    /// approving, and to what (default: on). Without it, the agent reasons about a call that
    /// did not run as it asked.
    pub fn report_edits(mut self, report: bool) -> Self {
        self.report_edits = report;
        self
    }

    /// The wrapped tool.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// Asks for approval of `args`; on approval, the arguments as approved (the caller's own
    /// when the reviewer changed nothing) and what the reviewer changed.
    async fn approve(&self, args: T::Args) -> Result<(T::Args, Vec<Change>), Error> {
        let client = match &self.client {
            Some(client) => client,
            None => crate::global()?,
        };
        let (details, wrapped) = to_details(&args)?;
        let mut request =
            ApprovalRequest::new(&self.action, self.summary_of(&args)).details(details.clone());
        if let Some(score) = self.risk {
            request = request.risk(score);
        }
        if let Some(timeout) = self.timeout {
            request = request.timeout(timeout);
        }
        let approved = client.checkpoint(request).await?;
        let edit = match &approved.modified_details {
            Some(edit) if !crate::gate::edit::is_same(edit, &details) => edit,
            _ => return Ok((args, Vec::new())),
        };
        let invalid = |message| Error::InvalidEdit {
            parameter: if wrapped { ARGS_KEY } else { "arguments" }.to_owned(),
            approval_id: approved.approval_id.clone(),
            message,
        };
        let edited = from_details(edit, wrapped).map_err(invalid)?;
        Ok((edited, changes(&details, edit)))
    }

    fn summary_of(&self, args: &T::Args) -> String {
        match &self.summary {
            Summary::Fixed(text) => text.clone(),
            Summary::With(make) => make(args),
            Summary::Default => {
                let description = self.inner.description();
                let line = description
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim();
                let line: String = line.chars().take(200).collect();
                if line.is_empty() {
                    format!("Run tool `{}`", T::NAME)
                } else {
                    format!("Run tool `{}`: {line}", T::NAME)
                }
            }
        }
    }
}

impl<T: Tool> Tool for Gated<T>
where
    T::Args: Serialize + DeserializeOwned,
{
    const NAME: &'static str = T::NAME;
    type Args = T::Args;
    type Output = ToolOutput;
    type Error = ToolExecutionError;

    fn description(&self) -> String {
        self.inner.description()
    }

    fn parameters(&self) -> Value {
        self.inner.parameters()
    }

    async fn call(
        &self,
        context: &mut ToolContext,
        args: Self::Args,
    ) -> Result<ToolOutput, ToolExecutionError> {
        if let Some(when) = &self.when
            && !when(&args)
        {
            crate::__private::not_gated(&self.action, "Gated::when");
            return self.run(context, args, &[]).await;
        }
        match self.approve(args).await {
            Ok((args, changes)) => self.run(context, args, &changes).await,
            Err(error) => self.refuse(error),
        }
    }
}

impl<T: Tool> Gated<T> {
    /// Runs the inner tool; when the reviewer changed arguments (and reporting is on), the
    /// result starts with a line saying what they changed.
    async fn run(
        &self,
        context: &mut ToolContext,
        args: T::Args,
        changes: &[Change],
    ) -> Result<ToolOutput, ToolExecutionError> {
        let output = self
            .inner
            .call(context, args)
            .await
            .map_err(|error| self.inner.map_error(error))?
            .into_tool_output()?;
        if !self.report_edits {
            return Ok(output);
        }
        let Some(report) = self.words().ran_with_edit(changes) else {
            return Ok(output);
        };
        let report = ToolResultContent::text(format!("{report}\n"));
        ToolOutput::content(
            std::iter::once(report)
                .chain(output.into_content())
                .collect(),
        )
    }

    /// What a call that was not approved returns: a readable result for a rejection in
    /// [`RejectAs::ToolResult`] mode, else an error whose model-visible text says why. The words
    /// are [`crate::policy::words`]'s, the same at every door.
    fn refuse(&self, error: Error) -> Result<ToolOutput, ToolExecutionError> {
        let text = self.words().not_run(&error);
        if error.is_rejected() {
            return match self.on_reject {
                RejectAs::ToolResult => Ok(ToolOutput::text(text)),
                RejectAs::Error => Err(ToolExecutionError::refused(text).with_source(error)),
            };
        }
        let failure = match &error {
            Error::Timeout { .. } => ToolExecutionError::timeout(error.to_string()),
            Error::Transport { .. } => ToolExecutionError::network(error.to_string()),
            Error::Api { status, .. } => {
                ToolExecutionError::provider(error.to_string()).with_http_status(*status)
            }
            _ => ToolExecutionError::other(error.to_string()),
        };
        // Asking again would put a second request before a reviewer.
        Err(failure
            .with_model_feedback(text)
            .with_retryable(false)
            .with_source(error))
    }

    fn words(&self) -> Words<'static> {
        Words::new(T::NAME).reattaching(false)
    }
}

/// The details for `args`: a JSON object as it is, any other value under [`ARGS_KEY`]; and
/// whether it was wrapped so.
fn to_details(args: &impl Serialize) -> Result<(Value, bool), Error> {
    let value = serde_json::to_value(args).map_err(|e| Error::Serialize {
        parameter: ARGS_KEY.into(),
        message: e.to_string(),
    })?;
    Ok(match value {
        Value::Object(_) => (value, false),
        other => (
            Value::Object(Map::from_iter([(ARGS_KEY.to_owned(), other)])),
            true,
        ),
    })
}

/// Reads the reviewer's edit back into the arguments; `Err` says why it does not fit: a value
/// of the wrong type, a key the arguments have no place for (or, for wrapped arguments, any key
/// but `args`), a field their type would fill in by itself.
fn from_details<A: Serialize + DeserializeOwned>(edit: &Value, wrapped: bool) -> Result<A, String> {
    let value = if wrapped {
        let unknown = edit
            .as_object()
            .into_iter()
            .flatten()
            .find(|(key, value)| *key != ARGS_KEY && !value.is_null());
        if let Some((key, _)) = unknown {
            return Err(format!("the arguments have no `{key}`"));
        }
        edit.get(ARGS_KEY).unwrap_or(&Value::Null)
    } else {
        edit
    };
    let args = A::deserialize(value)
        .map_err(|e| format!("the edit does not fit the tool's arguments: {e}"))?;
    let runs = serde_json::to_value(&args).map_err(|e| e.to_string())?;
    let name = if wrapped { ARGS_KEY } else { "arguments" };
    crate::gate::edit::check_round_trip(name, value, &runs)?;
    Ok(args)
}

/// The top-level keys whose values differ between what was sent and what was approved.
fn changes(sent: &Value, approved: &Value) -> Vec<Change> {
    match (sent.as_object(), approved.as_object()) {
        (Some(sent), Some(approved)) => crate::policy::edits::changes(sent, approved),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Args {
        n: u32,
    }

    #[test]
    fn objects_travel_as_they_are_and_other_values_under_args() {
        assert_eq!(
            to_details(&Args { n: 1 }).unwrap(),
            (json!({"n": 1}), false)
        );
        assert_eq!(to_details(&"hi").unwrap(), (json!({"args": "hi"}), true));
        assert_eq!(
            to_details(&[1, 2]).unwrap(),
            (json!({"args": [1, 2]}), true)
        );
        assert_eq!(to_details(&()).unwrap(), (json!({"args": null}), true));
    }

    #[test]
    fn approved_details_are_read_back_or_refused() {
        assert_eq!(
            from_details::<Args>(&json!({"n": 2}), false),
            Ok(Args { n: 2 })
        );
        assert!(from_details::<Args>(&json!({"n": "two"}), false).is_err());
        assert_eq!(
            from_details::<String>(&json!({"args": "x"}), true),
            Ok("x".to_owned())
        );
        assert!(from_details::<String>(&json!({"other": "x"}), true).is_err());
    }
}
