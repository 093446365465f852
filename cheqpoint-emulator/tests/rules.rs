//! The service rules the emulator applies by itself: expiry of pending requests, rules that
//! decide at creation, per-agent rate limits and loop protection.

mod common;

use std::time::{Duration, Instant};

use cheqpoint_emulator::{DecisionError, Emulator, Status};
use serde_json::{Value, json};

use common::{Api, is_rfc3339, next_callback, receiver, request_body};
use reqwest::StatusCode;

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

#[tokio::test]
async fn rate_limits_reject_as_records_per_agent() {
    let emulator = Emulator::builder()
        .rate_limit(2, Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let api = Api::new(&emulator);
    let (url, mut received) = receiver().await;
    for n in 0..2 {
        let id = api.create(json!({"details": {"n": n}})).await;
        assert_eq!(emulator.get(&id).unwrap().status, Status::Pending);
    }
    // The third request from this key is stored, rejected by the system, and its callback sent.
    let (status, created) = api
        .post(
            "/api/approvals/request",
            &request_body(json!({"details": {"n": 2}, "callbackUrl": url})),
        )
        .await;
    assert_eq!(
        (status, &created["status"]),
        (StatusCode::OK, &json!("REJECTED"))
    );
    let id = created["id"].as_str().unwrap();
    let (_, record) = api.get(&format!("/api/approvals/{id}")).await;
    assert_eq!(record["decisionReasonCode"], "rate_limited");
    assert_eq!(record["autoDecided"], true);
    assert_eq!(record["retryable"], true);
    assert_eq!(record["autoDecisionRuleName"], "rate limit: 2 per 1h");
    assert!(
        record["decisionNote"]
            .as_str()
            .unwrap()
            .contains("rate limit")
    );
    assert_eq!(
        next_callback(&mut received).await.json()["status"],
        "rejected"
    );

    // Another agent, by name, has its own count; the inbound route answers in lower case.
    let (_, answer) = api
        .post(
            "/api/webhooks/inbound",
            &request_body(json!({"agentName": "other", "maxWaitMs": 10})),
        )
        .await;
    assert_eq!(answer["status"], "pending");
    let (_, answer) = api
        .post("/api/webhooks/inbound", &request_body(json!({})))
        .await;
    assert_eq!(answer["status"], "rejected");
    assert_eq!(emulator.created_count(), 5);
}

#[tokio::test]
async fn loop_protection_rejects_the_same_request_sent_again() {
    let emulator = Emulator::builder()
        .loop_protection(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let api = Api::new(&emulator);
    let first = api.create(json!({})).await;
    let other = api.create(json!({"details": {"order_id": "1"}})).await;
    let again = api.create(json!({})).await;
    assert_eq!(emulator.get(&first).unwrap().status, Status::Pending);
    assert_eq!(emulator.get(&other).unwrap().status, Status::Pending);
    let looped = emulator.get(&again).unwrap();
    assert_eq!(looped.status, Status::Rejected);
    assert_eq!(
        looped.decision_reason_code.as_deref(),
        Some("loop_detected")
    );
    assert!(looped.retryable && looped.auto_decided);

    // A restart forgets what the agents sent, as it forgets the requests.
    emulator.restart();
    // The restart closed the client's connections: a new client.
    let after = Api::new(&emulator).create(json!({})).await;
    assert_eq!(emulator.get(&after).unwrap().status, Status::Pending);
}

#[tokio::test]
async fn many_pending_requests_expire_each_at_its_time() {
    let emulator = Emulator::builder()
        .expiry(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let api = Api::new(&emulator);
    let mut ids = Vec::new();
    for _ in 0..50 {
        ids.push(api.create(json!({})).await);
    }
    emulator.approve(&ids[10]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while emulator
        .requests()
        .iter()
        .any(|record| record.status == Status::Pending)
    {
        assert!(Instant::now() < deadline, "not all expired within 5 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for (n, id) in ids.iter().enumerate() {
        let record = emulator.get(id).unwrap();
        let reason = record.decision_reason_code.as_deref();
        if n == 10 {
            assert_eq!((record.status, reason), (Status::Approved, None));
        } else {
            assert_eq!(
                (record.status, reason),
                (Status::Rejected, Some("expired")),
                "{n}"
            );
        }
    }
}
