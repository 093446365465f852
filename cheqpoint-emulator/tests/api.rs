//! The agent API (docs/protocol.md §1–3) over real HTTP on loopback: the records and answers it gives.

mod common;

use std::time::{Duration, Instant};

use cheqpoint_emulator::{Emulator, Endpoint};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Api, KEY, is_rfc3339, next_pending, request_body};

#[tokio::test]
async fn create_then_get_answers_upper_case_camel_case_records() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let trace = json!({"steps": [{"type": "thought", "content": "refund", "timestamp": "2025-01-01T00:00:00Z"}]});
    let (status, created) = api
        .post(
            "/api/approvals/request",
            &request_body(json!({"riskScore": null, "justification": "customer asked",
                                 "trace": trace, "apiKey": KEY, "somethingNew": [1, 2]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(created["status"], "PENDING");
    let id = created["id"].as_str().unwrap();
    let suffix = id.strip_prefix("req_").unwrap();
    assert_eq!(suffix.len(), 20);
    assert!(suffix.chars().all(|c| c.is_ascii_alphanumeric()));

    let (status, record) = api.get(&format!("/api/approvals/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(record["id"], id);
    assert_eq!(record["status"], "PENDING");
    assert_eq!(
        record["details"],
        json!({"order_id": "8842", "amount_cents": 12000})
    );
    assert_eq!(record["trace"], trace);
    assert_eq!(record["justification"], "customer asked");
    assert_eq!(record["autoDecided"], false);
    assert_eq!(record["retryable"], false);
    for absent in [
        "modifiedDetails",
        "decisionNote",
        "responseNotes",
        "decisionReasonCode",
        "autoDecisionRuleName",
        "decidedAt",
    ] {
        assert_eq!(record[absent], Value::Null, "{absent}");
    }
    assert!(is_rfc3339(&record["createdAt"]));

    emulator
        .approve_with(id, json!({"order_id": "8842", "amount_cents": 9000}))
        .unwrap();
    let (_, record) = api.get(&format!("/api/approvals/{id}")).await;
    assert_eq!(record["status"], "APPROVED");
    assert_eq!(
        record["modifiedDetails"],
        json!({"order_id": "8842", "amount_cents": 9000})
    );
    assert!(is_rfc3339(&record["decidedAt"]));
}

#[tokio::test]
async fn inbound_answers_inline_as_soon_as_a_decision_comes() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let held = request_body(json!({"maxWaitMs": 10_000}));
    let started = Instant::now();
    let agent = api.post("/api/webhooks/inbound", &held);
    let reviewer = async {
        let request = next_pending(&emulator).await;
        assert_eq!(request.endpoint, Endpoint::Inbound);
        emulator
            .approve_with(
                &request.id,
                json!({"order_id": "8842", "amount_cents": 100}),
            )
            .unwrap()
    };
    let ((status, answer), decided) = tokio::join!(agent, reviewer);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "held until {:?}",
        started.elapsed()
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["status"], "approved");
    assert_eq!(answer["approvalId"], decided.id.as_str());
    assert_eq!(
        answer["modifiedDetails"],
        json!({"order_id": "8842", "amount_cents": 100})
    );
    assert!(answer.get("decisionNote").is_some());
    assert!(answer.get("reviewUrl").is_none());

    let agent = api.post("/api/webhooks/inbound", &held);
    let reviewer = async {
        let request = next_pending(&emulator).await;
        emulator.reject(&request.id, "not today").unwrap()
    };
    let ((_, answer), _) = tokio::join!(agent, reviewer);
    assert_eq!(answer["status"], "rejected");
    assert_eq!(answer["decisionNote"], "not today");
    assert_eq!(answer["modifiedDetails"], Value::Null);
}

#[tokio::test]
async fn inbound_still_pending_after_the_wait_gives_a_review_url() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let started = Instant::now();
    let (status, answer) = api
        .post(
            "/api/webhooks/inbound",
            &request_body(json!({"maxWaitMs": 150})),
        )
        .await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["status"], "pending");
    let id = answer["approvalId"].as_str().unwrap();
    assert_eq!(
        answer["reviewUrl"],
        format!("{}/#/approvals/{id}", emulator.url())
    );
    assert!(answer.get("decisionNote").is_none());

    let started = Instant::now();
    let (_, answer) = api
        .post("/api/webhooks/inbound", &request_body(json!({})))
        .await;
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(answer["status"], "pending");
    let record = emulator
        .get(answer["approvalId"].as_str().unwrap())
        .unwrap();
    assert_eq!(record.risk_level.as_deref(), Some("medium"));
    assert_eq!(record.priority.as_deref(), Some("normal"));
}
