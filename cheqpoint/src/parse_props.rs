//! Property tests of every parser that reads what a server or a callback sender wrote: arbitrary
//! bytes and arbitrary JSON-ish values (objects with the protocol's field names holding values of
//! every type) never make one panic, and nothing but a well-formed approval reads as one.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::{Approval, Callback, CallbackError, Created, Decision, Status, sign_callback};

/// Cases per property: bytes and values are cheap to parse, so many.
const CASES: u32 = 2_000;

/// The id the record parsers are asked for.
const ID: &str = "req_1";

/// Every field name the parsers read, and some they do not.
const FIELDS: &[&str] = &[
    "id",
    "approvalId",
    "status",
    "details",
    "modifiedDetails",
    "decisionNote",
    "responseNotes",
    "decisionReasonCode",
    "autoDecided",
    "autoDecisionRuleName",
    "decidedAt",
    "retryable",
    "reviewUrl",
    "error",
];

/// Statuses known, unknown and near misses, in several letter cases.
const STATUSES: &[&str] = &[
    "APPROVED",
    "approved",
    "Approved",
    "REJECTED",
    "rejected",
    "PENDING",
    "pending",
    "EXPIRED",
    "cancelled",
    "",
    " approved",
    "approved ",
    "APPROVE",
    "a\u{0}pproved",
    "ＡＰＰＲＯＶＥＤ",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        proptest::sample::select(STATUSES).prop_map(|s| json!(s)),
        Just(json!(ID)),
        text(12).prop_map(Value::String),
    ]
}

/// Any text of up to `max` characters (faster to make than from a pattern).
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..=max).prop_map(String::from_iter)
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(FIELDS).prop_map(str::to_owned),
        1 => text(10),
    ]
}

/// Any JSON value, nested up to four deep, whose object keys are mostly the protocol's.
fn json_ish() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(key(), inner, 0..8).prop_map(object),
        ]
    })
}

/// An object with some of the protocol's fields, each holding any value: what a confused or
/// hostile server might send in place of a record.
fn record_ish() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(key(), json_ish(), 0..10).prop_map(object)
}

fn object(fields: BTreeMap<String, Value>) -> Value {
    Value::Object(fields.into_iter().collect::<Map<_, _>>())
}

fn bytes_of(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("a Value always serializes")
}

/// The status written in `value`, read as the parsers must: case-insensitively, only the three.
fn written_status(value: &Value) -> Option<Status> {
    value.get("status")?.as_str().and_then(Status::parse)
}

fn is_object_or_absent(value: Option<&Value>) -> bool {
    value.is_none_or(|value| value.is_object() || value.is_null())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn no_parser_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Approval::from_body(&bytes, ID);
        let _ = Decision::from_body(&bytes);
        let _ = Created::from_body(&bytes);
        let _ = Callback::parse(&bytes);
        let _ = Callback::verify(&bytes, Some("00"), &["secret"]);
        let _ = crate::transport::retry::parse_retry_after(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn a_record_reads_as_a_decision_only_when_it_is_one(value in record_ish()) {
        let body = bytes_of(&value);
        if let Ok(approval) = Approval::from_body(&body, ID) {
            prop_assert_eq!(approval.id.as_str(), ID);
            prop_assert_eq!(Some(approval.status), written_status(&value));
            prop_assert!(is_object_or_absent(value.get("modifiedDetails")));
            prop_assert!(is_object_or_absent(value.get("details")));
            prop_assert!(approval.modified_details.as_ref().is_none_or(Value::is_object));
        }
    }

    #[test]
    fn any_json_value_is_read_without_panic(value in json_ish()) {
        let body = bytes_of(&value);
        let approval = Approval::from_body(&body, ID);
        prop_assert!(approval.is_err() || value.is_object());
        let _ = Decision::from_body(&body);
        let _ = Created::from_body(&body);
        let _ = Callback::parse(&body);
    }

    #[test]
    fn a_short_wait_answer_reads_only_with_an_id_and_a_known_status(value in record_ish()) {
        if let Ok(decision) = Decision::from_body(&bytes_of(&value)) {
            prop_assert_eq!(Some(decision.status), written_status(&value));
            prop_assert!(!decision.approval_id.is_empty());
            prop_assert!(decision.modified_details.as_ref().is_none_or(Value::is_object));
        }
    }

    #[test]
    fn a_create_answer_reads_only_with_an_id(value in record_ish()) {
        if let Ok(created) = Created::from_body(&bytes_of(&value)) {
            prop_assert!(!created.id.is_empty());
            prop_assert_eq!(value.get("id").and_then(Value::as_str), Some(created.id.as_str()));
        }
    }

    #[test]
    fn a_callback_reads_only_with_an_id_and_a_known_status(value in record_ish()) {
        match Callback::parse(&bytes_of(&value)) {
            Ok(callback) => {
                prop_assert!(!callback.approval_id.is_empty());
                prop_assert_eq!(Some(callback.status), written_status(&value));
                prop_assert!(callback.modified_details.as_ref().is_none_or(Value::is_object));
            }
            Err(CallbackError::UnknownStatus(raw)) => prop_assert!(Status::parse(&raw).is_none()),
            Err(_) => {}
        }
    }

    #[test]
    fn only_the_right_signature_verifies(
        value in record_ish(),
        signature in prop_oneof![
            Just(None),
            text(70).prop_map(Some),
            "(sha256=)?[0-9a-fA-F]{64}".prop_map(Some),
        ],
        secrets in proptest::collection::vec(text(16), 0..3),
    ) {
        let body = bytes_of(&value);
        let verified = Callback::verify(&body, signature.as_deref(), &secrets);
        if !matches!(verified, Err(CallbackError::MissingSignature | CallbackError::MalformedSignature | CallbackError::NoSecret)) {
            let given = signature.unwrap_or_default();
            let given = given.trim();
            let given = given.strip_prefix("sha256=").unwrap_or(given).to_ascii_lowercase();
            let right = secrets.iter().any(|secret| sign_callback(&body, secret) == given);
            prop_assert_eq!(right, !matches!(verified, Err(CallbackError::SignatureMismatch)));
        }
    }

    #[test]
    fn a_signed_body_changed_by_one_byte_is_refused(
        value in record_ish(),
        secret in text(16),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let mut body = bytes_of(&value);
        let signature = sign_callback(&body, &secret);
        prop_assert!(verify_ok(&body, &signature, &secret));
        let at = at.index(body.len());
        body[at] ^= flip;
        prop_assert!(!verify_ok(&body, &signature, &secret));
    }

    #[test]
    fn only_three_statuses_parse(raw in prop_oneof![text(12), proptest::sample::select(STATUSES).prop_map(str::to_owned)]) {
        if let Some(status) = Status::parse(&raw) {
            prop_assert!(status.as_str().eq_ignore_ascii_case(&raw));
        }
    }
}

fn verify_ok(body: &[u8], signature: &str, secret: &str) -> bool {
    crate::verify_signature(body, signature, &[secret]).is_ok()
}
