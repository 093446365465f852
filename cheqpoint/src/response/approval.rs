//! The server's record of a request (`GET /api/approvals/{id}`) and what an approval hands on.

use serde::Deserialize;
use serde_json::Value;

use crate::{Error, Status, error::invalid_response, response::fields};

/// A request as the service holds it: every field of `GET /api/approvals/{id}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Approval {
    /// The request id, e.g. `req_abc123`.
    pub id: String,
    /// Where it stands.
    pub status: Status,
    /// The details as the agent sent them, when the server reports them.
    pub details: Option<Value>,
    /// The reviewer's edited details, when they edited before approving.
    pub modified_details: Option<Value>,
    /// The reviewer's note (`decisionNote`, else the older `responseNotes`).
    pub note: Option<String>,
    /// A machine-readable reason for the decision.
    pub reason_code: Option<String>,
    /// True when a workspace rule decided, not a person.
    pub auto_decided: bool,
    /// The rule that decided.
    pub rule_name: Option<String>,
    /// When it was decided, as the server wrote it (RFC 3339).
    pub decided_at: Option<String>,
    /// True when the system (not a person) rejected it: it may be asked again.
    pub retryable: bool,
}

/// `GET /api/approvals/{id}` as it may arrive: only `id` and `status` are required.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApprovalWire {
    id: Option<String>,
    status: Option<String>,
    details: Option<Value>,
    modified_details: Option<Value>,
    response_notes: Option<String>,
    decision_note: Option<String>,
    decision_reason_code: Option<String>,
    auto_decided: Option<bool>,
    auto_decision_rule_name: Option<String>,
    decided_at: Option<String>,
    retryable: Option<bool>,
}

impl Approval {
    /// Reads a record from a response body. A missing `id` or `status`, an unknown status or
    /// `modifiedDetails` that is not an object is an error: nothing unreadable passes for a decision.
    pub(crate) fn from_body(body: &[u8], requested_id: &str) -> Result<Approval, Error> {
        let wire: ApprovalWire = serde_json::from_slice(body)
            .map_err(|e| invalid_response(format!("not an approval record: {e}"), body))?;
        let fail =
            |reason: &str| invalid_response(reason.to_owned(), body).with_approval_id(requested_id);
        let id = wire.id.ok_or_else(|| fail("the record has no `id`"))?;
        if id != requested_id {
            return Err(fail("the record is for another id"));
        }
        let raw_status = wire
            .status
            .ok_or_else(|| fail("the record has no `status`"))?;
        let status = fields::status(raw_status, &id)?;
        let details = fields::optional_object(wire.details, "details").map_err(|e| fail(&e))?;
        let modified_details = fields::optional_object(wire.modified_details, "modifiedDetails")
            .map_err(|e| fail(&e))?;
        Ok(Approval {
            id,
            status,
            details,
            modified_details,
            note: wire.decision_note.or(wire.response_notes),
            reason_code: wire.decision_reason_code,
            auto_decided: wire.auto_decided.unwrap_or(false),
            rule_name: wire.auto_decision_rule_name,
            decided_at: wire.decided_at,
            retryable: wire.retryable.unwrap_or(false),
        })
    }

    /// The error a rejected record stands for.
    pub(crate) fn rejection(self) -> Error {
        Error::Rejected {
            approval_id: self.id,
            note: self.note,
            reason_code: self.reason_code,
            auto_decided: self.auto_decided,
            rule_name: self.rule_name,
            retryable: self.retryable,
        }
    }
}

/// What an approval hands on: the request as approved, with the reviewer's edits.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Approved {
    /// The request id.
    pub approval_id: String,
    /// The details the server holds (or, when it did not report them, those that were sent).
    pub details: Value,
    /// The reviewer's edited details, when they edited.
    pub modified_details: Option<Value>,
    /// The reviewer's note.
    pub note: Option<String>,
    /// True when a workspace rule approved, not a person.
    pub auto_decided: bool,
    /// The rule that approved.
    pub rule_name: Option<String>,
    /// When it was approved (RFC 3339).
    pub decided_at: Option<String>,
}

impl Approved {
    /// Builds the approval from an approved record; `sent` stands in for missing `details`.
    pub(crate) fn from_record(approval: Approval, sent: Option<&Value>) -> Approved {
        Approved {
            details: approval
                .details
                .or_else(|| sent.cloned())
                .unwrap_or_else(|| Value::Object(Default::default())),
            approval_id: approval.id,
            modified_details: approval.modified_details,
            note: approval.note,
            auto_decided: approval.auto_decided,
            rule_name: approval.rule_name,
            decided_at: approval.decided_at,
        }
    }

    /// The details to act on: the reviewer's edit when there is one (a whole replacement, as the
    /// service defines it), else the details.
    pub fn effective_details(&self) -> &Value {
        self.modified_details.as_ref().unwrap_or(&self.details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<Approval, Error> {
        Approval::from_body(value.to_string().as_bytes(), "req_1")
    }

    #[test]
    fn reads_every_field() {
        let approval = parse(json!({
            "id": "req_1", "status": "REJECTED", "details": {"a": 1}, "modifiedDetails": null,
            "responseNotes": "old", "decisionNote": "no", "decisionReasonCode": "policy",
            "autoDecided": true, "autoDecisionRuleName": "r", "decidedAt": "2026-01-01T00:00:00Z",
            "retryable": true
        }))
        .unwrap();
        assert_eq!(approval.status, Status::Rejected);
        assert_eq!(approval.note.as_deref(), Some("no"));
        assert_eq!(approval.reason_code.as_deref(), Some("policy"));
        assert!(approval.auto_decided && approval.retryable);
        assert_eq!(approval.rule_name.as_deref(), Some("r"));
        assert_eq!(approval.modified_details, None);
    }

    #[test]
    fn falls_back_to_response_notes_and_defaults() {
        let approval =
            parse(json!({"id": "req_1", "status": "approved", "responseNotes": "ok"})).unwrap();
        assert_eq!(approval.note.as_deref(), Some("ok"));
        assert!(!approval.auto_decided && !approval.retryable);
        assert_eq!(approval.details, None);
    }

    #[test]
    fn refuses_what_cannot_be_a_decision() {
        assert!(matches!(
            parse(json!({"status": "APPROVED"})),
            Err(Error::InvalidResponse { .. })
        ));
        assert!(matches!(
            parse(json!({"id": "req_1"})),
            Err(Error::InvalidResponse { .. })
        ));
        assert!(matches!(
            parse(json!({"id": "req_2", "status": "APPROVED"})),
            Err(Error::InvalidResponse { .. })
        ));
        assert!(matches!(
            parse(json!({"id": "req_1", "status": "EXPIRED"})),
            Err(Error::UnknownStatus { status, .. }) if status == "EXPIRED"
        ));
        for bad in [json!([1]), json!("x"), json!(3)] {
            let body = json!({"id": "req_1", "status": "APPROVED", "modifiedDetails": bad});
            assert!(matches!(parse(body), Err(Error::InvalidResponse { .. })));
        }
        assert!(Approval::from_body(b"<html>", "req_1").is_err());
        assert!(Approval::from_body(b"", "req_1").is_err());
    }

    #[test]
    fn effective_details_prefer_the_edit() {
        let approval = parse(json!({"id": "req_1", "status": "APPROVED", "details": {"a": 1}, "modifiedDetails": {"a": 2}})).unwrap();
        let approved = Approved::from_record(approval, None);
        assert_eq!(approved.effective_details(), &json!({"a": 2}));
        let approval = parse(json!({"id": "req_1", "status": "APPROVED"})).unwrap();
        let approved = Approved::from_record(approval, Some(&json!({"sent": true})));
        assert_eq!(approved.effective_details(), &json!({"sent": true}));
    }
}
