//! One approval request as the emulator keeps it, how a decision changes it, the delivery of
//! that decision to a callback URL, and how it is written on the wire (the camelCase fields of
//! `GET /api/approvals/{id}`, docs/protocol.md §2).

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use serde::{Serialize, Serializer};
use serde_json::{Value, json};

/// Where a request stands. Written `"PENDING"` by `GET /api/approvals/{id}` and `"pending"` by
/// `/api/webhooks/inbound` and callbacks; [`Display`](fmt::Display) gives the lower-case form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Waiting for a reviewer.
    Pending,
    /// Approved by a reviewer or a rule.
    Approved,
    /// Rejected by a reviewer, a rule or expiry.
    Rejected,
}

impl Status {
    /// `"pending"`, `"approved"` or `"rejected"`.
    pub fn lower(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    /// `"PENDING"`, `"APPROVED"` or `"REJECTED"`.
    pub fn upper(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Approved => "APPROVED",
            Status::Rejected => "REJECTED",
        }
    }

    /// True once approved or rejected.
    pub fn is_decided(self) -> bool {
        self != Status::Pending
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.lower())
    }
}

impl FromStr for Status {
    type Err = String;

    /// Reads a status in any letter case.
    fn from_str(text: &str) -> Result<Self, String> {
        [Status::Pending, Status::Approved, Status::Rejected]
            .into_iter()
            .find(|status| status.lower().eq_ignore_ascii_case(text))
            .ok_or_else(|| format!("unknown status {text:?}: use pending, approved or rejected"))
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.upper())
    }
}

/// The route that created a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    /// `POST /api/approvals/request` (the blocking pattern).
    Request,
    /// `POST /api/webhooks/inbound` (short wait or callback).
    Inbound,
}

/// An approval request and, once made, its decision.
///
/// Serializes as the camelCase record that `GET /api/approvals/{id}` and `GET /emulator/approvals`
/// answer: status in upper case, times in RFC 3339, `responseNotes` repeating `decisionNote`;
/// beyond the service's fields, `expiresAt` and `callbackDelivery` (`url`, `statusCode`, `error`,
/// `attempts`, `finishedAt`, or null before a delivery ended).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ApprovalRecord {
    /// `req_` followed by 20 random letters and digits.
    pub id: String,
    /// The route that created it.
    pub endpoint: Endpoint,
    /// What the agent wants to do, e.g. `process_refund`.
    pub action: String,
    /// One sentence for the reviewer.
    pub summary: String,
    /// The payload the agent sent (always a JSON object).
    pub details: Value,
    /// The risk score sent, 0.0–1.0.
    pub risk_score: Option<f64>,
    /// The risk level sent (`low`, `medium`, `high`); `medium` by default on the inbound route.
    pub risk_level: Option<String>,
    /// The agent's reasoning.
    pub justification: Option<String>,
    /// `low`, `normal` or `urgent`; `normal` by default on the inbound route.
    pub priority: Option<String>,
    /// The agent name sent with the request.
    pub agent_name: Option<String>,
    /// Free-form metadata sent with the request (a JSON object).
    pub metadata: Option<Value>,
    /// Where the decision is POSTed (`callbackUrl` or `webhookUrl`).
    pub callback_url: Option<String>,
    /// The agent trace sent with the request (a JSON object).
    pub trace: Option<Value>,
    /// Pending, approved or rejected.
    pub status: Status,
    /// The reviewer's edited payload (a JSON object), when they edited before approving.
    pub modified_details: Option<Value>,
    /// The reviewer's (or the system's) note.
    pub decision_note: Option<String>,
    /// A machine-readable reason, e.g. `expired`.
    pub decision_reason_code: Option<String>,
    /// Decided by a rule, not a person.
    pub auto_decided: bool,
    /// The rule that decided, e.g. `auto-approve below 0.3`.
    pub auto_decision_rule_name: Option<String>,
    /// Rejected by the system (expiry), so the same action may be submitted again.
    pub retryable: bool,
    /// When the request arrived.
    pub created_at: SystemTime,
    /// When it was decided.
    pub decided_at: Option<SystemTime>,
    /// When it is rejected if still pending; `None` when that is too far ahead to represent.
    pub expires_at: Option<SystemTime>,
    /// How the delivery of its decision to `callback_url` ended, once it has.
    pub callback_delivery: Option<CallbackDelivery>,
}

/// What an agent sends: the fields of a create body, already checked.
#[derive(Debug)]
pub(crate) struct NewRequest {
    pub endpoint: Endpoint,
    pub action: String,
    pub summary: String,
    pub details: Value,
    pub risk_score: Option<f64>,
    pub risk_level: Option<String>,
    pub justification: Option<String>,
    pub priority: Option<String>,
    pub agent_name: Option<String>,
    pub metadata: Option<Value>,
    pub callback_url: Option<String>,
    pub trace: Option<Value>,
}

/// A verdict on a pending request, from a person, a rule or expiry.
#[derive(Debug)]
pub(crate) struct Decision {
    pub status: Status,
    pub modified_details: Option<Value>,
    pub note: Option<String>,
    pub reason_code: Option<String>,
    /// The rule's name when a rule decided.
    pub rule_name: Option<String>,
    pub retryable: bool,
}

impl Decision {
    /// A decision with no rule, reason code or retry flag: what a person makes.
    pub(crate) fn new(
        status: Status,
        modified_details: Option<Value>,
        note: Option<String>,
    ) -> Self {
        Decision {
            status,
            modified_details,
            note,
            reason_code: None,
            rule_name: None,
            retryable: false,
        }
    }
}

impl ApprovalRecord {
    /// A fresh pending record for `request`.
    pub(crate) fn pending(
        id: String,
        request: NewRequest,
        created_at: SystemTime,
        expires_at: Option<SystemTime>,
    ) -> Self {
        ApprovalRecord {
            id,
            endpoint: request.endpoint,
            action: request.action,
            summary: request.summary,
            details: request.details,
            risk_score: request.risk_score,
            risk_level: request.risk_level,
            justification: request.justification,
            priority: request.priority,
            agent_name: request.agent_name,
            metadata: request.metadata,
            callback_url: request.callback_url,
            trace: request.trace,
            status: Status::Pending,
            modified_details: None,
            decision_note: None,
            decision_reason_code: None,
            auto_decided: false,
            auto_decision_rule_name: None,
            retryable: false,
            created_at,
            decided_at: None,
            expires_at,
            callback_delivery: None,
        }
    }

    /// Records `decision`; the caller has checked that the request is pending.
    pub(crate) fn apply(&mut self, decision: Decision, decided_at: SystemTime) {
        self.status = decision.status;
        self.modified_details = decision.modified_details;
        self.decision_note = decision.note;
        self.decision_reason_code = decision.reason_code;
        self.auto_decided = decision.rule_name.is_some();
        self.auto_decision_rule_name = decision.rule_name;
        self.retryable = decision.retryable;
        self.decided_at = Some(decided_at);
    }
}

/// The delivery of a decision to a callback URL, once its last attempt is over.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CallbackDelivery {
    /// The decided request.
    pub approval_id: String,
    /// Where the decision was POSTed.
    pub url: String,
    /// The JSON body sent: `approvalId`, `id`, `status` (lower case), `modifiedDetails`,
    /// `decisionNote`, `details`.
    pub body: String,
    /// The `x-cheqpoint-signature` header sent: the lower-case hex HMAC-SHA256 of `body` keyed by
    /// the webhook secret; `None` when no secret is set.
    pub signature: Option<String>,
    /// How the last attempt ended. `Ok(status)`: the receiver answered with this HTTP status (2xx
    /// or not; a redirect is not followed); `Err(message)`: no answer (connection refused, a TLS
    /// failure, a timeout, …).
    pub outcome: Result<u16, String>,
    /// How many attempts were made: 1, or up to 3 when the receiver did not answer, answered
    /// 5xx or 429.
    pub attempts: u32,
    /// When the last attempt ended.
    pub finished_at: SystemTime,
}

impl CallbackDelivery {
    /// The wire form of `GET /emulator/callbacks`: `approvalId`, `url`, `statusCode` (or null),
    /// `error` (or null), `attempts`, `signature` (or null), `body`, `finishedAt`.
    pub(crate) fn to_json(&self) -> Value {
        let mut summary = self.summary();
        summary["approvalId"] = json!(self.approval_id);
        summary["signature"] = json!(self.signature);
        summary["body"] = json!(self.body);
        summary
    }

    /// What a record shows of its delivery (`callbackDelivery`): `url`, `statusCode` (or null),
    /// `error` (or null), `attempts`, `finishedAt`.
    pub(crate) fn summary(&self) -> Value {
        let (status_code, error) = match &self.outcome {
            Ok(status) => (Some(*status), None),
            Err(error) => (None, Some(error)),
        };
        json!({
            "url": self.url,
            "statusCode": status_code,
            "error": error,
            "attempts": self.attempts,
            "finishedAt": rfc3339(self.finished_at),
        })
    }
}

/// An RFC 3339 time with milliseconds, as every timestamp on the wire is written.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

/// The wire form of a record.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireRecord<'a> {
    id: &'a str,
    status: Status,
    action: &'a str,
    summary: &'a str,
    details: &'a Value,
    modified_details: &'a Option<Value>,
    decision_note: &'a Option<String>,
    response_notes: &'a Option<String>,
    decision_reason_code: &'a Option<String>,
    auto_decided: bool,
    auto_decision_rule_name: &'a Option<String>,
    decided_at: Option<String>,
    retryable: bool,
    risk_score: Option<f64>,
    risk_level: &'a Option<String>,
    justification: &'a Option<String>,
    priority: &'a Option<String>,
    agent_name: &'a Option<String>,
    metadata: &'a Option<Value>,
    trace: &'a Option<Value>,
    callback_url: &'a Option<String>,
    created_at: String,
    expires_at: Option<String>,
    endpoint: Endpoint,
    callback_delivery: Option<Value>,
}

impl Serialize for ApprovalRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireRecord {
            id: &self.id,
            status: self.status,
            action: &self.action,
            summary: &self.summary,
            details: &self.details,
            modified_details: &self.modified_details,
            decision_note: &self.decision_note,
            response_notes: &self.decision_note,
            decision_reason_code: &self.decision_reason_code,
            auto_decided: self.auto_decided,
            auto_decision_rule_name: &self.auto_decision_rule_name,
            decided_at: self.decided_at.map(rfc3339),
            retryable: self.retryable,
            risk_score: self.risk_score,
            risk_level: &self.risk_level,
            justification: &self.justification,
            priority: &self.priority,
            agent_name: &self.agent_name,
            metadata: &self.metadata,
            trace: &self.trace,
            callback_url: &self.callback_url,
            created_at: rfc3339(self.created_at),
            expires_at: self.expires_at.map(rfc3339),
            endpoint: self.endpoint,
            callback_delivery: self
                .callback_delivery
                .as_ref()
                .map(CallbackDelivery::summary),
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::Status;

    #[test]
    fn status_reads_any_letter_case_and_writes_both() {
        assert_eq!("Approved".parse::<Status>(), Ok(Status::Approved));
        assert_eq!("PENDING".parse::<Status>(), Ok(Status::Pending));
        assert!("expired".parse::<Status>().is_err());
        assert_eq!(Status::Rejected.upper(), "REJECTED");
        assert_eq!(Status::Rejected.to_string(), "rejected");
    }
}
