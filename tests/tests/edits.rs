//! What runs is what was approved: `modifiedDetails` is the whole approved object, and an edit
//! is applied only when the value it becomes serializes back to it. Each test counts the runs of
//! the body, against the emulator over loopback.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use cheqpoint::{Client, Error, checkpoint};
use common::{client, emulator, next_pending};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Email {
    to: String,
    cc: Option<String>,
    #[serde(default = "standard_footer")]
    footer: String,
    /// Never sent, never edited: the caller's value must survive an approval that leaves
    /// `email` unchanged.
    #[serde(skip)]
    draft_id: u64,
}

fn standard_footer() -> String {
    "-- sent by the agent".into()
}

/// Cents read from a JSON number by rounding: a lossy conversion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct Cents(u64);

impl<'de> Deserialize<'de> for Cents {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        f64::deserialize(deserializer).map(|cents| Cents(cents.round() as u64))
    }
}

#[checkpoint(client = client, skip(client, ran), action = "send_email")]
async fn send(
    client: &Client,
    ran: &AtomicUsize,
    email: Email,
    reply_to: Option<String>,
    tip: Cents,
    rate: f32,
) -> Result<Value, Error> {
    ran.fetch_add(1, SeqCst);
    Ok(
        json!({"email": email, "draft_id": email.draft_id, "reply_to": reply_to, "tip": tip, "rate": rate}),
    )
}

/// Calls [`send`] while the reviewer approves with `edit(details as sent)`.
async fn approve_with(edit: impl FnOnce(Value) -> Value) -> (Result<Value, Error>, usize) {
    let emulator = emulator().await;
    let client = client(&emulator);
    let ran = AtomicUsize::new(0);
    let email = Email {
        to: "ada@example.com".into(),
        cc: Some("grace@example.com".into()),
        footer: "-- Ada".into(),
        draft_id: 42,
    };
    let reviewer = async {
        let request = next_pending(&emulator).await;
        emulator
            .approve_with(&request.id, edit(request.details))
            .unwrap();
    };
    let (result, ()) = tokio::join!(
        send(
            &client,
            &ran,
            email,
            Some("ops@example.com".into()),
            Cents(150),
            0.25
        ),
        reviewer
    );
    (result, ran.load(SeqCst))
}

fn invalid_edit(result: Result<Value, Error>) -> (String, String) {
    match result {
        Err(Error::InvalidEdit {
            parameter, message, ..
        }) => (parameter, message),
        other => panic!("expected an invalid edit, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unchanged_parameter_runs_with_the_callers_own_value() {
    let (result, ran) = approve_with(|mut details| {
        details["rate"] = json!(0.5);
        details
    })
    .await;
    assert_eq!(ran, 1);
    let result = result.unwrap();
    assert_eq!(
        result["draft_id"], 42,
        "email was not changed, so it was not round-tripped"
    );
    assert_eq!(result["rate"], 0.5);
}

#[tokio::test]
async fn a_removed_option_becomes_none() {
    let (result, ran) = approve_with(|mut details| {
        details.as_object_mut().unwrap().remove("reply_to");
        details
    })
    .await;
    assert_eq!(ran, 1);
    assert_eq!(result.unwrap()["reply_to"], Value::Null);
}

#[tokio::test]
async fn a_removed_required_parameter_fails_the_call() {
    let (result, ran) = approve_with(|mut details| {
        details.as_object_mut().unwrap().remove("tip");
        details
    })
    .await;
    assert_eq!(ran, 0);
    let (parameter, message) = invalid_edit(result);
    assert_eq!(parameter, "tip");
    assert!(message.contains("the reviewer removed `tip`"), "{message}");
}

#[tokio::test]
async fn a_nested_field_the_type_has_no_place_for_is_refused_by_path() {
    let (result, ran) = approve_with(|mut details| {
        details["email"]["bcc"] = json!("boss@example.com");
        details
    })
    .await;
    assert_eq!(ran, 0);
    let (parameter, message) = invalid_edit(result);
    assert_eq!(parameter, "email");
    assert!(message.contains("`email.bcc`"), "{message}");
}

#[tokio::test]
async fn a_nested_field_a_serde_default_would_fill_in_is_refused_by_path() {
    let (result, ran) = approve_with(|mut details| {
        details["email"]["to"] = json!("bob@example.com");
        details["email"].as_object_mut().unwrap().remove("footer");
        details
    })
    .await;
    assert_eq!(ran, 0);
    let (parameter, message) = invalid_edit(result);
    assert_eq!(parameter, "email");
    assert!(message.contains("`email.footer`"), "{message}");
}

#[tokio::test]
async fn a_nested_null_counts_as_absent() {
    let (result, ran) = approve_with(|mut details| {
        details["email"]["cc"] = Value::Null;
        details
    })
    .await;
    assert_eq!(ran, 1);
    assert_eq!(result.unwrap()["email"]["cc"], Value::Null);
}

#[tokio::test]
async fn a_lossy_conversion_is_refused() {
    let (result, ran) = approve_with(|mut details| {
        details["tip"] = json!(99.6);
        details
    })
    .await;
    assert_eq!(ran, 0);
    let (parameter, message) = invalid_edit(result);
    assert_eq!(parameter, "tip");
    assert!(
        message.contains("99.6") && message.contains("100"),
        "{message}"
    );
}

#[tokio::test]
async fn a_float_edit_is_compared_at_the_precision_of_its_type() {
    let (result, ran) = approve_with(|mut details| {
        details["rate"] = json!(0.7);
        details
    })
    .await;
    assert_eq!(ran, 1);
    assert_eq!(result.unwrap()["rate"], json!(0.7_f32));
}

#[tokio::test]
async fn an_unknown_key_is_refused_even_beside_real_edits() {
    let (result, ran) = approve_with(|mut details| {
        details["rate"] = json!(0.5);
        details["priority"] = json!("urgent");
        details
    })
    .await;
    assert_eq!(ran, 0);
    assert_eq!(invalid_edit(result).0, "priority");
}

#[checkpoint(client = client, skip(client, ran), action = "process_refund", when = amount_cents >= 5_000)]
async fn refund(client: &Client, ran: &AtomicUsize, amount_cents: u64) -> Result<u64, Error> {
    ran.fetch_add(1, SeqCst);
    Ok(amount_cents)
}

#[tokio::test]
async fn when_false_runs_the_body_without_asking() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let ran = AtomicUsize::new(0);
    assert_eq!(refund(&client, &ran, 4_999).await.unwrap(), 4_999);
    assert_eq!(ran.load(SeqCst), 1);
    assert!(emulator.requests().is_empty(), "no request was made");
}

#[tokio::test]
async fn when_true_asks_and_runs_only_what_was_approved() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let ran = AtomicUsize::new(0);
    let reviewer = async {
        let request = next_pending(&emulator).await;
        assert_eq!(request.details, json!({"amount_cents": 12_000}));
        emulator
            .approve_with(&request.id, json!({"amount_cents": 6_000}))
            .unwrap();
    };
    let (result, ()) = tokio::join!(refund(&client, &ran, 12_000), reviewer);
    assert_eq!(result.unwrap(), 6_000);
    assert_eq!(ran.load(SeqCst), 1);
    assert_eq!(emulator.requests().len(), 1);
}
