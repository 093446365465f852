//! The checks in front of the routes: the API key on the agent API.

mod common;

use cheqpoint_emulator::Emulator;
use reqwest::StatusCode;
use serde_json::json;

use common::{Api, assert_error, request_body};

#[tokio::test]
async fn a_configured_api_key_is_the_only_one_accepted() {
    let emulator = Emulator::builder()
        .api_key("cq_test_k")
        .start()
        .await
        .unwrap();
    let body = request_body(json!({}));
    for path in ["/api/approvals/request", "/api/webhooks/inbound"] {
        let missing = Api::with_key(&emulator.url(), None).post(path, &body).await;
        assert_error(&missing, StatusCode::UNAUTHORIZED, "x-api-key");
        let wrong = Api::with_key(&emulator.url(), Some("cq_test_other"))
            .post(path, &body)
            .await;
        assert_eq!(
            wrong,
            (
                StatusCode::UNAUTHORIZED,
                json!({"error": "invalid API key"})
            )
        );
        let right = Api::with_key(&emulator.url(), Some("cq_test_k"))
            .post(path, &body)
            .await;
        assert_eq!(right.0, StatusCode::OK);
    }
    let wrong = Api::with_key(&emulator.url(), Some("cq_test_other"));
    let id = &emulator.requests()[0].id;
    assert_error(
        &wrong.get(&format!("/api/approvals/{id}")).await,
        StatusCode::UNAUTHORIZED,
        "invalid API key",
    );
    assert_eq!(
        emulator.requests().len(),
        2,
        "rejected calls created nothing"
    );
}

#[tokio::test]
async fn without_a_configured_key_any_non_empty_key_is_accepted() {
    let emulator = Emulator::start().await.unwrap();
    let body = request_body(json!({}));
    let path = "/api/approvals/request";
    let any = Api::with_key(&emulator.url(), Some("whatever"))
        .post(path, &body)
        .await;
    assert_eq!(any.0, StatusCode::OK);
    let empty = Api::with_key(&emulator.url(), Some(""))
        .post(path, &body)
        .await;
    assert_error(&empty, StatusCode::UNAUTHORIZED, "x-api-key");
    let missing = Api::with_key(&emulator.url(), None).post(path, &body).await;
    assert_error(&missing, StatusCode::UNAUTHORIZED, "x-api-key");
    // The review side needs no key.
    let review = Api::with_key(&emulator.url(), None)
        .get("/emulator/approvals")
        .await;
    assert_eq!(review.0, StatusCode::OK);
}
