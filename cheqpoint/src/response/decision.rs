//! The answer of the short-wait endpoint (`POST /api/webhooks/inbound`): a decision or "pending".

use serde::Deserialize;
use serde_json::Value;

use crate::{Approval, Error, Status, error::invalid_response, response::fields};

/// Where a request stood when [`Client::request_sync`](crate::Client::request_sync) or
/// [`Client::request_async`](crate::Client::request_async) returned. Pending is a value here, not
/// an error: act only when [`Decision::is_approved`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Decision {
    /// Approved, rejected, or still pending.
    pub status: Status,
    /// The request id (`approvalId`, or `id`).
    pub approval_id: String,
    /// The reviewer's edited details, when they edited and approved; never on a rejection or
    /// while pending.
    pub modified_details: Option<Value>,
    /// The reviewer's note.
    pub note: Option<String>,
    /// Where a person can review it, while pending.
    pub review_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DecisionWire {
    status: Option<String>,
    approval_id: Option<String>,
    id: Option<String>,
    modified_details: Option<Value>,
    decision_note: Option<String>,
    review_url: Option<String>,
}

impl Decision {
    /// True only for an approval.
    pub fn is_approved(&self) -> bool {
        self.status == Status::Approved
    }

    /// Reads the endpoint's answer; a missing id or status, or an unknown status, is an error.
    pub(crate) fn from_body(body: &[u8]) -> Result<Decision, Error> {
        let wire: DecisionWire = serde_json::from_slice(body)
            .map_err(|e| invalid_response(format!("not a decision: {e}"), body))?;
        let approval_id = fields::decision_id(wire.approval_id, wire.id)
            .ok_or_else(|| invalid_response("the answer has no `approvalId`".into(), body))?;
        let raw_status = wire.status.ok_or_else(|| {
            invalid_response("the answer has no `status`".into(), body)
                .with_approval_id(&approval_id)
        })?;
        let status = fields::status(raw_status, &approval_id)?;
        let modified_details = fields::optional_object(wire.modified_details, "modifiedDetails")
            .map_err(|reason| invalid_response(reason, body).with_approval_id(&approval_id))?;
        Ok(Decision {
            modified_details: modified_details.filter(|_| status == Status::Approved),
            status,
            approval_id,
            note: wire.decision_note,
            review_url: wire.review_url,
        })
    }

    /// The decision a record read later stands for; the review URL seen first is kept.
    pub(crate) fn from_record(approval: Approval, review_url: Option<String>) -> Decision {
        Decision {
            modified_details: approval
                .modified_details
                .filter(|_| approval.status == Status::Approved),
            status: approval.status,
            approval_id: approval.id,
            note: approval.note,
            review_url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<Decision, Error> {
        Decision::from_body(value.to_string().as_bytes())
    }

    #[test]
    fn reads_lower_case_and_the_id_variants() {
        let decision =
            parse(json!({"status": "pending", "approvalId": "req_1", "reviewUrl": "http://r"}))
                .unwrap();
        assert_eq!(decision.status, Status::Pending);
        assert_eq!(decision.review_url.as_deref(), Some("http://r"));
        let decision =
            parse(json!({"status": "APPROVED", "id": "req_2", "modifiedDetails": {"x": 1}}))
                .unwrap();
        assert!(decision.is_approved());
        assert_eq!(decision.approval_id, "req_2");
    }

    #[test]
    fn carries_an_edit_only_with_an_approval() {
        for status in ["rejected", "pending", "REJECTED"] {
            let decision =
                parse(json!({"status": status, "approvalId": "r", "modifiedDetails": {"x": 1}}))
                    .unwrap();
            assert_eq!(decision.modified_details, None, "{status}");
        }
        let record = Approval::from_body(
            br#"{"id":"r","status":"REJECTED","modifiedDetails":{"x":1}}"#,
            "r",
        )
        .unwrap();
        assert_eq!(Decision::from_record(record, None).modified_details, None);
    }

    #[test]
    fn refuses_unknown_status_and_missing_fields() {
        assert!(matches!(
            parse(json!({"status": "expired", "approvalId": "r"})),
            Err(Error::UnknownStatus { .. })
        ));
        assert!(matches!(
            parse(json!({"status": "approved"})),
            Err(Error::InvalidResponse { .. })
        ));
        assert!(matches!(
            parse(json!({"approvalId": "r"})),
            Err(Error::InvalidResponse { .. })
        ));
        assert!(matches!(
            parse(json!({"status": "approved", "approvalId": "r", "modifiedDetails": [1]})),
            Err(Error::InvalidResponse { .. })
        ));
    }
}
