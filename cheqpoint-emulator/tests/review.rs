//! The decision API people and tests use over HTTP: decide once, list newest first, health.

mod common;

use cheqpoint_emulator::{Emulator, Status};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use common::{Api, assert_error, is_rfc3339};

#[tokio::test]
async fn the_decision_api_decides_once() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::with_key(&emulator.url(), None);
    let id = Api::new(&emulator).create(json!({})).await;
    let decide = |body: Value| {
        let api = &api;
        let id = id.clone();
        async move {
            api.post(&format!("/emulator/approvals/{id}/decision"), &body)
                .await
        }
    };

    let unknown = api
        .post(
            "/emulator/approvals/req_nope/decision",
            &json!({"decision": "approve"}),
        )
        .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "req_nope");
    assert_error(
        &decide(json!({})).await,
        StatusCode::BAD_REQUEST,
        "`decision` is required",
    );
    assert_error(
        &decide(json!({"decision": "maybe"})).await,
        StatusCode::BAD_REQUEST,
        "`decision`",
    );
    let array = decide(json!({"decision": "approve", "modifiedDetails": [1]})).await;
    assert_error(&array, StatusCode::BAD_REQUEST, "`modifiedDetails`");
    let edited_rejection = decide(json!({"decision": "reject", "modifiedDetails": {}})).await;
    assert_error(
        &edited_rejection,
        StatusCode::BAD_REQUEST,
        "`modifiedDetails`",
    );
    assert_eq!(emulator.get(&id).unwrap().status, Status::Pending);

    let (status, record) = decide(
        json!({"decision": "approve", "modifiedDetails": {"amount_cents": 5},
                                         "note": "halved", "reasonCode": "edited"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(record["status"], "APPROVED");
    assert_eq!(record["modifiedDetails"], json!({"amount_cents": 5}));
    assert_eq!(record["decisionNote"], "halved");
    assert_eq!(record["decisionReasonCode"], "edited");
    assert_eq!(record["autoDecided"], false);

    assert_error(
        &decide(json!({"decision": "reject"})).await,
        StatusCode::CONFLICT,
        "already approved",
    );
}

#[tokio::test]
async fn the_list_is_newest_first_and_filters_by_status() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let first = api
        .create(json!({"riskScore": 0.4, "webhookUrl": "http://127.0.0.1:9/hook"}))
        .await;
    let second = api.create(json!({})).await;
    let third = api.create(json!({})).await;
    emulator.approve(&first).unwrap();
    emulator.reject(&second, "no").unwrap();

    let ids = |list: Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|record| record["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, all) = api.get("/emulator/approvals").await;
    assert_eq!(status, StatusCode::OK);
    let oldest = &all[2];
    assert_eq!(oldest["action"], "process_refund");
    assert_eq!(oldest["summary"], "Refund 12000 cents on order 8842");
    assert_eq!(oldest["riskScore"], 0.4);
    assert_eq!(oldest["callbackUrl"], "http://127.0.0.1:9/hook");
    assert_eq!(oldest["status"], "APPROVED");
    assert!(is_rfc3339(&oldest["createdAt"]));
    assert_eq!(ids(all), [third.as_str(), second.as_str(), first.as_str()]);
    assert_eq!(
        ids(api.get("/emulator/approvals?status=pending").await.1),
        [third.as_str()]
    );
    assert_eq!(
        ids(api.get("/emulator/approvals?status=APPROVED").await.1),
        [first.as_str()]
    );
    assert_eq!(
        ids(api.get("/emulator/approvals?status=rejected").await.1),
        [second.as_str()]
    );
    assert_error(
        &api.get("/emulator/approvals?status=expired").await,
        StatusCode::BAD_REQUEST,
        "expired",
    );
}

#[tokio::test]
async fn health_and_inbox_page() {
    let emulator = Emulator::start().await.unwrap();
    assert_eq!(emulator.url(), format!("http://{}", emulator.addr()));
    let api = Api::with_key(&emulator.url(), None);
    assert_eq!(
        api.get("/emulator/health").await,
        (StatusCode::OK, json!({"ok": true}))
    );
    let page = reqwest::get(format!("{}/", emulator.url())).await.unwrap();
    assert!(
        page.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let text = page.text().await.unwrap();
    assert!(text.contains("Cheqpoint emulator") && text.contains("/emulator/approvals"));
}
