//! What the integration tests share: an emulator on loopback and a client pointed at it.

#![allow(dead_code)] // each test file uses its own part of this module

use std::time::Duration;

use cheqpoint::{Client, PollPolicy};
use cheqpoint_emulator::Emulator;

/// The key every test emulator accepts.
pub const KEY: &str = "cq_test_integration";

/// An emulator that takes only [`KEY`].
pub async fn emulator() -> Emulator {
    Emulator::builder()
        .api_key(KEY)
        .start()
        .await
        .expect("the emulator starts")
}

/// A client for `emulator` that polls every 20 ms, so tests see decisions at once.
pub fn client(emulator: &Emulator) -> Client {
    client_with_timeout(emulator, Duration::from_secs(10))
}

/// As [`client`], waiting at most `timeout` for a decision.
pub fn client_with_timeout(emulator: &Emulator, timeout: Duration) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(emulator.url())
        .timeout(timeout)
        .poll(PollPolicy::fixed(Duration::from_millis(20)))
        .build()
        .expect("the client builds")
}

/// The next request `emulator` holds pending; fails the test when none comes within 30 s.
pub async fn next_pending(emulator: &Emulator) -> cheqpoint_emulator::ApprovalRecord {
    emulator
        .next_pending(Duration::from_secs(30))
        .await
        .expect("a request reaches the emulator")
}
