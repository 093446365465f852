//! Dropping a gated call stops it at once: nothing keeps calling the server in the background,
//! whether the call was waiting between reads, backing off after failures, in the middle of a
//! stalled read, or between attempts at a create. The emulator's call log is the witness.

mod matrix;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use cheqpoint::ApprovalRequest;
use cheqpoint_emulator::{Emulator, Route, Status};
use matrix::{client, ms, plain_emulator, refund};
use serde_json::json;

/// Lets `call` run for `run_for`, drops it, and returns the number of calls to `route` the
/// emulator had received just after the drop and `quiet` later. "Just after" leaves 100 ms for a
/// request already on the wire at the drop to be logged: it was sent before, not after.
async fn calls_after_dropping<F: Future>(
    emulator: &Emulator,
    route: Route,
    call: F,
    run_for: Duration,
    quiet: Duration,
) -> (usize, usize) {
    let dropped = tokio::time::timeout(run_for, call).await;
    assert!(dropped.is_err(), "the call ended by itself");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let at_drop = emulator.call_count(route);
    tokio::time::sleep(quiet).await;
    (at_drop, emulator.call_count(route))
}

fn refund_request() -> ApprovalRequest {
    ApprovalRequest::new("process_refund", "Refund 120.00 on order 8842")
        .details(json!({"order_id": "8842", "amount_cents": 12000}))
}

#[tokio::test]
async fn a_dropped_wait_stops_reading_and_leaves_the_request_pending() {
    let emulator = plain_emulator().await;
    let client = client(&emulator, Duration::from_secs(30));
    let ran = AtomicUsize::new(0);
    let call = refund(&client, &ran, "8842".into(), 12_000);
    let (at_drop, later) =
        calls_after_dropping(&emulator, Route::Get, call, ms(200), ms(300)).await;
    assert!(at_drop >= 5, "it was polling: {at_drop} reads");
    assert_eq!(later, at_drop, "no read after the drop");
    assert_eq!(ran.load(SeqCst), 0);
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].status,
        Status::Pending,
        "a dropped wait cancels nothing"
    );
    println!(
        "| dropped while polling | Attribute | reads at drop {at_drop} | reads 300 ms later {later} |"
    );
}

#[tokio::test]
async fn a_dropped_wait_stops_backing_off() {
    let emulator = plain_emulator().await;
    emulator.inject("get:502".parse().unwrap());
    let client = client(&emulator, Duration::from_secs(30));
    let call = client.checkpoint(refund_request());
    let (at_drop, later) =
        calls_after_dropping(&emulator, Route::Get, call, ms(200), ms(300)).await;
    assert!(at_drop >= 3, "it was retrying: {at_drop} reads");
    assert_eq!(later, at_drop, "no read after the drop");
    println!(
        "| dropped while backing off from 502s | Client | reads at drop {at_drop} | reads 300 ms later {later} |"
    );
}

#[tokio::test]
async fn a_dropped_wait_abandons_a_stalled_read() {
    let emulator = plain_emulator().await;
    emulator.inject("get:stall".parse().unwrap());
    let client = client(&emulator, Duration::from_secs(30));
    let call = client.checkpoint(refund_request());
    // Dropped 100 ms into the first read, which would time out at 300 ms and be tried again.
    let (at_drop, later) =
        calls_after_dropping(&emulator, Route::Get, call, ms(100), ms(500)).await;
    assert_eq!(
        (at_drop, later),
        (1, 1),
        "the stalled read was not followed by another"
    );
}

#[tokio::test]
async fn a_dropped_create_is_not_sent_again() {
    let emulator = plain_emulator().await;
    emulator.inject("create:429,retry-after=1".parse().unwrap());
    let client = client(&emulator, Duration::from_secs(30));
    let call = client.checkpoint(refund_request());
    let (at_drop, later) =
        calls_after_dropping(&emulator, Route::Create, call, ms(200), ms(1200)).await;
    assert_eq!(
        (at_drop, later),
        (1, 1),
        "the create waiting for Retry-After was not sent"
    );
    assert_eq!(emulator.created_count(), 0);
}

#[tokio::test]
async fn an_aborted_task_stops_reading() {
    let emulator = plain_emulator().await;
    let client = client(&emulator, Duration::from_secs(30));
    let task = tokio::spawn(async move { client.checkpoint(refund_request()).await });
    tokio::time::sleep(ms(150)).await;
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let at_abort = emulator.call_count(Route::Get);
    tokio::time::sleep(ms(300)).await;
    assert!(at_abort >= 3);
    assert_eq!(emulator.call_count(Route::Get), at_abort);
}
