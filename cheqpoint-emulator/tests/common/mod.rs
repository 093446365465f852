//! What the emulator's test files share: a plain HTTP client, a client of one emulator's routes,
//! creating a request through the agent API, a callback receiver, and the binary run as a child
//! process that is killed when the test ends.

// Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc as blocking;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use cheqpoint_emulator::{ApprovalRecord, CallbackDelivery, Emulator};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// The `x-api-key` the tests send (the emulator accepts any non-empty key unless configured).
pub(crate) const KEY: &str = "cq_test_emulator";

/// A client that never goes through a proxy and gives up after 5 s.
pub(crate) fn http() -> reqwest::Client {
    http_with_timeout(Duration::from_secs(5))
}

/// A client that never goes through a proxy and gives up after `timeout`.
pub(crate) fn http_with_timeout(timeout: Duration) -> reqwest::Client {
    cheqpoint::http_client_builder()
        .unwrap()
        .no_proxy()
        .timeout(timeout)
        .build()
        .unwrap()
}

/// A valid create body.
pub(crate) fn create_body() -> Value {
    json!({"action": "send_email", "summary": "Email ada", "details": {"to": "ada"}})
}

/// `POST {base}/api/approvals/request` with `body` and [`KEY`], whatever the answer.
pub(crate) async fn send_create(base: &str, body: &Value) -> reqwest::Result<reqwest::Response> {
    http()
        .post(format!("{base}/api/approvals/request"))
        .header("x-api-key", KEY)
        .json(body)
        .send()
        .await
}

/// `GET {base}{path}` with [`KEY`]: the answer's JSON.
pub(crate) async fn get_json(base: &str, path: &str) -> Value {
    let request = http().get(format!("{base}{path}")).header("x-api-key", KEY);
    request.send().await.unwrap().json().await.unwrap()
}

/// `POST {base}{path}` with `body` and [`KEY`]: the answer's JSON.
pub(crate) async fn post_json(base: &str, path: &str, body: &Value) -> Value {
    let request = http()
        .post(format!("{base}{path}"))
        .header("x-api-key", KEY);
    request
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Kills `child` and returns what it wrote to its stderr, which must be piped.
pub(crate) fn kill_and_read_stderr(child: &mut Child) -> String {
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr is piped")
        .read_to_string(&mut stderr)
        .unwrap();
    stderr
}

/// Creates a request with `body`, which must succeed; returns its id.
pub(crate) async fn create_with(base: &str, body: &Value) -> String {
    let answer = send_create(base, body).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let created: Value = answer.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

/// Creates a pending request with [`create_body`]; returns its id.
pub(crate) async fn create(emulator: &Emulator) -> String {
    create_with(&emulator.url(), &create_body()).await
}

/// The emulator's binary, to run.
pub(crate) fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cheqpoint-emulator"))
}

/// How long a child process may take to print an expected line.
const LINE_LIMIT: Duration = Duration::from_secs(10);

/// The lines a child process prints, read on a thread of their own, so that every wait for one
/// is bounded.
pub(crate) struct Lines(blocking::Receiver<String>);

impl Lines {
    /// Reads `stream` line by line until it ends.
    pub(crate) fn new(stream: impl Read + Send + 'static) -> Lines {
        let (send, receive) = blocking::channel();
        std::thread::spawn(move || {
            let mut stream = BufReader::new(stream);
            loop {
                let mut line = String::new();
                match stream.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if send.send(line).is_err() => break,
                    Ok(_) => {}
                }
            }
        });
        Lines(receive)
    }

    /// The next line, with its newline; `None` once the stream has ended. Fails the test when
    /// neither comes within 10 s.
    pub(crate) fn next_line(&self) -> Option<String> {
        match self.0.recv_timeout(LINE_LIMIT) {
            Ok(line) => Some(line),
            Err(blocking::RecvTimeoutError::Disconnected) => None,
            Err(blocking::RecvTimeoutError::Timeout) => {
                panic!("the process printed no line within {LINE_LIMIT:?}")
            }
        }
    }
}

/// The binary running with its stdout piped; killed when dropped, also when the test fails.
pub(crate) struct Running {
    child: Child,
    stdout: Lines,
}

impl Running {
    /// Starts the binary with `args`.
    pub(crate) fn spawn(args: &[&str]) -> Running {
        Running::spawn_command(binary(), args)
    }

    /// Starts `command` (the binary, with its environment set) with `args`.
    pub(crate) fn spawn_command(mut command: Command, args: &[&str]) -> Running {
        let mut child = command
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = Lines::new(child.stdout.take().unwrap());
        Running { child, stdout }
    }

    /// The next line it prints, with its newline (empty once it has ended); fails the test when
    /// none comes within 10 s.
    pub(crate) fn read_line(&mut self) -> String {
        self.stdout.next_line().unwrap_or_default()
    }

    /// Reads its first line, `listening on URL`, and returns `URL`.
    pub(crate) fn url(&mut self) -> String {
        let line = self.read_line();
        line.trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line: {line:?}"))
            .to_owned()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client for one emulator, sending `x-api-key` when it has a key; it gives up on an answer
/// after 20 s (the longest hold a test asks for is 10 s).
pub(crate) struct Api {
    http: reqwest::Client,
    base: String,
    key: Option<&'static str>,
}

impl Api {
    pub(crate) fn new(emulator: &Emulator) -> Self {
        Api::with_key(&emulator.url(), Some(KEY))
    }

    pub(crate) fn with_key(base: &str, key: Option<&'static str>) -> Self {
        let http = http_with_timeout(Duration::from_secs(20));
        Api {
            http,
            base: base.to_owned(),
            key,
        }
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.post_raw(path, "application/json", body.to_string())
            .await
    }

    pub(crate) async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: String,
    ) -> (StatusCode, Value) {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, content_type)
            .body(body);
        self.send(request).await
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// Sends and reads the answer, which must be JSON whatever the status.
    pub(crate) async fn send(&self, mut request: reqwest::RequestBuilder) -> (StatusCode, Value) {
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
    pub(crate) async fn create(&self, extra: Value) -> String {
        let (status, body) = self
            .post("/api/approvals/request", &request_body(extra))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }
}

/// A valid create body with `extra` fields merged in.
pub(crate) fn request_body(extra: Value) -> Value {
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
pub(crate) fn assert_error(answer: &(StatusCode, Value), status: StatusCode, needle: &str) {
    let message = answer.1["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer:?}"));
    assert_eq!(answer.0, status, "{message}");
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

/// A callback as a receiver saw it.
pub(crate) struct Received {
    pub signature: Option<String>,
    pub body: Bytes,
}

impl Received {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A tiny HTTP server that records every POST to `/hook` and answers `{"ok": true}`.
pub(crate) async fn receiver() -> (String, mpsc::UnboundedReceiver<Received>) {
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

pub(crate) async fn next_callback(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(3), received.recv())
        .await
        .expect("no callback within 3 s")
        .unwrap()
}

/// The next request `emulator` holds pending; fails the test when none comes within 5 s.
pub(crate) async fn next_pending(emulator: &Emulator) -> ApprovalRecord {
    emulator
        .next_pending(Duration::from_secs(5))
        .await
        .expect("a request reaches the emulator within 5 s")
}

/// The emulator's record of its deliveries, once there are `count` of them.
pub(crate) async fn deliveries(emulator: &Emulator, count: usize) -> Vec<CallbackDelivery> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let deliveries = emulator.callbacks();
        if deliveries.len() >= count || Instant::now() > deadline {
            return deliveries;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub(crate) fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

pub(crate) fn is_rfc3339(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|text| humantime::parse_rfc3339(text).is_ok())
}
