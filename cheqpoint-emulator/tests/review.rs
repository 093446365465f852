//! The decision API people and tests use over HTTP: decide once, list newest first a page at a
//! time with what the inbox shows of each request, health.

mod common;

use std::time::Duration;

use cheqpoint_emulator::{Emulator, Status};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use common::{Api, assert_error, is_rfc3339, request_body};

/// The ids of a list of records, in order.
fn ids(list: Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|record| record["id"].as_str().unwrap().to_owned())
        .collect()
}

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
    let page = common::http()
        .get(format!("{}/", emulator.url()))
        .send()
        .await
        .unwrap();
    assert!(
        page.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let text = page.text().await.unwrap();
    assert!(text.contains("Cheqpoint emulator") && text.contains("/emulator/approvals"));
}

#[tokio::test]
async fn records_carry_what_the_inbox_shows() {
    let emulator = Emulator::builder()
        .expiry(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let api = Api::new(&emulator);
    let (_, answer) = api
        .post(
            "/api/webhooks/inbound",
            &request_body(json!({
                "riskLevel": "high", "priority": "urgent", "agentName": "billing-bot",
                "metadata": {"ticket": "T-9"}, "callbackUrl": "http://127.0.0.1:9/hook",
            })),
        )
        .await;
    let id = answer["approvalId"].as_str().unwrap();
    let (_, listed) = api.get("/emulator/approvals").await;
    let record = &listed[0];
    assert_eq!(record["id"], json!(id));
    assert_eq!(record["riskLevel"], "high");
    assert_eq!(record["priority"], "urgent");
    assert_eq!(record["agentName"], "billing-bot");
    assert_eq!(record["metadata"], json!({"ticket": "T-9"}));
    assert_eq!(record["callbackDelivery"], Value::Null);
    let time = |field: &str| humantime::parse_rfc3339(record[field].as_str().unwrap()).unwrap();
    assert_eq!(
        time("expiresAt").duration_since(time("createdAt")).unwrap(),
        Duration::from_secs(3600)
    );
}

#[tokio::test]
async fn the_list_comes_a_page_at_a_time() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(api.create(json!({})).await);
    }
    emulator.approve(&created[3]).unwrap();
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    let first = ids(api.get("/emulator/approvals?limit=2").await.1);
    assert_eq!(first, newest_first[..2]);
    let second = ids(api
        .get(&format!("/emulator/approvals?limit=2&before={}", first[1]))
        .await
        .1);
    assert_eq!(second, newest_first[2..4]);
    let last = ids(api
        .get(&format!("/emulator/approvals?limit=2&before={}", second[1]))
        .await
        .1);
    assert_eq!(last, newest_first[4..]);
    let pending = ids(api
        .get(&format!(
            "/emulator/approvals?status=pending&limit=2&before={}",
            created[4]
        ))
        .await
        .1);
    assert_eq!(
        pending,
        [created[2].clone(), created[1].clone()],
        "skips the approved one"
    );
    assert_eq!(ids(api.get("/emulator/approvals").await.1), newest_first);

    for limit in ["0", "1001", "-1", "ten"] {
        assert_error(
            &api.get(&format!("/emulator/approvals?limit={limit}")).await,
            StatusCode::BAD_REQUEST,
            "`limit`",
        );
    }
    assert_error(
        &api.get("/emulator/approvals?before=req_gone").await,
        StatusCode::NOT_FOUND,
        "req_gone",
    );
}

#[tokio::test]
async fn a_page_holds_a_hundred_records_unless_asked() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    for _ in 0..101 {
        api.create(json!({})).await;
    }
    let (_, page) = api.get("/emulator/approvals").await;
    assert_eq!(page.as_array().map(Vec::len), Some(100));
    let (_, page) = api.get("/emulator/approvals?limit=1000").await;
    assert_eq!(page.as_array().map(Vec::len), Some(101));
}
