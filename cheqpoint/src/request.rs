//! What an agent asks a reviewer to approve, and how it is written on the wire.

use std::{borrow::Cow, time::Duration};

use serde::Serialize;
use serde_json::{Map, Value, value::RawValue};

use crate::{Error, RequestWatch, Trace};

/// An action put before a reviewer: what, a summary, the editable details and how risky it is.
///
/// ```
/// use cheqpoint::ApprovalRequest;
/// use serde_json::json;
///
/// let request = ApprovalRequest::new("process_refund", "Refund 120.00 on order 8842")
///     .details(json!({"order_id": "8842", "amount_cents": 12000}))
///     .risk(0.8)
///     .justification("The customer was charged twice.");
/// assert_eq!(request.action(), "process_refund");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRequest {
    pub(crate) action: String,
    pub(crate) summary: String,
    pub(crate) details: Value,
    pub(crate) risk_score: Option<f64>,
    pub(crate) risk_level: Option<RiskLevel>,
    pub(crate) justification: Option<String>,
    pub(crate) callback_url: Option<String>,
    pub(crate) trace: Option<Trace>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) priority: Option<Priority>,
    pub(crate) agent_name: Option<String>,
    pub(crate) metadata: Option<Value>,
    pub(crate) key: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) watch: Option<RequestWatch>,
}

/// The coarse risk the short-wait endpoint takes (`riskLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskLevel {
    /// Score 0.2 in the service's terms.
    Low,
    /// Score 0.5; the service's default.
    Medium,
    /// Score 0.9.
    High,
}

impl RiskLevel {
    /// The level a score falls in: below 0.4 low, below 0.7 medium, else high.
    pub fn from_score(score: f64) -> RiskLevel {
        if score < 0.4 {
            RiskLevel::Low
        } else if score < 0.7 {
            RiskLevel::Medium
        } else {
            RiskLevel::High
        }
    }
}

/// How soon a reviewer should look (`priority`, short-wait endpoint only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Whenever.
    Low,
    /// The service's default.
    Normal,
    /// Now.
    Urgent,
}

impl ApprovalRequest {
    /// A request for `action` (e.g. `send_email`) with a one-sentence `summary` and empty details.
    pub fn new(action: impl Into<String>, summary: impl Into<String>) -> Self {
        ApprovalRequest {
            action: action.into(),
            summary: summary.into(),
            details: Value::Object(Map::new()),
            risk_score: None,
            risk_level: None,
            justification: None,
            callback_url: None,
            trace: None,
            timeout: None,
            priority: None,
            agent_name: None,
            metadata: None,
            key: None,
            scope: None,
            watch: None,
        }
    }

    /// The structured payload a reviewer sees and may edit; must be a JSON object.
    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// Serializes `details` from any `Serialize` value that becomes a JSON object.
    pub fn details_from(self, details: &impl Serialize) -> Result<Self, Error> {
        let value = serde_json::to_value(details).map_err(|e| Error::Serialize {
            parameter: "details".into(),
            message: e.to_string(),
        })?;
        Ok(self.details(value))
    }

    /// The risk score, 0.0 (harmless) to 1.0 (dangerous); sent as `riskScore`. Checked when sent.
    pub fn risk(mut self, score: f64) -> Self {
        self.risk_score = Some(score);
        self
    }

    /// The coarse risk level; when unset the short-wait endpoint gets the level of the score.
    pub fn risk_level(mut self, level: RiskLevel) -> Self {
        self.risk_level = Some(level);
        self
    }

    /// The agent's reasoning, shown to the reviewer.
    pub fn justification(mut self, text: impl Into<String>) -> Self {
        self.justification = Some(text.into());
        self
    }

    /// Where the service POSTs the decision (`webhookUrl` on create, `callbackUrl` on the
    /// short-wait endpoint).
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// The steps that led the agent here.
    pub fn trace(mut self, trace: Trace) -> Self {
        self.trace = Some(trace);
        self
    }

    /// How long [`Client::checkpoint`](crate::Client::checkpoint) waits for this request, in
    /// place of the client's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The priority (short-wait endpoint only).
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Overrides the agent name the key stands for (short-wait endpoint only).
    pub fn agent_name(mut self, name: impl Into<String>) -> Self {
        self.agent_name = Some(name.into());
        self
    }

    /// Free-form metadata (short-wait endpoint only).
    pub fn metadata(mut self, metadata: Value) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// The identity of one logical operation (e.g. `refund-8842`): with a
    /// [`Journal`](crate::Journal), calls with one key make at most one request and run at most
    /// once (see the table there); without one, the key only sets the create's
    /// `Idempotency-Key`, the same for every call with the key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Where a call without a [`key`](ApprovalRequest::key) is the same call: within `scope`
    /// (an agent's session, say), a call is its action and its details; the same action and
    /// details in another scope are another call. With a [`Journal`](crate::Journal), the same
    /// call made while its request is pending re-attaches to it, and once it has ended (run,
    /// rejected, its edit refused) is asked anew: one run per approval.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Tells `watch` the id of the request this call asks with, or re-attaches to, as soon as
    /// it is known: what a door shows while the call waits.
    pub fn watch(mut self, watch: &RequestWatch) -> Self {
        self.watch = Some(watch.clone());
        self
    }

    /// The `Idempotency-Key` the create carries without a journal: one made from the key.
    pub(crate) fn idempotency_header(&self) -> Option<String> {
        self.key.as_deref().map(crate::identity::idempotency_key)
    }

    /// The action name.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The summary.
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// The details as they will be sent.
    pub fn details_value(&self) -> &Value {
        &self.details
    }

    /// Checks what the protocol requires before anything is sent.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if let Some(score) = self.risk_score
            && !(0.0..=1.0).contains(&score)
        {
            return Err(Error::InvalidRisk { value: score });
        }
        if !self.details.is_object() {
            return Err(Error::Serialize {
                parameter: "details".into(),
                message: "details must be a JSON object".into(),
            });
        }
        Ok(())
    }

    /// The body of `POST /api/approvals/request`.
    /// `default_callback` is the client's callback URL, used when the request names none;
    /// `earlier`, what became of the same call asked before, is added to the justification.
    /// `text`, when given, is sent as the details in place of the request's own (the same
    /// details, held as their JSON text).
    pub(crate) fn create_body<'a>(
        &'a self,
        default_callback: Option<&'a str>,
        earlier: Option<&str>,
        text: Option<&'a RawValue>,
    ) -> CreateBody<'a> {
        let justification = match (self.justification.as_deref(), earlier) {
            (Some(text), Some(earlier)) => Some(Cow::Owned(format!("{text}\n\n{earlier}"))),
            (None, Some(earlier)) => Some(Cow::Owned(earlier.to_owned())),
            (text, None) => text.map(Cow::Borrowed),
        };
        CreateBody {
            action: &self.action,
            summary: &self.summary,
            details: text.map_or(DetailsOut::Tree(&self.details), DetailsOut::Text),
            risk_score: self.risk_score,
            risk_level: self.risk_level,
            justification,
            webhook_url: self.callback_url.as_deref().or(default_callback),
            trace: self.trace.as_ref(),
        }
    }

    /// The body of `POST /api/webhooks/inbound`.
    pub(crate) fn inbound_body<'a>(
        &'a self,
        max_wait: Option<Duration>,
        default_callback: Option<&'a str>,
    ) -> InboundBody<'a> {
        InboundBody {
            action: &self.action,
            summary: &self.summary,
            details: &self.details,
            risk_score: self.risk_score,
            risk_level: self
                .risk_level
                .or(self.risk_score.map(RiskLevel::from_score)),
            justification: self.justification.as_deref(),
            priority: self.priority,
            agent_name: self.agent_name.as_deref(),
            metadata: self.metadata.as_ref(),
            max_wait_ms: max_wait.map(|wait| wait.as_millis().min(u128::from(u64::MAX)) as u64),
            callback_url: self.callback_url.as_deref().or(default_callback),
        }
    }
}

/// `POST /api/approvals/request`. `riskScore` is always present (`null` when unset), as the
/// official client sends it; the key travels in the header only.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateBody<'a> {
    action: &'a str,
    summary: &'a str,
    details: DetailsOut<'a>,
    risk_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk_level: Option<RiskLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<&'a Trace>,
}

/// The details on the wire: the request's tree, or the same details held as their JSON text.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum DetailsOut<'a> {
    Tree(&'a Value),
    Text(&'a RawValue),
}

/// `POST /api/webhooks/inbound`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InboundBody<'a> {
    action: &'a str,
    summary: &'a str,
    details: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk_level: Option<RiskLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<Priority>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_wait_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    callback_url: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_body_always_carries_risk_score() {
        let request = ApprovalRequest::new("a", "s");
        let body = serde_json::to_value(request.create_body(None, None, None)).unwrap();
        assert_eq!(
            body,
            json!({"action": "a", "summary": "s", "details": {}, "riskScore": null})
        );
    }

    #[test]
    fn the_clients_callback_url_applies_unless_the_request_names_its_own() {
        let request = ApprovalRequest::new("a", "s");
        let body = serde_json::to_value(request.create_body(Some("http://client/cb"), None, None))
            .unwrap();
        assert_eq!(body["webhookUrl"], "http://client/cb");
        let request = request.callback_url("http://own/cb");
        let body = serde_json::to_value(request.create_body(Some("http://client/cb"), None, None))
            .unwrap();
        assert_eq!(body["webhookUrl"], "http://own/cb");
    }

    #[test]
    fn details_held_as_text_go_out_as_the_tree_would() {
        let details = json!({"b": [1, 2.5, "x"], "a": {"n": null}, "c": 12000});
        let text = serde_json::value::to_raw_value(&details).unwrap();
        let tree = ApprovalRequest::new("a", "s").details(details);
        let empty = ApprovalRequest::new("a", "s");
        assert_eq!(
            serde_json::to_string(&tree.create_body(None, None, None)).unwrap(),
            serde_json::to_string(&empty.create_body(None, None, Some(&text))).unwrap()
        );
    }

    #[test]
    fn inbound_body_derives_the_level_from_the_score() {
        let request = ApprovalRequest::new("a", "s")
            .risk(0.8)
            .callback_url("http://x/cb");
        let body = serde_json::to_value(
            request.inbound_body(Some(Duration::from_secs(3)), Some("http://client/default")),
        )
        .unwrap();
        assert_eq!(body["riskLevel"], "high");
        assert_eq!(body["maxWaitMs"], 3000);
        assert_eq!(body["callbackUrl"], "http://x/cb");
    }

    #[test]
    fn refuses_a_score_out_of_range_and_details_that_are_not_an_object() {
        for score in [-0.1, 1.01, f64::NAN] {
            let request = ApprovalRequest::new("a", "s").risk(score);
            assert!(matches!(request.validate(), Err(Error::InvalidRisk { .. })));
        }
        let request = ApprovalRequest::new("a", "s").details(json!([1, 2]));
        assert!(matches!(request.validate(), Err(Error::Serialize { .. })));
    }
}
