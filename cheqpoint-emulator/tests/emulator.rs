//! The emulator against PROTOCOL.md, over real HTTP on loopback with a plain `reqwest` client.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use cheqpoint_emulator::{
    ApprovalRecord, CallbackDelivery, DecisionError, Emulator, Endpoint, Status,
};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use common::Running;

const KEY: &str = "cq_test_key";

/// A client for one emulator, sending `x-api-key` when it has a key.
struct Api {
    http: reqwest::Client,
    base: String,
    key: Option<&'static str>,
}

impl Api {
    fn new(emulator: &Emulator) -> Self {
        Api::with_key(&emulator.url(), Some(KEY))
    }

    fn with_key(base: &str, key: Option<&'static str>) -> Self {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        Api {
            http,
            base: base.to_owned(),
            key,
        }
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.post_raw(path, "application/json", body.to_string())
            .await
    }

    async fn post_raw(&self, path: &str, content_type: &str, body: String) -> (StatusCode, Value) {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, content_type)
            .body(body);
        self.send(request).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// Sends and reads the answer, which must be JSON whatever the status.
    async fn send(&self, mut request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        if let Some(key) = self.key {
            request = request.header("x-api-key", key);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "{status}: {content_type}"
        );
        (status, response.json().await.unwrap())
    }

    /// Creates a request through `POST /api/approvals/request` and returns its id.
    async fn create(&self, extra: Value) -> String {
        let (status, body) = self
            .post("/api/approvals/request", &request_body(extra))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }
}

/// A valid create body with `extra` fields merged in.
fn request_body(extra: Value) -> Value {
    let mut body = json!({
        "action": "process_refund",
        "summary": "Refund 12000 cents on order 8842",
        "details": {"order_id": "8842", "amount_cents": 12000},
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

/// Asserts a JSON error answer with this status whose message contains `needle`.
fn assert_error(answer: &(StatusCode, Value), status: StatusCode, needle: &str) {
    let message = answer.1["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer:?}"));
    assert_eq!(answer.0, status, "{message}");
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

/// A callback as a receiver saw it.
struct Received {
    signature: Option<String>,
    body: Bytes,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A tiny HTTP server that records every POST to `/hook` and answers `{"ok": true}`.
async fn receiver() -> (String, mpsc::UnboundedReceiver<Received>) {
    let (sender, received) = mpsc::unbounded_channel();
    let router = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| async move {
            let signature = headers
                .get("x-cheqpoint-signature")
                .map(|value| value.to_str().unwrap().to_owned());
            sender.send(Received { signature, body }).unwrap();
            axum::Json(json!({"ok": true}))
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

async fn next_callback(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(3), received.recv())
        .await
        .expect("no callback within 3 s")
        .unwrap()
}

/// The emulator's record of its deliveries, once there are `count` of them.
async fn deliveries(emulator: &Emulator, count: usize) -> Vec<CallbackDelivery> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let deliveries = emulator.callbacks();
        if deliveries.len() >= count || Instant::now() > deadline {
            return deliveries;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn is_rfc3339(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|text| humantime::parse_rfc3339(text).is_ok())
}

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
        let request = emulator.next_pending().await;
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
        let request = emulator.next_pending().await;
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
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
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
            b"cq_test_kez".to_vec(),
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
async fn next_pending_hands_out_each_pending_request_once_oldest_first() {
    let emulator = Emulator::start().await.unwrap();
    let api = Api::new(&emulator);
    let short = Duration::from_millis(50);
    assert!(emulator.next_pending_timeout(short).await.is_none());

    let first = api.create(json!({})).await;
    let second = api.create(json!({})).await;
    let decided = api.create(json!({})).await;
    emulator.approve(&decided).unwrap();
    assert_eq!(emulator.next_pending().await.id, first);
    assert_eq!(emulator.next_pending().await.id, second);
    assert!(emulator.next_pending_timeout(short).await.is_none());

    // A reviewer task waits for a request that arrives later.
    let emulator = Arc::new(emulator);
    let reviewer = tokio::spawn({
        let emulator = Arc::clone(&emulator);
        async move { emulator.next_pending().await }
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

#[tokio::test]
async fn dropping_the_emulator_stops_the_server() {
    let emulator = Emulator::start().await.unwrap();
    let url = format!("{}/emulator/health", emulator.url());
    assert!(reqwest::get(&url).await.is_ok());
    drop(emulator);
    let deadline = Instant::now() + Duration::from_secs(1);
    while reqwest::get(&url).await.is_ok() {
        assert!(Instant::now() < deadline, "still serving after drop");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

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
