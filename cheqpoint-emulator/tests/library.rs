//! The in-process API of `Emulator`: next_pending, reads, decisions, and stopping on drop.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cheqpoint_emulator::{ApprovalRecord, DecisionError, Emulator, Endpoint, Status};
use serde_json::json;

use common::{Api, next_pending};

#[tokio::test]
async fn next_pending_hands_out_each_pending_request_once_oldest_first() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let short = Duration::from_millis(50);
    assert!(emulator.next_pending(short).await.is_none());

    let first = api.create(json!({})).await;
    let second = api.create(json!({})).await;
    let decided = api.create(json!({})).await;
    emulator.approve(&decided).unwrap();
    assert_eq!(next_pending(&emulator).await.id, first);
    assert_eq!(next_pending(&emulator).await.id, second);
    assert!(emulator.next_pending(short).await.is_none());

    // A reviewer task waits for a request that arrives later.
    let emulator = Arc::new(emulator);
    let reviewer = tokio::spawn({
        let emulator = Arc::clone(&emulator);
        async move { next_pending(&emulator).await }
    });
    tokio::time::sleep(short).await;
    let created = api.create(json!({})).await;
    let waited = tokio::time::timeout(Duration::from_secs(3), reviewer).await;
    assert_eq!(waited.unwrap().unwrap().id, created);
}

#[tokio::test]
async fn the_library_api_reads_and_decides() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let first = api.create(json!({"riskLevel": "high"})).await;
    let second = api.create(json!({})).await;

    let requests: Vec<ApprovalRecord> = emulator.requests();
    let ids: Vec<&str> = requests.iter().map(|record| record.id.as_str()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str()]);
    let record = emulator.get(&first).unwrap();
    assert_eq!(record.endpoint, Endpoint::Request);
    assert_eq!(record.action, "process_refund");
    assert_eq!(record.risk_level.as_deref(), Some("high"));
    assert_eq!(record.risk_score, None);
    assert!(emulator.get("req_nope").is_none());

    assert!(
        matches!(emulator.approve("req_nope"), Err(DecisionError::NotFound(id)) if id == "req_nope")
    );
    assert!(matches!(
        emulator.approve_with(&first, json!(["not", "an", "object"])),
        Err(DecisionError::InvalidModifiedDetails)
    ));
    let rejected = emulator.reject(&first, "risky").unwrap();
    assert_eq!(rejected.status, Status::Rejected);
    assert_eq!(rejected.decision_note.as_deref(), Some("risky"));
    assert!(rejected.decided_at.is_some());
    assert!(!rejected.retryable);
    assert!(matches!(
        emulator.approve(&first),
        Err(DecisionError::AlreadyDecided {
            status: Status::Rejected,
            ..
        })
    ));
    assert_eq!(
        emulator.approve(second.clone()).unwrap().status,
        Status::Approved
    );
}

#[tokio::test]
async fn dropping_the_emulator_stops_the_server() {
    let emulator = Emulator::start().await.unwrap();
    let url = format!("{}/emulator/health", emulator.url());
    assert!(common::http().get(&url).send().await.is_ok());
    drop(emulator);
    let deadline = Instant::now() + Duration::from_secs(1);
    while common::http().get(&url).send().await.is_ok() {
        assert!(Instant::now() < deadline, "still serving after drop");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
