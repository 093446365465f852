//! The API key never shows: not in the `Debug` or `Display` of the client, its builder, a request,
//! an approval or an error, and not in any log line at any level. Every `tracing` event (TRACE and
//! up, the client's and the emulator's) and every `log` record (reqwest's) of this test binary is
//! captured while a full approval, a flow with retries and a 401 run, and the key is looked for in
//! all of it.

mod matrix;

use std::io::Write;
use std::sync::atomic::AtomicUsize;
use std::sync::{Mutex, Once, PoisonError};
use std::time::Duration;

use cheqpoint::{ApprovalRequest, Client, Error, PollPolicy};
use cheqpoint_emulator::Emulator;
use serde_json::json;

/// The key the tests use: distinctive, so that even a piece of it is found.
const SECRET_KEY: &str = "cq_test_s3cr3t_DO_NOT_LOG_7f3a9";
/// Pieces of the key, any of which in the output would be a leak.
const PIECES: &[&str] = &["s3cr3t", "DO_NOT_LOG", "7f3a9"];

static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();

fn captured() -> String {
    String::from_utf8_lossy(&CAPTURED.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
}

struct Capture;

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `log` records (reqwest and hyper use `log`), written where `tracing` events go.
struct LogCapture;

impl log::Log for LogCapture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let line = format!(
            "{} {}: {}\n",
            record.level(),
            record.target(),
            record.args()
        );
        let _ = Capture.write(line.as_bytes());
    }

    fn flush(&self) {}
}

static LOGGER: LogCapture = LogCapture;

/// Sends every event and record of this binary, at every level, to [`CAPTURED`].
fn capture_everything() {
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| Capture)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
        log::set_logger(&LOGGER).expect("no other logger");
        log::set_max_level(log::LevelFilter::Trace);
    });
}

fn assert_no_key(what: &str, text: &str) {
    assert!(!text.contains(SECRET_KEY), "the key is in {what}: {text}");
    for piece in PIECES {
        assert!(
            !text.contains(piece),
            "part of the key ({piece}) is in {what}: {text}"
        );
    }
}

/// An emulator that takes the test's key.
async fn emulator() -> Emulator {
    Emulator::builder()
        .api_key(SECRET_KEY)
        .start()
        .await
        .unwrap()
}

fn client(emulator: &Emulator) -> Client {
    Client::builder()
        .api_key(SECRET_KEY)
        .base_url(emulator.url())
        .timeout(Duration::from_secs(5))
        .http_timeout(Duration::from_secs(2))
        .poll(PollPolicy::fixed(Duration::from_millis(20)))
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build()
        .unwrap()
}

fn request() -> ApprovalRequest {
    ApprovalRequest::new("process_refund", "Refund 120.00 on order 8842")
        .details(json!({"order_id": "8842", "amount_cents": 12000}))
        .risk(0.4)
        .justification("charged twice")
}

#[tokio::test]
async fn the_key_is_in_no_log_line_of_an_approval_with_retries() {
    capture_everything();
    let emulator = emulator().await;
    emulator.inject("create:429x1".parse().unwrap());
    emulator.inject("get:502x2".parse().unwrap());
    let client = client(&emulator);
    let reviewer = async {
        for _ in 0..3 {
            let pending = emulator
                .next_pending(Duration::from_secs(10))
                .await
                .expect("each call asks");
            emulator.approve(&pending.id).unwrap();
        }
    };
    let ran = AtomicUsize::new(0);
    let calls = async {
        let through_attribute = matrix::refund(&client, &ran, "8842".into(), 12_000).await;
        let through_client = client.checkpoint(request()).await;
        let short_wait = client.request_sync(request(), Duration::from_secs(3)).await;
        (through_attribute, through_client, short_wait)
    };
    let ((through_attribute, through_client, short_wait), ()) = tokio::join!(calls, reviewer);
    assert_eq!(through_attribute.unwrap(), 12_000);
    let approved = through_client.unwrap();
    let decision = short_wait.unwrap();
    assert!(decision.is_approved());

    for (what, shown) in [
        ("the client's Debug", format!("{client:?}")),
        ("the approval's Debug", format!("{approved:?}")),
        ("the decision's Debug", format!("{decision:?}")),
        ("the request's Debug", format!("{:?}", request())),
        (
            "the builder's Debug",
            format!("{:?}", Client::builder().api_key(SECRET_KEY)),
        ),
    ] {
        assert_no_key(what, &shown);
    }
    let log = captured();
    assert!(
        log.contains("status read failed"),
        "the client's DEBUG lines were captured"
    );
    assert!(
        log.contains("DEBUG reqwest::connect: starting new connection"),
        "the HTTP stack's `log` records were captured"
    );
    assert!(
        log.contains("request received"),
        "the emulator's INFO lines were captured"
    );
    assert!(log.contains("TRACE") || log.contains("DEBUG"));
    assert_no_key("the log", &log);
}

#[tokio::test]
async fn the_key_is_in_no_error_nor_log_line_of_a_refusal() {
    capture_everything();
    let emulator = Emulator::builder()
        .api_key("cq_test_the_right_one")
        .start()
        .await
        .unwrap();
    let client = client(&emulator);
    let unauthorized = client.checkpoint(request()).await.unwrap_err();
    assert!(
        matches!(unauthorized, Error::Api { status: 401, .. }),
        "{unauthorized:?}"
    );
    let ran = AtomicUsize::new(0);
    let through_attribute = matrix::refund(&client, &ran, "1".into(), 1)
        .await
        .unwrap_err();

    let url = emulator.url();
    drop(emulator);
    let unreachable = Client::builder()
        .api_key(SECRET_KEY)
        .base_url(url)
        .create_attempts(1)
        .build()
        .unwrap()
        .checkpoint(request())
        .await
        .unwrap_err();
    assert!(
        matches!(unreachable, Error::Transport { .. }),
        "{unreachable:?}"
    );
    let invalid = Client::builder()
        .api_key(format!("{SECRET_KEY}\n"))
        .build()
        .unwrap_err();

    for error in [&unauthorized, &through_attribute, &unreachable, &invalid] {
        assert_no_key("an error's Display", &error.to_string());
        assert_no_key("an error's Debug", &format!("{error:?}"));
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            assert_no_key("an error's source", &format!("{inner} {inner:?}"));
            source = inner.source();
        }
    }
    assert_no_key("the log", &captured());
}

/// POSTs `body` to the listener at `url` with `signature`, over a connection of its own; the
/// status code of the answer.
async fn post_callback(url: &str, body: &[u8], signature: Option<&str>) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let address = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let signature = signature
        .map(|signature| format!("{}: {signature}\r\n", cheqpoint::SIGNATURE_HEADER))
        .unwrap_or_default();
    let head = format!(
        "POST /cheqpoint/callbacks HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n{signature}\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut answer))
        .await
        .expect("the listener answers")
        .unwrap();
    answer[9..12].parse().unwrap()
}

#[tokio::test]
async fn refused_callbacks_are_logged_once_per_cause_without_body_or_secret() {
    const WEBHOOK_SECRET: &str = "whsec_n0t_in_any_l0g";
    const DETAIL: &str = "private-detail-4471";
    capture_everything();
    let emulator = emulator().await;
    let client = Client::builder()
        .api_key(SECRET_KEY)
        .base_url(emulator.url())
        .webhook_secret(WEBHOOK_SECRET)
        .listen_for_callbacks("127.0.0.1:0".parse().unwrap())
        .build()
        .unwrap();
    let created = client.create_request(&request()).await.unwrap();
    let url = emulator.get(&created.id).unwrap().callback_url.unwrap();
    let waiting = {
        let client = client.clone();
        let id = created.id.clone();
        tokio::spawn(async move { client.wait(&id, Duration::from_secs(30)).await })
    };

    let decision = |id: &str| {
        serde_json::to_vec(&json!({"approvalId": id, "status": "approved", "decisionNote": DETAIL}))
            .unwrap()
    };
    let forged = cheqpoint::sign_callback(&decision(&created.id), "whsec_guessed");
    let not_a_decision = format!(r#"{{"note": "{DETAIL}"}}"#).into_bytes();
    let signed_garbage = cheqpoint::sign_callback(&not_a_decision, WEBHOOK_SECRET);
    for _ in 0..3 {
        assert_eq!(
            post_callback(&url, &decision(&created.id), Some(&forged)).await,
            401
        );
        assert_eq!(
            post_callback(&url, &decision("req_nobody"), None).await,
            401
        );
        assert_eq!(
            post_callback(&url, &not_a_decision, Some(&signed_garbage)).await,
            400
        );
    }
    waiting.abort();

    let log = captured();
    for cause in [
        "a callback failed signature verification",
        "a callback named a request no wait is on",
        "a callback body was not a decision",
    ] {
        let lines: Vec<&str> = log.lines().filter(|line| line.contains(cause)).collect();
        assert_eq!(lines.len(), 1, "{cause}: {lines:?}");
        assert!(lines[0].contains("WARN"), "{}", lines[0]);
    }
    assert!(!log.contains(DETAIL), "a callback's body is in the log");
    assert!(
        !log.contains("n0t_in_any_l0g"),
        "the webhook secret is in the log"
    );
    assert_no_key("the log", &log);
}
