//! Callback delivery: decisions POSTed to `callbackUrl`, signed with a webhook secret, and recorded.

mod common;

use cheqpoint_emulator::Emulator;
use serde_json::json;
use tokio::net::TcpListener;

use common::{Api, deliveries, hmac_hex, next_callback, receiver, request_body};

#[tokio::test]
async fn callbacks_are_posted_and_signed() {
    let emulator = Emulator::builder()
        .webhook_secret("whsec_test")
        .start()
        .await
        .unwrap();
    let api = Api::new(&emulator);
    let (url, mut received) = receiver().await;

    let approved = api.create(json!({"webhookUrl": url})).await;
    emulator
        .approve_with(&approved, json!({"order_id": "8842", "amount_cents": 1}))
        .unwrap();
    let callback = next_callback(&mut received).await;
    assert_eq!(
        callback.signature,
        Some(hmac_hex("whsec_test", &callback.body))
    );
    assert_eq!(
        callback.json(),
        json!({"approvalId": approved, "id": approved, "status": "approved",
               "modifiedDetails": {"order_id": "8842", "amount_cents": 1},
               "decisionNote": null,
               "details": {"order_id": "8842", "amount_cents": 12000}})
    );

    let (_, answer) = api
        .post(
            "/api/webhooks/inbound",
            &request_body(json!({"callbackUrl": url})),
        )
        .await;
    assert_eq!(answer["status"], "pending");
    let rejected = answer["approvalId"].as_str().unwrap();
    emulator.reject(rejected, "too large").unwrap();
    let callback = next_callback(&mut received).await;
    assert_eq!(
        callback.signature,
        Some(hmac_hex("whsec_test", &callback.body))
    );
    let body = callback.json();
    assert_eq!(
        (&body["approvalId"], &body["status"]),
        (&json!(rejected), &json!("rejected"))
    );
    assert_eq!(body["decisionNote"], "too large");

    let log = deliveries(&emulator, 2).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].approval_id, approved);
    assert_eq!(log[0].url, url);
    assert_eq!(log[0].outcome, Ok(200));
    assert_eq!(
        log[0].signature,
        Some(hmac_hex("whsec_test", log[0].body.as_bytes()))
    );
}

#[tokio::test]
async fn a_failed_callback_is_recorded_and_unsigned_without_a_secret() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/hook");
    let id = api.create(json!({"webhookUrl": url})).await;
    emulator.approve(&id).unwrap();

    let log = deliveries(&emulator, 1).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].url, url);
    assert_eq!(log[0].signature, None);
    assert!(log[0].outcome.is_err(), "{:?}", log[0].outcome);
    assert_eq!(api.get("/emulator/health").await.1, json!({"ok": true}));
}
