//! What an agent process (this crate's, or the Python driver) prints on its standard output, one
//! line per event, and how the bench reads it. Both agents print the same lines:
//!
//! | line | when |
//! | --- | --- |
//! | `start CALL NS` | just before gated call `CALL` is made |
//! | `resumed CALL NS` | the first line of the gated body of call `CALL` |
//! | `error CALL MESSAGE` | gated call `CALL` ended in an error (the body did not run) |
//! | `auto JSON` | the auto-decided scenario's report: `{"latencies_us": [...], "errors": N, "seconds": S}`, and from this crate's agent `"cpu_seconds"` over the window |
//! | `heap BYTES BLOCKS PEAK` | this crate's agent only: its live heap (bytes, blocks) and the most bytes live at once so far, before its first call and whenever its standard input reads `heap` |
//! | `done` | every call has ended; the agent then waits for its standard input to close |
//!
//! This crate's agent also reads lines on its standard input: `heap` (print the `heap` line) and
//! `exit` (end at once, calls still pending: what a heap profile of pending waits needs).
//!
//! `NS` is a `CLOCK_MONOTONIC` stamp in nanoseconds ([`crate::clock`]). Any other line is
//! passed on as [`Event::Other`]. Beside the lines: the key this crate's agents send, and the
//! arguments of each call, the same for every client.

use serde::Deserialize;

/// The key every agent of this crate sends; the emulator accepts any.
pub const API_KEY: &str = "cq_test_bench";

/// The arguments of call `call`, the same for both clients.
pub(crate) fn arguments(call: u32) -> (u32, String, u64, String, Vec<String>) {
    (
        call,
        format!("acct_{:06}", call % 1_000_000),
        1_000 + u64::from(call % 9_000),
        "Quarterly vendor payment, approved budget line 42".to_owned(),
        vec!["bench".to_owned(), "finance".to_owned()],
    )
}

/// One line of an agent's output.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Start {
        call: u32,
        ns: u64,
    },
    Resumed {
        call: u32,
        ns: u64,
    },
    Error {
        call: u32,
        message: String,
    },
    Auto(AutoReport),
    Heap {
        bytes: usize,
        blocks: usize,
        peak_bytes: usize,
    },
    Done,
    Other(String),
}

/// The auto-decided scenario's report: the latency of each call measured (warm-up left out,
/// calls still running at the end left out), in microseconds, and how many calls failed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AutoReport {
    pub latencies_us: Vec<u64>,
    pub errors: u64,
    /// The length of the measured window, seconds.
    pub seconds: f64,
    /// The agent's CPU time (user + system) over the measured window, seconds; this crate's
    /// agent only.
    #[serde(default)]
    pub cpu_seconds: Option<f64>,
}

impl Event {
    pub fn parse(line: &str) -> Event {
        let other = || Event::Other(line.to_owned());
        let mut words = line.splitn(3, ' ');
        let kind = words.next().unwrap_or_default();
        let first = words.next();
        let rest = words.next();
        let call = || first.and_then(|call| call.parse::<u32>().ok());
        let ns = || rest.and_then(|ns| ns.trim().parse::<u64>().ok());
        match kind {
            "start" => match (call(), ns()) {
                (Some(call), Some(ns)) => Event::Start { call, ns },
                _ => other(),
            },
            "resumed" => match (call(), ns()) {
                (Some(call), Some(ns)) => Event::Resumed { call, ns },
                _ => other(),
            },
            "error" => match call() {
                Some(call) => Event::Error {
                    call,
                    message: rest.unwrap_or_default().to_owned(),
                },
                None => other(),
            },
            "auto" => line
                .strip_prefix("auto ")
                .and_then(|json| serde_json::from_str(json).ok())
                .map_or_else(other, Event::Auto),
            "heap" => {
                let mut rest = rest.unwrap_or_default().split_whitespace();
                match (
                    first.and_then(|bytes| bytes.parse().ok()),
                    rest.next().and_then(|blocks| blocks.parse().ok()),
                    rest.next().and_then(|peak| peak.parse().ok()),
                ) {
                    (Some(bytes), Some(blocks), Some(peak_bytes)) => Event::Heap {
                        bytes,
                        blocks,
                        peak_bytes,
                    },
                    _ => other(),
                }
            }
            "done" => Event::Done,
            _ => other(),
        }
    }
}

/// The line for an error, on one line.
pub fn error_line(call: u32, message: &str) -> String {
    format!("error {call} {}", message.replace(['\n', '\r'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind_of_line() {
        assert_eq!(
            Event::parse("start 3 123456789"),
            Event::Start {
                call: 3,
                ns: 123_456_789
            }
        );
        assert_eq!(
            Event::parse("resumed 0 42"),
            Event::Resumed { call: 0, ns: 42 }
        );
        assert_eq!(
            Event::parse(&error_line(7, "timed out\nafter 5 s")),
            Event::Error {
                call: 7,
                message: "timed out after 5 s".into()
            }
        );
        assert_eq!(
            Event::parse(r#"auto {"latencies_us": [1, 2], "errors": 0, "seconds": 2.5}"#),
            Event::Auto(AutoReport {
                latencies_us: vec![1, 2],
                errors: 0,
                seconds: 2.5,
                cpu_seconds: None,
            })
        );
        assert_eq!(
            Event::parse("heap 4096 12 8192"),
            Event::Heap {
                bytes: 4096,
                blocks: 12,
                peak_bytes: 8192
            }
        );
        assert_eq!(Event::parse("done"), Event::Done);
        assert_eq!(
            Event::parse("resumed x 1"),
            Event::Other("resumed x 1".into())
        );
        assert_eq!(Event::parse("hello"), Event::Other("hello".into()));
    }
}
