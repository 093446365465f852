//! The agent the journal's crash and race tests run as a process of its own: one gated call with
//! a key, through a SQLite or PostgreSQL journal, against an emulator. The body appends the
//! approval id to a file (the record that it ran) and, when asked, holds until a line arrives on
//! stdin, so that a test can kill the process inside it.
//!
//! ```text
//! journal_agent <emulator url> <sqlite:PATH | postgres:URL> <key> <runs file> [hold] [risk=R] [body-ms=N]
//! ```
//!
//! It prints `body started <id>` and `body done <id>` on stdout, and ends with one line,
//! `outcome ok` or `outcome <variant>: <message>`; the client's tracing events go to stderr.

use std::{io::Write, time::Duration};

use cheqpoint::{ApprovalRequest, Client, Error, Journal, PollPolicy};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The key the test emulators accept.
const API_KEY: &str = "cq_test_integration";

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match run(&args).await {
        Ok(()) => "outcome ok".to_owned(),
        Err(error) => format!("outcome {}: {error}", variant(&error)),
    };
    println!("{outcome}");
}

async fn run(args: &[String]) -> Result<(), Error> {
    let [emulator, journal, key, runs, options @ ..] = args else {
        return Err(Error::Config(
            "usage: journal_agent <emulator url> <sqlite:PATH|postgres:URL> <key> <runs file> \
             [hold] [risk=R] [body-ms=N]"
                .into(),
        ));
    };
    let hold = options.iter().any(|option| option == "hold");
    let risk = option(options, "risk=").unwrap_or(0.8);
    let body_ms = option(options, "body-ms=").unwrap_or(0.0) as u64;
    let journal = match journal.split_once(':') {
        Some(("sqlite", path)) => Journal::sqlite(path)?,
        Some(("postgres", url)) => Journal::postgres(url).await?,
        _ => return Err(Error::Config(format!("not a journal: {journal}"))),
    };
    let client = Client::builder()
        .api_key(API_KEY)
        .base_url(emulator)
        .timeout(Duration::from_secs(60))
        .poll(PollPolicy::fixed(Duration::from_millis(20)))
        .journal(journal)
        .build()?;
    let request = ApprovalRequest::new("process_refund", format!("Refund for {key}"))
        .details(json!({"order": key}))
        .risk(risk)
        .key(key.as_str());
    client
        .guard(request, |approved| async move {
            let id = approved.approval_id;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(runs)
                .expect("the runs file opens");
            // One write of the whole line, so another process's append cannot split it.
            file.write_all(format!("{id}\n").as_bytes())
                .expect("the run is recorded");
            file.sync_all().expect("the run is on disk");
            say(&format!("body started {id}"));
            if hold {
                let mut line = String::new();
                let _ = BufReader::new(tokio::io::stdin())
                    .read_line(&mut line)
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(body_ms)).await;
            say(&format!("body done {id}"));
        })
        .await
}

/// The number after `prefix` among the options.
fn option(options: &[String], prefix: &str) -> Option<f64> {
    options
        .iter()
        .find_map(|option| option.strip_prefix(prefix)?.parse().ok())
}

/// A line on stdout, flushed at once: the test reads it while the process runs.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The variant's name, which the tests compare.
fn variant(error: &Error) -> &'static str {
    match error {
        Error::AlreadyDone { .. } => "AlreadyDone",
        Error::Interrupted { .. } => "Interrupted",
        Error::InProgress { .. } => "InProgress",
        Error::Rejected { .. } => "Rejected",
        Error::Timeout { .. } => "Timeout",
        Error::Journal { .. } => "Journal",
        _ => "Other",
    }
}
