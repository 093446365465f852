//! The caps on long-lived calls: event streams and short-wait calls held for a decision. Over a
//! cap, 503 with a body that says so, and nothing created.

mod common;

use std::time::{Duration, Instant};

use cheqpoint_emulator::Emulator;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use common::{Api, assert_error, http, request_body};

#[tokio::test]
async fn event_streams_are_capped() {
    let emulator = Emulator::builder()
        .max_event_streams(2)
        .start()
        .await
        .unwrap();
    let events = format!("{}/emulator/events", emulator.url());
    let first = http().get(&events).send().await.unwrap();
    let second = http().get(&events).send().await.unwrap();
    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    let over = http().get(&events).send().await.unwrap();
    assert_eq!(over.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = over.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("too many open event streams (at most 2"),
        "{body}"
    );

    // A page that goes away gives its place back.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let next = http().get(&events).send().await.unwrap();
        if next.status() == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the closed stream's place is still taken after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A short-wait call held up to 10 s, in a task of its own.
fn hold(emulator: &Emulator) -> JoinHandle<(StatusCode, Value)> {
    let api = Api::new(emulator);
    let body = request_body(json!({"maxWaitMs": 10_000}));
    tokio::spawn(async move { api.post("/api/webhooks/inbound", &body).await })
}

/// Waits up to 5 s for what `call` answers.
async fn answered(call: JoinHandle<(StatusCode, Value)>) -> (StatusCode, Value) {
    tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("the held call ends once decided")
        .unwrap()
}

#[tokio::test]
async fn held_calls_are_capped_and_over_the_cap_nothing_is_created() {
    let emulator = Emulator::builder().max_held_calls(1).start().await.unwrap();
    let api = Api::new(&emulator);
    let held = hold(&emulator);
    let first = emulator
        .next_pending(Duration::from_secs(5))
        .await
        .expect("the held call created its request");

    let over = api
        .post(
            "/api/webhooks/inbound",
            &request_body(json!({"maxWaitMs": 5_000})),
        )
        .await;
    assert_error(
        &over,
        StatusCode::SERVICE_UNAVAILABLE,
        "too many short-wait calls held",
    );
    assert_eq!(
        emulator.created_count(),
        1,
        "the refused call created nothing"
    );
    let (status, unheld) = api
        .post("/api/webhooks/inbound", &request_body(json!({})))
        .await;
    assert_eq!(
        (status, &unheld["status"]),
        (StatusCode::OK, &json!("pending"))
    );
    emulator
        .reject(unheld["approvalId"].as_str().unwrap(), "no")
        .unwrap();

    emulator.approve(&first.id).unwrap();
    assert_eq!(answered(held).await.1["status"], "approved");
    // Its place is free again.
    let again = hold(&emulator);
    let next = emulator
        .next_pending(Duration::from_secs(5))
        .await
        .expect("the second held call created its request");
    emulator.reject(&next.id, "no").unwrap();
    let (status, answer) = answered(again).await;
    assert_eq!(
        (status, &answer["status"]),
        (StatusCode::OK, &json!("rejected"))
    );
}
