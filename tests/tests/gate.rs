//! What `#[checkpoint]` does at run time, against the emulator over loopback: the body runs only
//! after an approval, with the approved values; every other outcome is an error and the body
//! does not run (each test counts the runs).

mod common;

use std::{
    sync::atomic::{AtomicUsize, Ordering::SeqCst},
    time::Duration,
};

use cheqpoint::{Client, Error, checkpoint};
use cheqpoint_emulator::{ApprovalRecord, Emulator};
use common::{client, client_with_timeout, emulator, next_pending};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    city: String,
}

/// Every kind of parameter: owned, `&str`, `&[T]`, `&T`, `&mut T`, read-only, skipped.
#[allow(clippy::too_many_arguments)] // one of each kind, on purpose
#[checkpoint(
    client = client,
    action = "send_parcel",
    risk = 0.4,
    summary = "Send {weight_grams} g to {recipient} in {address.city}",
    skip(client, ran),
    readonly(account)
)]
async fn send_parcel(
    client: &Client,
    ran: &AtomicUsize,
    account: u32,
    weight_grams: u64,
    recipient: &str,
    tags: &[String],
    address: &Address,
    log: &mut Vec<String>,
) -> Result<Value, Error> {
    ran.fetch_add(1, SeqCst);
    log.push(format!("sent to {recipient}"));
    Ok(json!({
        "account": account, "weight_grams": weight_grams, "recipient": recipient,
        "tags": tags, "address": address,
    }))
}

/// Calls [`send_parcel`] with fixed arguments while `review` decides the request it makes.
async fn call_and_review(
    emulator: &Emulator,
    review: impl AsyncFnOnce(ApprovalRecord),
) -> (Result<Value, Error>, usize, Vec<String>) {
    let client = client(emulator);
    let ran = AtomicUsize::new(0);
    let mut log = vec!["start".to_owned()];
    let tags = vec!["fragile".to_owned()];
    let address = Address {
        city: "Lyon".into(),
    };
    let call = send_parcel(&client, &ran, 7, 500, "ada", &tags, &address, &mut log);
    let reviewer = async { review(next_pending(emulator).await).await };
    let (result, ()) = tokio::join!(call, reviewer);
    (result, ran.load(SeqCst), log)
}

#[tokio::test]
async fn approved_as_sent_runs_with_the_values_sent() {
    let emulator = emulator().await;
    let (result, ran, log) = call_and_review(&emulator, async |request| {
        assert_eq!(request.action, "send_parcel");
        assert_eq!(request.summary, "Send 500 g to ada in Lyon");
        assert_eq!(request.risk_score, Some(0.4));
        assert_eq!(
            request.details,
            json!({"account": 7, "weight_grams": 500, "recipient": "ada", "tags": ["fragile"],
                   "address": {"city": "Lyon"}, "log": ["start"]})
        );
        emulator.approve(&request.id).unwrap();
    })
    .await;
    assert_eq!(ran, 1);
    assert_eq!(result.unwrap()["recipient"], "ada");
    assert_eq!(log, ["start", "sent to ada"]);
}

#[tokio::test]
async fn every_kind_of_parameter_takes_the_reviewers_edit() {
    let emulator = emulator().await;
    let (result, ran, log) = call_and_review(&emulator, async |request| {
        let mut edit = request.details.clone();
        edit["weight_grams"] = json!(250);
        edit["recipient"] = json!("grace");
        edit["tags"] = json!(["fragile", "urgent"]);
        edit["address"] = json!({"city": "Nice"});
        edit["log"] = json!(["edited"]);
        emulator.approve_with(&request.id, edit).unwrap();
    })
    .await;
    assert_eq!(ran, 1);
    assert_eq!(
        result.unwrap(),
        json!({"account": 7, "weight_grams": 250, "recipient": "grace",
               "tags": ["fragile", "urgent"], "address": {"city": "Nice"}})
    );
    assert_eq!(
        log,
        ["edited", "sent to grace"],
        "the &mut argument was updated in place"
    );
}

/// The details as sent, with the keys of `changes` replaced: what a reviewer approves after
/// changing a few fields (`modifiedDetails` is the whole approved object).
fn changed(details: &Value, changes: Value) -> Value {
    let mut edited = details.clone();
    for (key, value) in changes.as_object().unwrap() {
        edited[key] = value.clone();
    }
    edited
}

#[tokio::test]
async fn an_edit_of_one_field_keeps_the_other_values() {
    let emulator = emulator().await;
    let (result, ran, _) = call_and_review(&emulator, async |request| {
        let edit = changed(&request.details, json!({"weight_grams": 1}));
        emulator.approve_with(&request.id, edit).unwrap();
    })
    .await;
    assert_eq!(ran, 1);
    let result = result.unwrap();
    assert_eq!(result["weight_grams"], 1);
    assert_eq!(result["recipient"], "ada");
    assert_eq!(result["address"], json!({"city": "Lyon"}));
}

#[tokio::test]
async fn an_edit_of_the_wrong_type_names_the_parameter_and_runs_nothing() {
    let emulator = emulator().await;
    let (result, ran, log) = call_and_review(&emulator, async |request| {
        emulator
            .approve_with(
                &request.id,
                changed(
                    &request.details,
                    json!({"log": ["changed"], "weight_grams": "heavy"}),
                ),
            )
            .unwrap();
    })
    .await;
    assert_eq!(ran, 0);
    match result {
        Err(Error::InvalidEdit { parameter, .. }) => assert_eq!(parameter, "weight_grams"),
        other => panic!("expected an invalid edit, got {other:?}"),
    }
    assert_eq!(log, ["start"], "no edit is applied when one of them fails");
}

#[tokio::test]
async fn a_changed_readonly_parameter_fails_the_call() {
    let emulator = emulator().await;
    let (result, ran, _) = call_and_review(&emulator, async |request| {
        emulator
            .approve_with(
                &request.id,
                changed(&request.details, json!({"account": 8})),
            )
            .unwrap();
    })
    .await;
    assert_eq!(ran, 0);
    assert!(
        matches!(result, Err(Error::ReadonlyChanged { ref parameter, .. }) if parameter == "account"),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_readonly_parameter_sent_back_unchanged_is_fine() {
    let emulator = emulator().await;
    let (result, ran, _) = call_and_review(&emulator, async |request| {
        emulator
            .approve_with(
                &request.id,
                changed(&request.details, json!({"account": 7.0, "weight_grams": 2})),
            )
            .unwrap();
    })
    .await;
    assert_eq!(ran, 1);
    assert_eq!(result.unwrap()["weight_grams"], 2);
}

#[tokio::test]
async fn an_edit_of_a_skipped_or_unknown_key_fails_the_call() {
    let emulator = emulator().await;
    let (result, ran, _) = call_and_review(&emulator, async |request| {
        emulator
            .approve_with(&request.id, changed(&request.details, json!({"ran": 5})))
            .unwrap();
    })
    .await;
    assert_eq!(ran, 0);
    assert!(
        matches!(result, Err(Error::InvalidEdit { ref parameter, .. }) if parameter == "ran"),
        "{result:?}"
    );
}

#[derive(Debug, thiserror::Error)]
enum AgentError {
    #[error("declined: {0}")]
    Declined(#[from] Error),
}

#[checkpoint(client = client, skip(client, ran))]
async fn delete_user(client: &Client, ran: &AtomicUsize, user_id: u64) -> Result<u64, AgentError> {
    ran.fetch_add(1, SeqCst);
    Ok(user_id)
}

#[tokio::test]
async fn a_rejection_reaches_the_callers_error_type_with_the_note() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let ran = AtomicUsize::new(0);
    let reviewer = async {
        let request = next_pending(&emulator).await;
        assert_eq!(
            request.summary, "Delete user",
            "the default summary is the action made readable"
        );
        emulator.reject(&request.id, "keep the account").unwrap();
    };
    let (result, ()) = tokio::join!(delete_user(&client, &ran, 42), reviewer);
    assert_eq!(ran.load(SeqCst), 0);
    let AgentError::Declined(Error::Rejected { note, .. }) = result.unwrap_err() else {
        panic!("expected a rejection");
    };
    assert_eq!(note.as_deref(), Some("keep the account"));
}

#[tokio::test]
async fn no_decision_in_time_is_a_timeout_and_runs_nothing() {
    let emulator = emulator().await;
    let client = client_with_timeout(&emulator, Duration::from_millis(100));
    let ran = AtomicUsize::new(0);
    let result = delete_user(&client, &ran, 1).await;
    assert!(
        matches!(result, Err(AgentError::Declined(Error::Timeout { .. }))),
        "{result:?}"
    );
    assert_eq!(ran.load(SeqCst), 0);
}

#[checkpoint(client = client, risk = risk, timeout = 5, skip(client, ran, risk))]
async fn risky(client: &Client, ran: &AtomicUsize, risk: f64) -> Result<(), Error> {
    ran.fetch_add(1, SeqCst);
    Ok(())
}

#[tokio::test]
async fn a_dynamic_risk_out_of_range_is_refused_before_anything_is_sent() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let ran = AtomicUsize::new(0);
    for risk in [1.5, -0.1, f64::NAN] {
        let result = risky(&client, &ran, risk).await;
        assert!(
            matches!(result, Err(Error::InvalidRisk { .. })),
            "{risk}: {result:?}"
        );
    }
    assert_eq!(ran.load(SeqCst), 0);
    assert!(emulator.requests().is_empty());
}

struct Mailer {
    client: Client,
    sent: AtomicUsize,
}

impl Mailer {
    #[checkpoint(client = &self.client, action = "send_email", summary = "Email {to}")]
    async fn send(&self, to: String, body: String) -> Result<String, Error> {
        self.sent.fetch_add(1, SeqCst);
        Ok(format!("{to}: {body}"))
    }
}

#[tokio::test]
async fn a_method_is_gated_and_self_is_never_sent() {
    let emulator = emulator().await;
    let mailer = Mailer {
        client: client(&emulator),
        sent: AtomicUsize::new(0),
    };
    let reviewer = async {
        let request = next_pending(&emulator).await;
        assert_eq!(
            request.details,
            json!({"to": "ada@example.com", "body": "hi"})
        );
        emulator
            .approve_with(
                &request.id,
                json!({"to": "ada@example.com", "body": "hello"}),
            )
            .unwrap();
    };
    let (result, ()) = tokio::join!(mailer.send("ada@example.com".into(), "hi".into()), reviewer);
    assert_eq!(result.unwrap(), "ada@example.com: hello");
    assert_eq!(mailer.sent.load(SeqCst), 1);
}

#[checkpoint(client = client, skip(client, ran))]
fn archive(client: &Client, ran: &AtomicUsize, path: String) -> Result<String, Error> {
    ran.fetch_add(1, SeqCst);
    Ok(path)
}

#[test]
fn a_blocking_fn_waits_outside_a_runtime() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emulator = runtime.block_on(emulator());
    let client = client(&emulator);
    let ran = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            runtime.block_on(async {
                let request = next_pending(&emulator).await;
                emulator
                    .approve_with(&request.id, json!({"path": "/tmp/b"}))
                    .unwrap();
            })
        });
        assert_eq!(archive(&client, &ran, "/tmp/a".into()).unwrap(), "/tmp/b");
    });
    assert_eq!(ran.load(SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_fn_waits_on_a_multi_thread_runtime_without_stalling_it() {
    let emulator = std::sync::Arc::new(emulator().await);
    let client = client(&emulator);
    let ran = std::sync::Arc::new(AtomicUsize::new(0));
    let reviewer = std::sync::Arc::clone(&emulator);
    let reviewing = tokio::spawn(async move {
        for path in ["/srv/worker", "/srv/pool"] {
            let request = next_pending(&reviewer).await;
            reviewer
                .approve_with(&request.id, json!({"path": path}))
                .unwrap();
        }
    });
    // On a worker thread: the reviewer task above keeps running while this one waits.
    assert_eq!(
        archive(&client, &ran, "/tmp/a".into()).unwrap(),
        "/srv/worker"
    );
    // In the blocking pool, as `spawn_blocking` is used for blocking calls.
    let (pool_client, pool_ran) = (client.clone(), std::sync::Arc::clone(&ran));
    let from_pool =
        tokio::task::spawn_blocking(move || archive(&pool_client, &pool_ran, "/tmp/b".into()));
    assert_eq!(from_pool.await.unwrap().unwrap(), "/srv/pool");
    reviewing.await.unwrap();
    assert_eq!(ran.load(SeqCst), 2);
}

#[tokio::test]
async fn a_blocking_fn_on_a_current_thread_runtime_is_refused_not_run() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let ran = AtomicUsize::new(0);
    let result = archive(&client, &ran, "/tmp/a".into());
    assert!(
        matches!(result, Err(Error::BlockingInRuntime)),
        "{result:?}"
    );
    assert!(result.unwrap_err().to_string().contains("async"));
    assert_eq!(ran.load(SeqCst), 0);
    assert!(emulator.requests().is_empty());
}
