//! Every operation of the client against the emulator, over real HTTP on loopback.

mod common;
mod journal;

use std::time::Duration;

use cheqpoint::{ApprovalRequest, Callback, Client, Error, Status, Trace};
use cheqpoint_emulator::Emulator;
use common::{KEY, client, client_with_timeout, emulator, next_pending};
use serde_json::json;

fn refund() -> ApprovalRequest {
    ApprovalRequest::new("process_refund", "Refund 120.00 on order 8842")
        .details(json!({"order_id": "8842", "amount_cents": 12000}))
        .risk(0.5)
}

#[tokio::test]
async fn an_approval_hands_on_the_details_sent() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let reviewer = async {
        let request = next_pending(&emulator).await;
        assert_eq!(request.action, "process_refund");
        assert_eq!(request.risk_score, Some(0.5));
        emulator.approve(&request.id).unwrap();
    };
    let (approved, ()) = tokio::join!(client.checkpoint(refund()), reviewer);
    let approved = approved.unwrap();
    assert_eq!(
        approved.effective_details(),
        &json!({"order_id": "8842", "amount_cents": 12000})
    );
    assert_eq!(approved.modified_details, None);
    assert!(!approved.auto_decided);
    assert_eq!(emulator.requests().len(), 1);
}

#[tokio::test]
async fn an_edit_replaces_the_details() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let reviewer = async {
        let request = next_pending(&emulator).await;
        emulator
            .approve_with(
                &request.id,
                json!({"order_id": "8842", "amount_cents": 9000}),
            )
            .unwrap();
    };
    let (approved, ()) = tokio::join!(client.checkpoint(refund()), reviewer);
    let approved = approved.unwrap();
    assert_eq!(approved.effective_details()["amount_cents"], 9000);
    assert_eq!(approved.details["amount_cents"], 12000);
}

#[tokio::test]
async fn a_rejection_is_an_error_with_the_note() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let reviewer = async {
        let request = next_pending(&emulator).await;
        emulator
            .reject(&request.id, "not during the freeze")
            .unwrap();
        request.id
    };
    let (result, id) = tokio::join!(client.checkpoint(refund()), reviewer);
    match result {
        Err(Error::Rejected {
            approval_id,
            note,
            auto_decided,
            retryable,
            ..
        }) => {
            assert_eq!(approval_id, id);
            assert_eq!(note.as_deref(), Some("not during the freeze"));
            assert!(!auto_decided && !retryable);
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn guard_runs_only_on_approval() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let reviewer = async {
        let request = next_pending(&emulator).await;
        emulator.reject(&request.id, "no").unwrap();
    };
    let mut ran = 0;
    let (result, ()) = tokio::join!(client.guard(refund(), |_| async { ran += 1 }), reviewer);
    assert!(result.unwrap_err().is_rejected());
    assert_eq!(ran, 0);

    let reviewer = async {
        let request = next_pending(&emulator).await;
        emulator
            .approve_with(&request.id, json!({"order_id": "1", "amount_cents": 5}))
            .unwrap();
    };
    let (result, ()) = tokio::join!(
        client.guard(refund(), |approved| async move {
            approved.effective_details()["amount_cents"].clone()
        }),
        reviewer
    );
    assert_eq!(result.unwrap(), json!(5));
}

#[tokio::test]
async fn workspace_rules_decide_at_creation() {
    let emulator = Emulator::builder()
        .api_key(KEY)
        .auto_approve_below(0.3)
        .auto_reject_above(0.9)
        .start()
        .await
        .unwrap();
    let client = client(&emulator);
    let approved = client.checkpoint(refund().risk(0.1)).await.unwrap();
    assert!(approved.auto_decided);
    assert!(approved.rule_name.is_some());
    match client.checkpoint(refund().risk(0.95)).await {
        Err(Error::Rejected {
            auto_decided: true,
            rule_name: Some(_),
            ..
        }) => {}
        other => panic!("expected a rule's rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn an_expired_request_is_rejected_as_retryable() {
    let emulator = Emulator::builder()
        .api_key(KEY)
        .expiry(Duration::from_millis(100))
        .start()
        .await
        .unwrap();
    match client(&emulator).checkpoint(refund()).await {
        Err(
            error @ Error::Rejected {
                retryable: true, ..
            },
        ) => {
            assert!(
                error.to_string().contains("may be requested again"),
                "{error}"
            );
        }
        other => panic!("expected an expiry, got {other:?}"),
    }
}

#[tokio::test]
async fn no_decision_in_time_is_a_timeout_naming_the_request_and_wait_resumes_it() {
    let emulator = emulator().await;
    let client = client_with_timeout(&emulator, Duration::from_millis(150));
    let error = client.checkpoint(refund()).await.unwrap_err();
    let Error::Timeout {
        approval_id,
        waited,
    } = &error
    else {
        panic!("expected a timeout, got {error:?}");
    };
    assert!(*waited >= Duration::from_millis(150));
    assert!(error.to_string().contains(approval_id.as_str()));
    assert_eq!(
        emulator.get(approval_id).unwrap().status,
        cheqpoint_emulator::Status::Pending
    );

    let reviewer = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        emulator.approve(approval_id).unwrap();
    };
    let (approved, ()) = tokio::join!(client.wait(approval_id, Duration::from_secs(5)), reviewer);
    assert_eq!(approved.unwrap().approval_id, *approval_id);
    assert_eq!(emulator.requests().len(), 1, "wait created nothing");
}

#[tokio::test]
async fn create_and_get_read_every_field() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let request = refund()
        .justification("charged twice")
        .callback_url("http://127.0.0.1:9/decisions")
        .trace(
            Trace::new()
                .thought("double charge")
                .tool_call("lookup(8842)")
                .model("m")
                .total_tokens(12),
        );
    let created = client.create_request(&request).await.unwrap();
    assert_eq!(created.status, Status::Pending);
    let held = emulator.get(&created.id).unwrap();
    assert_eq!(held.justification.as_deref(), Some("charged twice"));
    assert_eq!(
        held.callback_url.as_deref(),
        Some("http://127.0.0.1:9/decisions")
    );
    assert_eq!(
        held.trace.as_ref().unwrap()["steps"][1]["type"],
        "tool_call"
    );
    assert_eq!(held.trace.as_ref().unwrap()["totalTokens"], 12);

    emulator.reject(&created.id, "no").unwrap();
    let approval = client.get_request(&created.id).await.unwrap();
    assert_eq!(approval.status, Status::Rejected);
    assert_eq!(
        approval.details,
        Some(json!({"order_id": "8842", "amount_cents": 12000}))
    );
    assert_eq!(approval.note.as_deref(), Some("no"));
    assert!(approval.decided_at.is_some());
}

#[tokio::test]
async fn request_sync_answers_inline_when_decided_within_the_hold() {
    let emulator = emulator().await;
    let reviewer = async {
        let request = next_pending(&emulator).await;
        assert_eq!(request.risk_level.as_deref(), Some("medium"));
        emulator
            .approve_with(&request.id, json!({"order_id": "8842", "amount_cents": 1}))
            .unwrap();
    };
    let client = client(&emulator);
    let (decision, ()) = tokio::join!(
        client.request_sync(refund(), Duration::from_secs(5)),
        reviewer
    );
    let decision = decision.unwrap();
    assert!(decision.is_approved());
    assert_eq!(
        decision.modified_details,
        Some(json!({"order_id": "8842", "amount_cents": 1}))
    );
}

#[tokio::test]
async fn request_sync_returns_pending_when_nobody_decides() {
    let emulator = emulator().await;
    let decision = client(&emulator)
        .request_sync(refund(), Duration::from_millis(200))
        .await
        .unwrap();
    assert_eq!(decision.status, Status::Pending);
    assert!(
        decision
            .review_url
            .as_deref()
            .unwrap()
            .contains(&decision.approval_id)
    );
    assert!(!decision.is_approved());
}

#[tokio::test]
async fn request_async_returns_at_once_and_the_callback_is_signed() {
    let emulator = Emulator::builder()
        .api_key(KEY)
        .webhook_secret("whsec_test")
        .start()
        .await
        .unwrap();
    let (receiver_url, mut delivered) = callback_receiver().await;
    let decision = client(&emulator)
        .request_async(refund().callback_url(receiver_url))
        .await
        .unwrap();
    assert_eq!(decision.status, Status::Pending);
    emulator.reject(&decision.approval_id, "too much").unwrap();

    let (body, signature) = tokio::time::timeout(Duration::from_secs(5), delivered.recv())
        .await
        .expect("a callback arrives")
        .unwrap();
    let callback =
        Callback::verify(&body, signature.as_deref(), &["whsec_old", "whsec_test"]).unwrap();
    assert_eq!(callback.approval_id, decision.approval_id);
    assert_eq!(callback.status, Status::Rejected);
    assert_eq!(callback.note.as_deref(), Some("too much"));
    assert!(Callback::verify(&body, signature.as_deref(), &["whsec_wrong"]).is_err());
}

#[tokio::test]
async fn a_wrong_key_is_an_api_error_and_never_leaks() {
    let emulator = emulator().await;
    let client = Client::builder()
        .api_key("cq_test_wrong_secret")
        .base_url(emulator.url())
        .build()
        .unwrap();
    let error = client.checkpoint(refund()).await.unwrap_err();
    assert!(
        matches!(&error, Error::Api { status: 401, .. }),
        "{error:?}"
    );
    for shown in [
        error.to_string(),
        format!("{error:?}"),
        format!("{client:?}"),
    ] {
        assert!(!shown.contains("cq_test_wrong_secret"), "{shown}");
    }
    assert!(emulator.requests().is_empty());
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    let emulator = emulator().await;
    let url = emulator.url();
    drop(emulator);
    let client = Client::builder()
        .api_key(KEY)
        .base_url(url)
        .create_attempts(2)
        .build()
        .unwrap();
    let error = client.checkpoint(refund()).await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
}

/// What a scripted service saw of one request: path, `Idempotency-Key`, body.
type Seen = (String, Option<String>, serde_json::Value);

/// A service on loopback that answers each request with the next of `answers` (status, body),
/// the last one for ever after, and records what it saw.
async fn scripted_service(
    answers: Vec<(u16, serde_json::Value)>,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Seen>>>) {
    use axum::{Router, body::Bytes, http::HeaderMap, http::StatusCode, http::Uri, routing::any};
    use std::sync::{Arc, Mutex};

    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let recorder = Arc::clone(&seen);
    let app = Router::new().fallback(any(
        move |uri: Uri, headers: HeaderMap, body: Bytes| async move {
            let key = headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            let mut seen = recorder.lock().unwrap();
            seen.push((uri.path().to_owned(), key, body));
            let (status, answer) = answers[(seen.len() - 1).min(answers.len() - 1)].clone();
            (StatusCode::from_u16(status).unwrap(), axum::Json(answer))
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test]
async fn a_create_carries_one_idempotency_key_the_same_on_every_resend() {
    let busy = (429, json!({"error": "slow down"}));
    let created = (201, json!({"id": "req_1", "status": "PENDING"}));
    let (url, seen) = scripted_service(vec![busy.clone(), busy, created]).await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(url)
        .retry_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .build()
        .unwrap();
    client.create_request(&refund()).await.unwrap();
    client.create_request(&refund()).await.unwrap();
    let seen = seen.lock().unwrap();
    let keys: Vec<&str> = seen
        .iter()
        .map(|(_, key, _)| key.as_deref().expect("every create carries a key"))
        .collect();
    assert_eq!(keys.len(), 4, "two 429s sent again, then a second call");
    assert!(!keys[0].is_empty());
    assert_eq!(keys[0], keys[1]);
    assert_eq!(keys[1], keys[2]);
    assert_ne!(keys[2], keys[3], "another call, another key");
}

/// The `Idempotency-Key` of each create `seen`.
fn create_keys(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .filter(|(path, _, _)| path == "/api/approvals/request")
        .map(|(_, key, _)| key.clone().expect("every create carries a key"))
        .collect()
}

#[tokio::test]
async fn a_key_gives_every_call_with_it_one_idempotency_key() {
    let created = (201, json!({"id": "req_1", "status": "PENDING"}));
    let (url, seen) = scripted_service(vec![created]).await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(url)
        .build()
        .unwrap();
    for key in ["refund-8842", "refund-8842", "refund-8843"] {
        client.create_request(&refund().key(key)).await.unwrap();
    }
    let keys = create_keys(&seen.lock().unwrap());
    assert_eq!(keys[0], keys[1], "one key, one Idempotency-Key");
    assert_ne!(keys[1], keys[2], "another key, another Idempotency-Key");
    assert!(
        !keys[0].contains("8842"),
        "the header does not show the key"
    );
}

/// A create that may have reached the service (a 502) is not sent again by its call; with a
/// journal, the next call with the key sends it again with the same `Idempotency-Key`.
#[tokio::test]
async fn a_journal_sends_an_unrecorded_create_again_with_its_idempotency_key() {
    let scratch = journal::Scratch::new("client-idempotency");
    let answers = vec![
        (502, json!({"error": "bad gateway"})),
        (201, json!({"id": "req_1", "status": "APPROVED"})),
        (200, json!({"id": "req_1", "status": "APPROVED"})),
    ];
    let (url, seen) = scripted_service(answers).await;
    let journal = cheqpoint::Journal::sqlite(scratch.join("journal.db")).unwrap();
    let client = Client::builder()
        .api_key(KEY)
        .base_url(url)
        .journal(journal)
        .build()
        .unwrap();
    let runs = std::sync::atomic::AtomicUsize::new(0);
    let run = || async { runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst) };
    let first = client.guard(refund().key("refund-8842"), |_| run()).await;
    assert!(
        matches!(first, Err(Error::Api { status: 502, .. })),
        "{first:?}"
    );
    client
        .guard(refund().key("refund-8842"), |_| run())
        .await
        .expect("sent again, approved and run");
    let keys = create_keys(&seen.lock().unwrap());
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1], "the same Idempotency-Key on the re-send");
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn request_sync_asks_the_service_to_answer_before_the_callers_timeout() {
    let pending = (200, json!({"status": "pending", "approvalId": "req_1"}));
    let (url, seen) = scripted_service(vec![pending]).await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(url)
        .build()
        .unwrap();
    for timeout_ms in [30_000u64, 3_000, 400] {
        // Every read is answered with a "pending" that is no record, so the wait after the
        // short wait fails (or there is no time left for one): only what was asked matters here.
        let _ = client
            .request_sync(refund(), Duration::from_millis(timeout_ms))
            .await;
        let seen = seen.lock().unwrap();
        let (_, _, body) = seen
            .iter()
            .rev()
            .find(|(path, _, _)| path == "/api/webhooks/inbound")
            .unwrap();
        let held = body["maxWaitMs"].as_u64().unwrap();
        assert!(
            held <= 10_000 && held < timeout_ms,
            "{held} ms of {timeout_ms}"
        );
        assert!(
            held >= timeout_ms.min(10_000) / 2,
            "{held} ms of {timeout_ms}"
        );
    }
}

#[tokio::test]
async fn a_call_waits_for_a_turn_no_longer_than_its_deadline() {
    // A service that accepts connections and never answers: the first exchange keeps the
    // client's one turn for the whole of its HTTP timeout (a minute).
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let (accepted, mut connections) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = silent.accept().await {
            let _ = accepted.send(stream);
        }
    });
    let client = Client::builder()
        .api_key(KEY)
        .base_url(url)
        .http_timeout(Duration::from_secs(60))
        .timeout(Duration::from_millis(500))
        .max_concurrent_requests(1)
        .build()
        .unwrap();
    let holder = {
        let client = client.clone();
        tokio::spawn(async move { client.get_request("req_held").await })
    };
    let _held = tokio::time::timeout(Duration::from_secs(10), connections.recv())
        .await
        .expect("the first exchange connects");
    let error = tokio::time::timeout(Duration::from_secs(20), client.checkpoint(refund()))
        .await
        .expect("the call ends by its deadline, not by the other exchange's")
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Congested {
                max_concurrent_requests: 1
            }
        ),
        "{error:?}"
    );
    holder.abort();
}

#[tokio::test]
async fn short_waits_held_by_the_service_leave_turns_for_reads() {
    let emulator = emulator().await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(emulator.url())
        .max_concurrent_requests(1)
        .build()
        .unwrap();
    let held = {
        let client = client.clone();
        tokio::spawn(async move { client.request_sync(refund(), Duration::from_secs(11)).await })
    };
    let pending = next_pending(&emulator).await;
    let read = tokio::time::timeout(Duration::from_secs(20), client.get_request(&pending.id))
        .await
        .expect("the read ends")
        .unwrap();
    assert_eq!(read.status, Status::Pending);
    assert!(
        !held.is_finished(),
        "the read did not wait for the held call's turn"
    );
    emulator.approve(&pending.id).unwrap();
    let decision = tokio::time::timeout(Duration::from_secs(20), held)
        .await
        .expect("the short wait ends")
        .unwrap()
        .unwrap();
    assert!(decision.is_approved());
    assert_eq!(
        emulator.call_count(cheqpoint_emulator::Route::Get),
        1,
        "the test's read only: the short wait was still held, and answered with the decision"
    );
}

/// A route that hands each POSTed body and its signature to the test.
async fn callback_receiver() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(Vec<u8>, Option<String>)>,
) {
    use axum::{Router, body::Bytes, http::HeaderMap, routing::post};
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let app = Router::new().route(
        "/decisions",
        post(move |headers: HeaderMap, body: Bytes| async move {
            let signature = headers
                .get(cheqpoint::SIGNATURE_HEADER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let _ = sender.send((body.to_vec(), signature));
            axum::Json(json!({"ok": true}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/decisions", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, receiver)
}

#[tokio::test]
async fn a_redirect_is_an_error_and_the_key_does_not_follow_it() {
    use axum::{Router, http::HeaderMap, http::StatusCode, response::Redirect, routing::any};
    use std::sync::{Arc, Mutex};

    let seen_keys = Arc::new(Mutex::new(Vec::<String>::new()));
    let recorder = Arc::clone(&seen_keys);
    let elsewhere = Router::new().fallback(any(move |headers: HeaderMap| async move {
        let key = headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        recorder.lock().unwrap().push(key);
        (
            StatusCode::OK,
            axum::Json(json!({"id": "req_1", "status": "APPROVED"})),
        )
    }));
    let other_host = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let target = format!("http://{}", other_host.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(other_host, elsewhere).await });
    let redirecting = Router::new().fallback(any(move || {
        let target = target.clone();
        async move { Redirect::temporary(&format!("{target}/api/approvals/request")) }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, redirecting).await });

    let client = Client::builder()
        .api_key("cq_live_do_not_forward")
        .base_url(base_url)
        .build()
        .unwrap();
    let error = client.checkpoint(refund()).await.unwrap_err();
    assert!(matches!(error, Error::Api { status: 307, .. }), "{error:?}");
    assert!(
        seen_keys.lock().unwrap().is_empty(),
        "nothing reached the other host"
    );
}

#[tokio::test]
async fn many_waits_share_a_bounded_number_of_exchanges() {
    use cheqpoint_emulator::Route;

    let emulator = emulator().await;
    // Every status read stalls, holding its turn: the reads that reach the emulator are those
    // that got one.
    emulator.inject("get:stall".parse().unwrap());
    let client = Client::builder()
        .api_key(KEY)
        .base_url(emulator.url())
        .timeout(Duration::from_secs(5))
        .max_concurrent_requests(2)
        .build()
        .unwrap();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let client = client.clone();
        calls.spawn(async move { client.checkpoint(refund()).await });
    }
    tokio::time::timeout(Duration::from_secs(10), async {
        while emulator.call_count(Route::Create) < 10 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("all ten create");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        emulator.call_count(Route::Get),
        2,
        "two turns, two reads in flight"
    );
    calls.abort_all();
}
