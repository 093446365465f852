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

fn client(emulator: &Emulator) -> Client {
    Client::builder()
        .api_key(SECRET_KEY)
        .base_url(emulator.url())
        .timeout(Duration::from_secs(5))
        .http_timeout(Duration::from_millis(300))
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
    let emulator = Emulator::builder()
        .api_key(SECRET_KEY)
        .start()
        .await
        .unwrap();
    emulator.inject("create:503x1".parse().unwrap());
    emulator.inject("get:502x2".parse().unwrap());
    let client = client(&emulator);
    let reviewer = async {
        for _ in 0..3 {
            let pending = emulator.next_pending().await;
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
