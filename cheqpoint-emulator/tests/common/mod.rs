//! What the emulator's test files share: a plain HTTP client, creating a request through the
//! agent API, and the binary run as a child process that is killed when the test ends.

// Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use cheqpoint_emulator::Emulator;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The `x-api-key` the tests send (the emulator accepts any non-empty key unless configured).
pub const KEY: &str = "cq_test_emulator";

/// A client that never goes through a proxy and gives up after 5 s.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// A valid create body.
pub fn create_body() -> Value {
    json!({"action": "send_email", "summary": "Email ada", "details": {"to": "ada"}})
}

/// `POST {base}/api/approvals/request` with `body` and [`KEY`], whatever the answer.
pub async fn send_create(base: &str, body: &Value) -> reqwest::Result<reqwest::Response> {
    http()
        .post(format!("{base}/api/approvals/request"))
        .header("x-api-key", KEY)
        .json(body)
        .send()
        .await
}

/// Creates a request with `body`, which must succeed; returns its id.
pub async fn create_with(base: &str, body: &Value) -> String {
    let answer = send_create(base, body).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let created: Value = answer.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

/// Creates a pending request with [`create_body`]; returns its id.
pub async fn create(emulator: &Emulator) -> String {
    create_with(&emulator.url(), &create_body()).await
}

/// The emulator's binary, to run.
pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cheqpoint-emulator"))
}

/// The binary running with its stdout piped; killed when dropped, also when the test fails.
pub struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Running {
    /// Starts the binary with `args`.
    pub fn spawn(args: &[&str]) -> Running {
        let mut child = binary()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Running { child, stdout }
    }

    /// The next line it prints, with its newline.
    pub fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line
    }

    /// Reads its first line, `listening on URL`, and returns `URL`.
    pub fn url(&mut self) -> String {
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
