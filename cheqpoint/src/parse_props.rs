//! Property tests of every parser that reads what a server or a callback sender wrote. Each
//! starts from valid bodies and mutates them near the protocol's boundary (a field of another
//! type, a field removed, a status one letter off, `details` that are not an object, bytes
//! flipped), then checks the parser against an oracle written here from PROTOCOL.md, both ways:
//! what the protocol allows reads, and nothing else does. Each property prints, and bounds, the
//! share of its cases that reached `Ok`, so none can pass by refusing everything.

use proptest::{
    prelude::*,
    test_runner::{Config, TestRunner},
};
use serde_json::{Map, Value, json};

use crate::{Approval, Callback, CallbackError, Created, Decision, Status, sign_callback};

/// Cases per property: bodies are cheap to parse, so many.
const CASES: u32 = 2_000;

/// The id the record parser is asked for.
const ID: &str = "req_1";

/// The three statuses, as the oracle knows them.
const KNOWN: [&str; 3] = ["pending", "approved", "rejected"];

/// Runs `property` on [`CASES`] values of `strategy`; `property` says whether its case reached
/// `Ok`. Fails on the first counterexample; else prints the share that reached `Ok` and checks it
/// lies in `expected` (a property whose cases all pass, or all fail, tests no boundary).
fn check<S: Strategy>(
    name: &str,
    strategy: S,
    expected: std::ops::RangeInclusive<f64>,
    property: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) {
    let total = std::cell::Cell::new(0u32);
    let reached_ok = std::cell::Cell::new(0u32);
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::with_cases(CASES)
    });
    if let Err(failure) = runner.run(&strategy, |value| {
        let ok = property(value)?;
        total.set(total.get() + 1);
        reached_ok.set(reached_ok.get() + u32::from(ok));
        Ok(())
    }) {
        panic!("{name}: {failure}");
    }
    let share = f64::from(reached_ok.get()) / f64::from(total.get());
    println!(
        "{name}: {} of {} cases reached Ok ({:.0} %)",
        reached_ok.get(),
        total.get(),
        share * 100.0
    );
    assert!(
        expected.contains(&share),
        "{name}: {:.0} % reached Ok, expected {expected:?}",
        share * 100.0
    );
}

// ---- Generating: valid bodies, then mutations near the boundary. ----

/// `word` with each letter in either case.
fn any_case(word: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<bool>(), word.len()).prop_map(move |upper| {
        word.chars()
            .zip(upper)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

fn known_status() -> impl Strategy<Value = String> {
    prop_oneof![
        any_case("pending"),
        any_case("approved"),
        any_case("rejected")
    ]
}

/// Statuses one step from a known one (a letter dropped or added, a space, a look-alike), and
/// other words.
fn near_miss_status() -> impl Strategy<Value = String> {
    let edited = (known_status(), 0usize..5).prop_map(|(status, edit)| match edit {
        0 => status[1..].to_owned(),
        1 => format!("{status} "),
        2 => format!(" {status}"),
        3 => format!("{status}d"),
        _ => status.replacen('a', "á", 1).replacen('e', "é", 1),
    });
    prop_oneof![
        edited,
        proptest::sample::select(&["expired", "cancelled", "", "APPROVE", "ＡＰＰＲＯＶＥＤ"][..])
            .prop_map(str::to_owned),
    ]
}

/// Any text of up to `max` characters.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..=max).prop_map(String::from_iter)
}

/// A small JSON object.
fn object() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map("[a-z_]{1,8}", any::<i32>(), 0..4)
        .prop_map(|fields| json!(fields))
}

/// Any JSON value but an object or null: what `details` must never be.
fn not_an_object() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        text(8).prop_map(Value::String),
        proptest::collection::vec(any::<i32>(), 0..3).prop_map(|items| json!(items)),
    ]
}

/// Any JSON value.
fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        not_an_object(),
        object(),
        known_status().prop_map(Value::String),
        Just(json!(ID)),
    ]
}

/// `value` or nothing.
fn maybe<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    proptest::option::weighted(0.7, value)
}

fn object_or_null() -> impl Strategy<Value = Value> {
    prop_oneof![3 => object(), 1 => Just(Value::Null)]
}

fn string_or_null() -> impl Strategy<Value = Value> {
    prop_oneof![3 => text(12).prop_map(Value::String), 1 => Just(Value::Null)]
}

/// Sets each `Some` field of `fields` on a new object.
fn object_of(fields: Vec<(&'static str, Option<Value>)>) -> Value {
    let fields: Map<String, Value> = fields
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), value?)))
        .collect();
    Value::Object(fields)
}

/// A record as `GET /api/approvals/{id}` may answer it.
fn valid_record() -> impl Strategy<Value = Value> {
    (
        known_status(),
        maybe(object_or_null()),
        maybe(object_or_null()),
        maybe(string_or_null()),
        maybe(string_or_null()),
        maybe(any::<bool>()),
        maybe(any::<bool>()),
    )
        .prop_map(|(status, details, edit, note, code, auto, retryable)| {
            object_of(vec![
                ("id", Some(json!(ID))),
                ("status", Some(json!(status))),
                ("details", details),
                ("modifiedDetails", edit),
                ("decisionNote", note),
                ("decisionReasonCode", code),
                ("autoDecided", auto.map(Value::Bool)),
                ("retryable", retryable.map(Value::Bool)),
            ])
        })
}

/// An id field pair as the short-wait answer and callbacks carry it: `approvalId`, `id`, or both.
fn id_fields() -> impl Strategy<Value = (Option<Value>, Option<Value>)> {
    prop_oneof![
        Just((Some(json!("req_7")), None)),
        Just((None, Some(json!("req_7")))),
        Just((Some(json!("req_7")), Some(json!("req_other")))),
    ]
}

/// An answer of `POST /api/webhooks/inbound`.
fn valid_short_wait_answer() -> impl Strategy<Value = Value> {
    (
        known_status(),
        id_fields(),
        maybe(object_or_null()),
        maybe(string_or_null()),
    )
        .prop_map(|(status, (approval_id, id), edit, note)| {
            object_of(vec![
                ("status", Some(json!(status))),
                ("approvalId", approval_id),
                ("id", id),
                ("modifiedDetails", edit),
                ("decisionNote", note),
                ("reviewUrl", Some(json!("https://review/req_7"))),
            ])
        })
}

/// An answer of `POST /api/approvals/request`.
fn valid_created() -> impl Strategy<Value = Value> {
    maybe(known_status()).prop_map(|status| {
        object_of(vec![
            ("id", Some(json!("req_9"))),
            ("status", status.map(Value::String)),
        ])
    })
}

/// A decision POSTed to a callback URL.
fn valid_callback() -> impl Strategy<Value = Value> {
    (
        known_status(),
        id_fields(),
        maybe(object_or_null()),
        maybe(object_or_null()),
        maybe(string_or_null()),
    )
        .prop_map(|(status, (approval_id, id), edit, details, note)| {
            object_of(vec![
                ("status", Some(json!(status))),
                ("approvalId", approval_id),
                ("id", id),
                ("modifiedDetails", edit),
                ("details", details),
                ("decisionNote", note),
            ])
        })
}

/// Every field name the parsers read.
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
];

/// One change to a valid body.
#[derive(Debug, Clone)]
enum Mutation {
    Set(&'static str, Value),
    Remove(&'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let field = || proptest::sample::select(FIELDS);
    prop_oneof![
        (field(), any_value()).prop_map(|(name, value)| Mutation::Set(name, value)),
        field().prop_map(Mutation::Remove),
        near_miss_status().prop_map(|status| Mutation::Set("status", json!(status))),
        (
            proptest::sample::select(&["details", "modifiedDetails"][..]),
            not_an_object()
        )
            .prop_map(|(name, value)| Mutation::Set(name, value)),
        Just(Mutation::Set("id", json!(""))),
        Just(Mutation::Set("approvalId", json!(""))),
    ]
}

/// `valid` with up to two mutations, often none.
fn mutated(valid: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    (valid, proptest::collection::vec(mutation(), 0..=2)).prop_map(|(mut value, mutations)| {
        let fields = value.as_object_mut().expect("valid bodies are objects");
        for mutation in mutations {
            match mutation {
                Mutation::Set(name, new) => fields.insert(name.to_owned(), new),
                Mutation::Remove(name) => fields.remove(name),
            };
        }
        value
    })
}

fn bytes_of(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("a Value always serializes")
}

// ---- The oracle: what PROTOCOL.md lets each field be. ----

/// The lower-case status when `value` is a string naming one of the three in any letter case.
fn known_status_of(value: Option<&Value>) -> Option<&'static str> {
    let raw = value?.as_str()?.to_ascii_lowercase();
    KNOWN.into_iter().find(|known| *known == raw)
}

fn absent_or_null(value: Option<&Value>) -> bool {
    value.is_none_or(Value::is_null)
}

fn object_or_absent(value: Option<&Value>) -> bool {
    absent_or_null(value) || value.is_some_and(Value::is_object)
}

fn string_or_absent(value: Option<&Value>) -> bool {
    absent_or_null(value) || value.is_some_and(Value::is_string)
}

fn bool_or_absent(value: Option<&Value>) -> bool {
    absent_or_null(value) || value.is_some_and(Value::is_boolean)
}

/// The id of a short-wait answer or a callback: `approvalId` when it is a string, else `id`;
/// `None` when that is missing, empty or of another type.
fn decision_id_of(fields: &Map<String, Value>) -> Option<&str> {
    let typed = |name| string_or_absent(fields.get(name));
    if !typed("approvalId") || !typed("id") {
        return None;
    }
    let chosen = match fields.get("approvalId") {
        Some(Value::String(id)) => id,
        _ => fields.get("id")?.as_str()?,
    };
    (!chosen.is_empty()).then_some(chosen)
}

/// What a record must read as: its status, or `None` when it must be refused.
fn record_oracle(value: &Value) -> Option<&'static str> {
    let fields = value.as_object()?;
    let typed = [
        "responseNotes",
        "decisionNote",
        "decisionReasonCode",
        "autoDecisionRuleName",
        "decidedAt",
    ]
    .iter()
    .all(|name| string_or_absent(fields.get(*name)))
        && ["autoDecided", "retryable"]
            .iter()
            .all(|name| bool_or_absent(fields.get(*name)))
        && ["details", "modifiedDetails"]
            .iter()
            .all(|name| object_or_absent(fields.get(*name)));
    (typed && fields.get("id") == Some(&json!(ID))).then_some(())?;
    known_status_of(fields.get("status"))
}

/// What a short-wait answer must read as.
fn short_wait_oracle(value: &Value) -> Option<(&'static str, &str)> {
    let fields = value.as_object()?;
    let typed = string_or_absent(fields.get("decisionNote"))
        && string_or_absent(fields.get("reviewUrl"))
        && object_or_absent(fields.get("modifiedDetails"));
    typed.then_some(())?;
    Some((
        known_status_of(fields.get("status"))?,
        decision_id_of(fields)?,
    ))
}

/// What a callback must read as.
fn callback_oracle(value: &Value) -> Option<(&'static str, &str)> {
    let fields = value.as_object()?;
    let typed = string_or_absent(fields.get("decisionNote"))
        && string_or_absent(fields.get("responseNotes"))
        && object_or_absent(fields.get("modifiedDetails"))
        && object_or_absent(fields.get("details"));
    typed.then_some(())?;
    Some((
        known_status_of(fields.get("status"))?,
        decision_id_of(fields)?,
    ))
}

/// What a create's answer must read as: a missing or null status is pending.
fn created_oracle(value: &Value) -> Option<(&'static str, &str)> {
    let fields = value.as_object()?;
    let id = fields.get("id")?.as_str().filter(|id| !id.is_empty())?;
    let status = if absent_or_null(fields.get("status")) {
        "pending"
    } else {
        known_status_of(fields.get("status"))?
    };
    Some((status, id))
}

/// The edit a parser must hand on: the object, when `modifiedDetails` is one.
fn edit_of(value: &Value) -> Option<&Value> {
    value.get("modifiedDetails").filter(|edit| edit.is_object())
}

// ---- The properties. ----

/// Checks a parser's answer to `value` against the oracle's: both refuse, or both read it and
/// `same` finds what was read as expected. Whether the case reached `Ok`.
fn agrees<E: std::fmt::Debug, T: std::fmt::Debug, R: std::fmt::Debug>(
    value: &Value,
    expected: Option<E>,
    read: Result<T, R>,
    same: impl FnOnce(E, T) -> Result<(), TestCaseError>,
) -> Result<bool, TestCaseError> {
    match (expected, read) {
        (Some(expected), Ok(read)) => same(expected, read).map(|()| true),
        (None, Err(_)) => Ok(false),
        (expected, read) => Err(TestCaseError::fail(format!(
            "{value}: expected {expected:?}, read {read:?}"
        ))),
    }
}

#[test]
fn a_record_reads_exactly_when_the_protocol_allows() {
    check("record", mutated(valid_record()), 0.3..=0.8, |value| {
        let read = Approval::from_body(&bytes_of(&value), ID);
        agrees(&value, record_oracle(&value), read, |status, approval| {
            prop_assert_eq!(approval.status.as_str(), status);
            prop_assert_eq!(approval.id.as_str(), ID);
            prop_assert_eq!(approval.modified_details.as_ref(), edit_of(&value));
            let details = value.get("details").filter(|d| d.is_object());
            prop_assert_eq!(approval.details.as_ref(), details);
            Ok(())
        })
    });
}

#[test]
fn a_short_wait_answer_reads_exactly_when_the_protocol_allows() {
    let answers = mutated(valid_short_wait_answer());
    check("short-wait answer", answers, 0.3..=0.8, |value| {
        let read = Decision::from_body(&bytes_of(&value));
        agrees(
            &value,
            short_wait_oracle(&value),
            read,
            |(status, id), decision| {
                prop_assert_eq!(decision.status.as_str(), status);
                prop_assert_eq!(decision.approval_id.as_str(), id);
                let edit = edit_of(&value).filter(|_| status == "approved");
                prop_assert_eq!(decision.modified_details.as_ref(), edit);
                Ok(())
            },
        )
    });
}

#[test]
fn a_create_answer_reads_exactly_when_the_protocol_allows() {
    check(
        "create answer",
        mutated(valid_created()),
        0.3..=0.8,
        |value| {
            let read = Created::from_body(&bytes_of(&value));
            agrees(
                &value,
                created_oracle(&value),
                read,
                |(status, id), created| {
                    prop_assert_eq!(created.status.as_str(), status);
                    prop_assert_eq!(created.id.as_str(), id);
                    Ok(())
                },
            )
        },
    );
}

#[test]
fn a_callback_reads_exactly_when_the_protocol_allows() {
    check("callback", mutated(valid_callback()), 0.3..=0.8, |value| {
        let read = Callback::parse(&bytes_of(&value));
        if let Err(CallbackError::UnknownStatus(raw)) = &read {
            prop_assert!(known_status_of(Some(&json!(raw))).is_none());
        }
        agrees(
            &value,
            callback_oracle(&value),
            read,
            |(status, id), callback| {
                prop_assert_eq!(callback.status.as_str(), status);
                prop_assert_eq!(callback.approval_id.as_str(), id);
                prop_assert_eq!(callback.modified_details.as_ref(), edit_of(&value));
                prop_assert!(!callback.is_verified());
                Ok(())
            },
        )
    });
}

#[test]
fn a_status_parses_exactly_when_it_is_one_of_the_three() {
    let raw = prop_oneof![known_status(), near_miss_status(), text(10)];
    check("status", raw, 0.2..=0.7, |raw| {
        let parsed = Status::parse(&raw);
        let expected = known_status_of(Some(&json!(raw)));
        prop_assert_eq!(parsed.map(Status::as_str), expected, "{:?}", raw);
        Ok(parsed.is_some())
    });
}

/// How a signature is written: its case, a `sha256=` prefix, whitespace around it.
fn written(digest: &str, style: u8) -> String {
    match style {
        0 => digest.to_owned(),
        1 => digest.to_ascii_uppercase(),
        2 => format!("sha256={digest}"),
        3 => format!("  {digest}\t"),
        _ => format!(" sha256={}", digest.to_ascii_uppercase()),
    }
}

#[test]
fn a_callback_verifies_exactly_when_signed_with_one_of_the_secrets() {
    let secret = || "[!-~]{1,24}";
    let case = (
        valid_callback(),
        proptest::collection::vec(secret(), 1..=3),
        prop_oneof![(0usize..3).prop_map(Some), Just(None)],
        secret(),
        0u8..5,
    );
    check(
        "signature",
        case,
        0.4..=0.9,
        |(value, secrets, signer, outsider, style)| {
            let body = bytes_of(&value);
            let key = signer.map_or(outsider.as_str(), |at| secrets[at % secrets.len()].as_str());
            let signature = written(&sign_callback(&body, key), style);
            let verified = Callback::verify(&body, Some(&signature), &secrets);
            let right = secrets.iter().any(|secret| secret == key);
            match verified {
                Ok(callback) => {
                    prop_assert!(right, "verified with a key not among the secrets");
                    prop_assert!(callback.is_verified());
                    Ok(true)
                }
                Err(CallbackError::SignatureMismatch) => {
                    prop_assert!(!right, "{signature:?} refused");
                    Ok(false)
                }
                Err(other) => Err(TestCaseError::fail(format!("{signature:?}: {other}"))),
            }
        },
    );
}

/// A valid body, and the same with 1 to 3 bytes flipped, cut short, or both.
fn damaged(valid: impl Strategy<Value = Value>) -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    (
        valid,
        proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..=3),
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(value, flips, cut)| {
            let original = bytes_of(&value);
            let mut bytes = original.clone();
            for (at, flip) in flips {
                let at = at.index(bytes.len());
                bytes[at] ^= flip;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len()));
            }
            (original, bytes)
        })
}

#[test]
fn damaged_bodies_never_panic_and_a_signed_one_never_verifies() {
    let case = (damaged(valid_callback()), "[!-~]{1,24}");
    check(
        "damaged body",
        case,
        0.0..=0.6,
        |((original, bytes), secret)| {
            let reads = [
                Approval::from_body(&bytes, ID).is_ok(),
                Decision::from_body(&bytes).is_ok(),
                Created::from_body(&bytes).is_ok(),
                Callback::parse(&bytes).is_ok(),
            ];
            let _ = crate::transport::retry::parse_retry_after(&String::from_utf8_lossy(&bytes));
            if bytes != original {
                let signature = sign_callback(&original, &secret);
                prop_assert!(Callback::verify(&bytes, Some(&signature), &[&secret]).is_err());
            }
            Ok(reads.contains(&true))
        },
    );
}
