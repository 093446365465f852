//! Bad input to the agent API: every odd body, header and field gets a JSON 4xx naming the cause, and creates nothing.

mod common;

use std::time::Duration;

use cheqpoint_emulator::Emulator;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use common::{Api, KEY, assert_error, request_body};

#[tokio::test]
async fn bad_input_gets_a_json_error() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let valid = request_body(json!({}));
    let without = |field: &str| {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let with = |extra: Value| request_body(extra);
    let bad_bodies = [
        (without("action"), "`action` is required"),
        (
            with(json!({"action": ""})),
            "`action` must be a non-empty string",
        ),
        (with(json!({"action": 7})), "`action`"),
        (without("summary"), "`summary` is required"),
        (with(json!({"summary": ["a"]})), "`summary`"),
        (without("details"), "`details` is required"),
        (
            with(json!({"details": [1, 2]})),
            "`details` must be a JSON object",
        ),
        (with(json!({"details": "text"})), "`details`"),
        (with(json!({"riskScore": 1.5})), "`riskScore`"),
        (with(json!({"riskScore": -0.1})), "`riskScore`"),
        (with(json!({"riskScore": "high"})), "`riskScore`"),
        (with(json!({"riskLevel": "extreme"})), "`riskLevel`"),
        (with(json!({"justification": 3})), "`justification`"),
        (with(json!({"trace": "thinking"})), "`trace`"),
        (with(json!({"webhookUrl": "not a url"})), "`webhookUrl`"),
        (
            with(json!({"callbackUrl": "ftp://example.com"})),
            "`callbackUrl`",
        ),
        (
            with(json!({"callbackUrl": "http://a.example", "webhookUrl": "http://b.example"})),
            "different",
        ),
        (with(json!({"priority": "soon"})), "`priority`"),
        (with(json!({"metadata": 1})), "`metadata`"),
        (with(json!({"agentName": false})), "`agentName`"),
        (json!([1, 2]), "JSON object"),
    ];
    for path in ["/api/approvals/request", "/api/webhooks/inbound"] {
        for (body, needle) in &bad_bodies {
            assert_error(&api.post(path, body).await, StatusCode::BAD_REQUEST, needle);
        }
    }
    for max_wait in [json!(-5), json!("100"), json!(1.5)] {
        let answer = api
            .post(
                "/api/webhooks/inbound",
                &with(json!({"maxWaitMs": max_wait})),
            )
            .await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "`maxWaitMs`");
    }
    let path = "/api/approvals/request";
    let unparseable = api
        .post_raw(path, "application/json", "{\"action\":".into())
        .await;
    assert_error(&unparseable, StatusCode::BAD_REQUEST, "JSON");
    let not_json = api.post_raw(path, "text/plain", valid.to_string()).await;
    assert_error(
        &not_json,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Content-Type",
    );
    let huge = with(json!({"details": {"blob": "x".repeat(1_100_000)}}));
    assert_error(
        &api.post(path, &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "limit",
    );
    assert!(
        emulator.requests().is_empty(),
        "no bad call created a request"
    );

    assert_error(
        &api.get("/api/approvals/req_unknown").await,
        StatusCode::NOT_FOUND,
        "req_unknown",
    );
    assert_error(
        &api.get("/api/approvals/%FF").await,
        StatusCode::BAD_REQUEST,
        "UTF-8",
    );
    assert_error(
        &api.get("/nowhere").await,
        StatusCode::NOT_FOUND,
        "/nowhere",
    );
    assert_error(
        &api.get(path).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
    );
}

/// Bodies and headers no client should send: each gets a 4xx JSON error, nothing is created, and
/// the server goes on serving (a panic would drop the connection instead of answering).

#[tokio::test]
async fn odd_bodies_and_headers_are_refused_without_a_panic() {
    let emulator = Emulator::builder().api_key(KEY).start().await.unwrap();
    let http = common::http_with_timeout(Duration::from_secs(30));
    let send = |path: &'static str, key: Vec<u8>, content_type: &'static str, body: Vec<u8>| {
        let request = http
            .post(format!("{}{path}", emulator.url()))
            .header(CONTENT_TYPE, content_type)
            .header(
                "x-api-key",
                reqwest::header::HeaderValue::from_bytes(&key).unwrap(),
            )
            .body(body);
        async move {
            let response = request.send().await.expect("answered, not dropped");
            let status = response.status();
            let body: Value = response.json().await.expect("a JSON error body");
            (status, body)
        }
    };
    let key = || KEY.as_bytes().to_vec();
    let json = "application/json";
    let nested = format!(
        "{{\"details\": {}{}}}",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let mut wide = serde_json::Map::new();
    for n in 0..20_000 {
        wide.insert(format!("k{n}"), json!(n));
    }
    let odd_bodies: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "JSON"),
        (b"null".to_vec(), "JSON object"),
        (b"\"details\"".to_vec(), "JSON object"),
        (b"[]".to_vec(), "JSON object"),
        (vec![0xff, 0xfe, b'{', b'}'], "JSON"),
        (
            b"{\"action\": \"a\", \"summary\": \"s\", \"details\": {}} trailing".to_vec(),
            "JSON",
        ),
        (nested.into_bytes(), "JSON"),
        (
            br#"{"action": "a", "summary": "s", "details": {}, "riskScore": 1e400}"#.to_vec(),
            "JSON",
        ),
        (
            br#"{"action": "a\u0000", "summary": "s", "details": []}"#.to_vec(),
            "`details`",
        ),
        (
            br#"{"action": "a", "summary": "s", "details": {"x": 1}, "details": null}"#.to_vec(),
            "`details`",
        ),
        (
            json!({"action": "a", "summary": "s", "details": wide, "riskScore": "0.5"})
                .to_string()
                .into_bytes(),
            "`riskScore`",
        ),
        (
            json!({"action": "a", "summary": "s", "details": {}, "maxWaitMs": 1e300})
                .to_string()
                .into_bytes(),
            "`maxWaitMs`",
        ),
    ];
    for path in ["/api/approvals/request", "/api/webhooks/inbound"] {
        for (body, needle) in &odd_bodies {
            if *needle == "`maxWaitMs`" && path != "/api/webhooks/inbound" {
                continue;
            }
            let answer = send(path, key(), json, body.clone()).await;
            assert!(
                answer.0.is_client_error(),
                "{path} {:?}: {answer:?}",
                String::from_utf8_lossy(&body[..body.len().min(80)])
            );
            assert_error(&answer, answer.0, needle);
        }
        let valid = request_body(json!({})).to_string().into_bytes();
        let long_key = vec![b'k'; 8 * 1024];
        let odd_keys: [Vec<u8>; 4] = [
            long_key,
            vec![0xc3, 0x28],
            b" ".to_vec(),
            b"cq_test_emulatos".to_vec(),
        ];
        for odd_key in odd_keys {
            let answer = send(path, odd_key, json, valid.clone()).await;
            assert_error(&answer, StatusCode::UNAUTHORIZED, "API key");
        }
        let answer = send(
            path,
            key(),
            "application/x-www-form-urlencoded",
            valid.clone(),
        )
        .await;
        assert_error(&answer, StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type");
    }
    assert_eq!(emulator.created_count(), 0, "no odd call created a request");
    let answer = send(
        "/api/approvals/request",
        key(),
        "application/json; charset=utf-8",
        request_body(json!({})).to_string().into_bytes(),
    )
    .await;
    assert_eq!(
        answer.0,
        StatusCode::OK,
        "a charset parameter is fine: {answer:?}"
    );
    assert_eq!(
        Api::with_key(&emulator.url(), None)
            .get("/emulator/health")
            .await,
        (StatusCode::OK, json!({"ok": true}))
    );
}
