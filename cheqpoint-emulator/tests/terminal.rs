//! The terminal reviewer, driven through its input as a person would type.

use std::time::Duration;

use cheqpoint_emulator::{ApprovalRecord, Emulator, Status, TerminalReviewer};
use serde_json::json;

/// Sends one request through the API, lets the reviewer answer `typed`, and returns the
/// record and what the reviewer printed.
async fn review(typed: &str, editor: Option<&str>) -> (ApprovalRecord, String) {
    let emulator = Emulator::start().await.unwrap();
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/approvals/request", emulator.url()))
        .header("x-api-key", "cq_test_terminal")
        .json(&json!({"action": "process_refund", "summary": "Refund 120.00", "details": {"amount": 12000},
                      "riskScore": 0.8, "justification": "charged twice"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut printed = Vec::new();
    let mut reviewer =
        TerminalReviewer::new(typed.as_bytes(), &mut printed).editor(editor.map(str::to_owned));
    tokio::time::timeout(Duration::from_secs(5), reviewer.review_next(&emulator))
        .await
        .expect("the reviewer answers from its input")
        .unwrap();
    let record = emulator.get(created["id"].as_str().unwrap()).unwrap();
    (record, String::from_utf8(printed).unwrap())
}

#[tokio::test]
async fn shows_the_request_and_approves_it() {
    let (record, printed) = review("a\n", None).await;
    assert_eq!(record.status, Status::Approved);
    for shown in [
        "process_refund",
        "Refund 120.00",
        "risk 0.80 (high)",
        "why: charged twice",
        "\"amount\": 12000",
    ] {
        assert!(printed.contains(shown), "{shown} missing from:\n{printed}");
    }
}

#[tokio::test]
async fn rejects_with_a_note() {
    let (record, _) = review("x\nr\nnot today\n", None).await;
    assert_eq!(record.status, Status::Rejected);
    assert_eq!(record.decision_note.as_deref(), Some("not today"));
}

#[tokio::test]
async fn edits_as_a_json_line_and_refuses_what_is_not_an_object() {
    let (record, printed) = review("e\n{oops\ne\n[1]\ne\n{\"amount\": 9000}\n", None).await;
    assert_eq!(record.status, Status::Approved);
    assert_eq!(record.modified_details, Some(json!({"amount": 9000})));
    assert!(printed.contains("not applied: not JSON"), "{printed}");
    assert!(
        printed.contains("not applied: the details must be a JSON object"),
        "{printed}"
    );
}

#[tokio::test]
async fn edits_in_the_editor() {
    let (record, _) = review("e\n", Some("sed -i 's/12000/500/'")).await;
    assert_eq!(record.status, Status::Approved);
    assert_eq!(record.modified_details, Some(json!({"amount": 500})));
}

#[tokio::test]
async fn leaves_the_request_pending_when_the_input_ends() {
    let (record, _) = review("", None).await;
    assert_eq!(record.status, Status::Pending);
}
