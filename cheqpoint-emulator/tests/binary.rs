//! The `cheqpoint-emulator` binary: what it prints and the flags it takes.

mod common;

use reqwest::StatusCode;
use serde_json::json;

use common::{Api, Running, assert_error, request_body};

#[tokio::test]
async fn the_binary_prints_its_address_first_and_takes_the_flags() {
    let mut running = Running::spawn(&[
        "--bind",
        "127.0.0.1:0",
        "--api-key",
        "cq_bin",
        "--auto-approve-below",
        "0.3",
        "--expiry",
        "100ms",
    ]);
    let first_line = running.read_line();
    let url = first_line
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|port| port.strip_suffix('\n'))
        .filter(|port| port.parse::<u16>().is_ok())
        .map(|port| format!("http://127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("first line: {first_line:?}"));

    let wrong = Api::with_key(&url, Some("cq_other"));
    assert_error(
        &wrong
            .post("/api/approvals/request", &request_body(json!({})))
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid API key",
    );
    let api = Api::with_key(&url, Some("cq_bin"));
    let (_, created) = api
        .post(
            "/api/approvals/request",
            &request_body(json!({"riskScore": 0.1})),
        )
        .await;
    assert_eq!(created["status"], "APPROVED");
    let (_, answer) = api
        .post(
            "/api/webhooks/inbound",
            &request_body(json!({"riskScore": 0.5, "maxWaitMs": 5_000})),
        )
        .await;
    assert_eq!(answer["status"], "rejected", "expired after 100 ms");
    drop(running);
}

#[tokio::test]
async fn the_binary_takes_rate_limits_and_loop_protection() {
    let mut running = Running::spawn(&[
        "--bind",
        "127.0.0.1:0",
        "--rate-limit",
        "2/1h",
        "--loop-protection",
        "1m",
    ]);
    let url = running.url();
    let api = Api::with_key(&url, Some("cq_bin"));
    let status = |extra| {
        let api = &api;
        async move {
            let (_, created) = api
                .post("/api/approvals/request", &request_body(extra))
                .await;
            created["status"].clone()
        }
    };
    assert_eq!(status(json!({})).await, "PENDING");
    assert_eq!(
        status(json!({})).await,
        "REJECTED",
        "the same request again: a loop"
    );
    assert_eq!(
        status(json!({"details": {"n": 3}})).await,
        "REJECTED",
        "the third in an hour"
    );

    let refused = common::binary()
        .args(["--rate-limit", "fifty/1h"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not a whole number"),
        "{refused:?}"
    );
}
