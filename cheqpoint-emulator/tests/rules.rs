//! The service rules the emulator applies by itself: expiry of pending requests, and rules that decide at creation.

mod common;

use std::time::{Duration, Instant};

use cheqpoint_emulator::{DecisionError, Emulator, Status};
use serde_json::{Value, json};

use common::{Api, is_rfc3339, next_callback, receiver, request_body};

#[tokio::test]
async fn pending_requests_expire_as_retryable_rejections() {
    let emulator = Emulator::builder()
        .expiry(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let api = Api::new(&emulator);
    let (url, mut received) = receiver().await;
    let id = api.create(json!({"webhookUrl": url})).await;

    // A held inbound call is answered when its request expires.
    let started = Instant::now();
    let (_, answer) = api
        .post(
            "/api/webhooks/inbound",
            &request_body(json!({"maxWaitMs": 5_000})),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(answer["status"], "rejected");
    assert!(answer["decisionNote"].as_str().unwrap().contains("expired"));

    let callback = next_callback(&mut received).await.json();
    assert_eq!(
        (&callback["id"], &callback["status"]),
        (&json!(id), &json!("rejected"))
    );
    let (_, record) = api.get(&format!("/api/approvals/{id}")).await;
    assert_eq!(record["status"], "REJECTED");
    assert_eq!(record["retryable"], true);
    assert_eq!(record["decisionReasonCode"], "expired");
    assert!(record["decisionNote"].as_str().unwrap().contains("expired"));
    assert!(is_rfc3339(&record["decidedAt"]));
    assert!(matches!(
        emulator.approve(&id),
        Err(DecisionError::AlreadyDecided {
            status: Status::Rejected,
            ..
        })
    ));
}

#[tokio::test]
async fn rules_decide_at_creation() {
    let emulator = Emulator::builder()
        .auto_approve_below(0.3)
        .auto_reject_above(0.8)
        .start()
        .await
        .unwrap();
    let api = Api::new(&emulator);

    let create = |extra: Value| {
        let api = &api;
        async move {
            let (_, created) = api
                .post("/api/approvals/request", &request_body(extra))
                .await;
            let (_, record) = api
                .get(&format!(
                    "/api/approvals/{}",
                    created["id"].as_str().unwrap()
                ))
                .await;
            (created["status"].clone(), record)
        }
    };
    let (status, record) = create(json!({"riskScore": 0.1})).await;
    assert_eq!(status, "APPROVED");
    assert_eq!(record["autoDecided"], true);
    assert_eq!(record["autoDecisionRuleName"], "auto-approve below 0.3");
    assert!(is_rfc3339(&record["decidedAt"]));

    let (status, record) = create(json!({"riskScore": 0.95})).await;
    assert_eq!(status, "REJECTED");
    assert_eq!(record["autoDecisionRuleName"], "auto-reject above 0.8");
    assert_eq!(record["retryable"], false);

    let (status, record) = create(json!({"riskScore": 0.5})).await;
    assert_eq!(status, "PENDING");
    assert_eq!(record["autoDecided"], false);

    assert_eq!(create(json!({"riskLevel": "low"})).await.0, "APPROVED");

    for (level, expected) in [("low", "approved"), ("high", "rejected")] {
        let (_, answer) = api
            .post(
                "/api/webhooks/inbound",
                &request_body(json!({"riskLevel": level})),
            )
            .await;
        assert_eq!(answer["status"], expected, "{level}");
    }
    let (_, answer) = api
        .post("/api/webhooks/inbound", &request_body(json!({})))
        .await;
    assert_eq!(answer["status"], "pending", "medium by default");

    let pending: Vec<Status> = emulator
        .requests()
        .iter()
        .map(|record| record.status)
        .collect();
    assert_eq!(
        pending
            .iter()
            .filter(|status| **status == Status::Pending)
            .count(),
        2
    );
}
