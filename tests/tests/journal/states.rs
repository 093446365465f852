//! The rows of the journal's state table (see `cheqpoint::Journal`), each a scenario run against
//! a database: a new process is a new `Journal` on the same database, with an owner of its own.
//! Each counts the body's runs and the requests the emulator received.

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use cheqpoint::{ApprovalRequest, Client, Error, Journal, PollPolicy};
use cheqpoint_emulator::{Emulator, Route};
use serde_json::json;
use tokio::sync::Notify;

use crate::common::{KEY, emulator};

/// Where the journals of a test live.
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Database {
    /// A journal on the database, as a new process would open it.
    pub async fn journal(&self) -> Journal {
        match self {
            Database::Sqlite(path) => Journal::sqlite(path).expect("the SQLite journal opens"),
            Database::Postgres(url) => Journal::postgres(url)
                .await
                .expect("the PostgreSQL journal opens"),
        }
    }
}

/// A client of `emulator` through `journal`, waiting at most `timeout`.
pub fn client(emulator: &Emulator, journal: Journal, timeout: Duration) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(emulator.url())
        .timeout(timeout)
        .poll(PollPolicy::fixed(Duration::from_millis(20)))
        .journal(journal)
        .build()
        .expect("the client builds")
}

const SHORT: Duration = Duration::from_millis(300);
const LONG: Duration = Duration::from_secs(20);

/// A refund request for `order`, with `key` when given.
pub fn refund(key: Option<&str>, order: &str) -> ApprovalRequest {
    let request = ApprovalRequest::new("process_refund", format!("Refund order {order}"))
        .details(json!({"order_id": order, "amount_cents": 1200}))
        .risk(0.8);
    match key {
        Some(key) => request.key(key),
        None => request,
    }
}

/// One gated call whose body counts its runs.
pub async fn gated(
    client: &Client,
    request: ApprovalRequest,
    runs: &AtomicUsize,
) -> Result<(), Error> {
    client
        .guard(request, |_| async {
            runs.fetch_add(1, Ordering::SeqCst);
        })
        .await
}

/// Approves the next pending request, waiting at most 10 s for one; its id.
async fn approve_next(emulator: &Emulator) -> String {
    let request = emulator
        .next_pending(Duration::from_secs(10))
        .await
        .expect("a request arrives");
    emulator.approve(&request.id).expect("it is approved");
    request.id
}

/// `wait`, failing the test when it takes longer than 10 s.
async fn bounded<T>(wait: impl Future<Output = T>, what: &str) -> T {
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no {what} within 10 s"))
}

/// Runs `call` while a reviewer approves the next request.
async fn approved<T>(emulator: &Emulator, call: impl Future<Output = T>) -> (T, String) {
    tokio::join!(call, approve_next(emulator))
}

/// Nothing recorded: the call records, asks once, and runs once.
pub async fn new_operation_asks_once_and_runs_once(db: &Database) {
    let emulator = emulator().await;
    let journal = db.journal().await;
    let client = client(&emulator, journal.clone(), LONG);
    let runs = AtomicUsize::new(0);
    let (outcome, _) = approved(&emulator, gated(&client, refund(Some("new-1"), "1"), &runs)).await;
    outcome.expect("approved and run");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(emulator.created_count(), 1);
    assert!(journal.unfinished().await.unwrap().is_empty());
}

/// Pending: after a timeout the entry stays, and the next call (a restarted process) re-attaches
/// to the same request instead of asking again.
pub async fn pending_request_is_reattached(db: &Database) {
    let emulator = emulator().await;
    let first = client(&emulator, db.journal().await, SHORT);
    let runs = AtomicUsize::new(0);
    let timed_out = gated(&first, refund(Some("pending-1"), "2"), &runs).await;
    let Err(Error::Timeout { approval_id, .. }) = timed_out else {
        panic!("a timeout, not {timed_out:?}");
    };
    drop(first);
    let journal = db.journal().await;
    let unfinished = journal.unfinished().await.unwrap();
    let listed = unfinished
        .iter()
        .find(|entry| entry.key.as_deref() == Some("pending-1"))
        .expect("the pending operation is listed");
    assert_eq!(listed.approval_id.as_deref(), Some(approval_id.as_str()));
    assert_eq!(listed.action, "process_refund");
    assert_eq!(listed.details["order_id"], "2");
    let restarted = client(&emulator, journal, LONG);
    let (outcome, approved_id) = approved(
        &emulator,
        gated(&restarted, refund(Some("pending-1"), "2"), &runs),
    )
    .await;
    outcome.expect("approved and run");
    assert_eq!(approved_id, approval_id);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(emulator.created_count(), 1, "one request, re-attached");
}

/// Approved while nobody waited: the next call runs it once, without asking again.
pub async fn approved_unrun_runs_once(db: &Database) {
    let emulator = emulator().await;
    let journal = db.journal().await;
    let runs = AtomicUsize::new(0);
    let first = client(&emulator, journal.clone(), SHORT);
    let timed_out = gated(&first, refund(Some("approved-1"), "3"), &runs).await;
    assert!(
        matches!(timed_out, Err(Error::Timeout { .. })),
        "{timed_out:?}"
    );
    approve_next(&emulator).await;
    let second = client(&emulator, db.journal().await, LONG);
    gated(&second, refund(Some("approved-1"), "3"), &runs)
        .await
        .expect("the approval found in the journal runs");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(emulator.created_count(), 1);
}

/// Finished: a later call with the key is told so and runs nothing.
pub async fn finished_run_is_already_done(db: &Database) {
    let emulator = emulator().await;
    let client = client(&emulator, db.journal().await, LONG);
    let runs = AtomicUsize::new(0);
    let (outcome, approval_id) = approved(
        &emulator,
        gated(&client, refund(Some("done-1"), "4"), &runs),
    )
    .await;
    outcome.expect("approved and run");
    let again = gated(&client, refund(Some("done-1"), "4"), &runs).await;
    match again {
        Err(Error::AlreadyDone {
            key,
            approval_id: done,
            ..
        }) => {
            assert_eq!(key, "done-1");
            assert_eq!(done, approval_id);
        }
        other => panic!("already done, not {other:?}"),
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(emulator.created_count(), 1);
}

/// Started and never ended (its process gone inside the body): interrupted, at most one run,
/// however often it is called; `forget` lets the next call ask again.
pub async fn run_that_never_ended_is_interrupted(db: &Database) {
    let emulator = emulator().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let dying = client(&emulator, db.journal().await, LONG);
    let body_runs = Arc::clone(&runs);
    let (died, _) = approved(&emulator, async move {
        tokio::spawn(async move {
            dying
                .guard(refund(Some("interrupted-1"), "5"), |_| async move {
                    body_runs.fetch_add(1, Ordering::SeqCst);
                    panic!("the process dies inside the body");
                })
                .await
        })
        .await
    })
    .await;
    assert!(died.expect_err("the body died").is_panic());
    // The dying process's journal is gone with it.
    let journal = db.journal().await;
    let client = client(&emulator, journal.clone(), LONG);
    for _ in 0..2 {
        let outcome =
            until_settled(|| gated(&client, refund(Some("interrupted-1"), "5"), &runs)).await;
        assert!(
            matches!(&outcome, Err(Error::Interrupted { key: Some(key), .. }) if key == "interrupted-1"),
            "{outcome:?}"
        );
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "never a second run");
    assert!(journal.forget("interrupted-1").await.unwrap());
    let (outcome, _) = approved(
        &emulator,
        gated(&client, refund(Some("interrupted-1"), "5"), &runs),
    )
    .await;
    outcome.expect("asked again after forget");
    assert_eq!(emulator.created_count(), 2);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

/// In progress in another process: refused while it runs, done once it has.
pub async fn run_in_progress_elsewhere_is_refused(db: &Database) {
    let emulator = emulator().await;
    let runs = AtomicUsize::new(0);
    let other = client(&emulator, db.journal().await, LONG);
    let this = client(&emulator, db.journal().await, LONG);
    let started = Notify::new();
    let release = Notify::new();
    let running = other.guard(refund(Some("busy-1"), "6"), |_| async {
        runs.fetch_add(1, Ordering::SeqCst);
        started.notify_one();
        bounded(release.notified(), "release of the body").await;
    });
    let meanwhile = async {
        approve_next(&emulator).await;
        bounded(started.notified(), "start of the body").await;
        let refused = gated(&this, refund(Some("busy-1"), "6"), &runs).await;
        release.notify_one();
        refused
    };
    let (ran, refused) = tokio::join!(running, meanwhile);
    ran.expect("the other process ran it");
    assert!(
        matches!(&refused, Err(Error::InProgress { key: Some(key), approval_id: Some(_) }) if key == "busy-1"),
        "{refused:?}"
    );
    let after = gated(&this, refund(Some("busy-1"), "6"), &runs).await;
    assert!(matches!(after, Err(Error::AlreadyDone { .. })), "{after:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(emulator.created_count(), 1);
}

/// Two processes wait on one pending request and see it approved together: one claims the run,
/// the other is told it is in progress or done, and the body runs once.
pub async fn concurrent_claims_run_once(db: &Database) {
    let emulator = emulator().await;
    let runs = AtomicUsize::new(0);
    let first = client(&emulator, db.journal().await, SHORT);
    let timed_out = gated(&first, refund(Some("claim-1"), "15"), &runs).await;
    assert!(
        matches!(timed_out, Err(Error::Timeout { .. })),
        "{timed_out:?}"
    );
    let request = emulator
        .next_pending(LONG)
        .await
        .expect("the request is pending");
    let one = client(&emulator, db.journal().await, LONG);
    let other = client(&emulator, db.journal().await, LONG);
    let reads_before = emulator.call_count(Route::Get);
    let reviewer = async {
        // Both re-attach and read the request at once, then every 20 ms: four reads, and both
        // are waiting on it.
        bounded(reads(&emulator, reads_before + 4), "status reads").await;
        emulator.approve(&request.id).expect("it is approved");
    };
    let (one, other, ()) = tokio::join!(
        gated(&one, refund(Some("claim-1"), "15"), &runs),
        gated(&other, refund(Some("claim-1"), "15"), &runs),
        reviewer,
    );
    let outcomes = [one, other];
    assert_eq!(
        outcomes.iter().filter(|outcome| outcome.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().all(|outcome| matches!(
            outcome,
            Ok(()) | Err(Error::InProgress { .. } | Error::AlreadyDone { .. })
        )),
        "{outcomes:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1, "one run");
    assert_eq!(emulator.created_count(), 1);
}

/// Returns once the emulator has received `count` status reads.
async fn reads(emulator: &Emulator, count: usize) {
    while emulator.call_count(Route::Get) < count {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Rejected by a person: final for the key, read again, never asked again.
pub async fn persons_rejection_is_final(db: &Database) {
    let emulator = emulator().await;
    let client = client(&emulator, db.journal().await, LONG);
    let runs = AtomicUsize::new(0);
    let reviewer = async {
        let request = emulator
            .next_pending(Duration::from_secs(10))
            .await
            .expect("a request arrives");
        emulator.reject(&request.id, "not this one").unwrap();
        request.id
    };
    let (first, rejected_id) =
        tokio::join!(gated(&client, refund(Some("no-1"), "7"), &runs), reviewer);
    for outcome in [
        first,
        gated(&client, refund(Some("no-1"), "7"), &runs).await,
    ] {
        match outcome {
            Err(Error::Rejected {
                approval_id,
                retryable: false,
                note,
                ..
            }) => {
                assert_eq!(approval_id, rejected_id);
                assert_eq!(note.as_deref(), Some("not this one"));
            }
            other => panic!("rejected, not {other:?}"),
        }
    }
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    assert_eq!(emulator.created_count(), 1);
}

/// The `Idempotency-Key` of each create the emulator received, in order.
fn create_keys(emulator: &Emulator) -> Vec<Option<String>> {
    emulator
        .calls()
        .into_iter()
        .filter(|call| call.route == cheqpoint_emulator::Route::Create)
        .map(|call| call.idempotency_key)
        .collect()
}

/// Rejected by the system (expired, `retryable`): the next call asks again, with a new
/// `Idempotency-Key` (the old one would bring back the expired request).
pub async fn system_rejection_asks_again(db: &Database) {
    let emulator = Emulator::builder()
        .api_key(KEY)
        .expiry(Duration::from_millis(200))
        .start()
        .await
        .expect("the emulator starts");
    let client = client(&emulator, db.journal().await, LONG);
    let runs = AtomicUsize::new(0);
    let expired = gated(&client, refund(Some("expired-1"), "8"), &runs).await;
    assert!(
        matches!(
            expired,
            Err(Error::Rejected {
                retryable: true,
                ..
            })
        ),
        "{expired:?}"
    );
    let (outcome, _) = approved(
        &emulator,
        gated(&client, refund(Some("expired-1"), "8"), &runs),
    )
    .await;
    outcome.expect("asked again and approved");
    assert_eq!(emulator.created_count(), 2);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let keys = create_keys(&emulator);
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.iter().all(Option::is_some), "{keys:?}");
    assert_ne!(keys[0], keys[1], "the second ask has a key of its own");
}

/// An emulator whose workspace rule approves every request as it is created (risk below 0.9).
async fn deciding_at_creation() -> Emulator {
    Emulator::builder()
        .api_key(KEY)
        .auto_approve_below(0.9)
        .start()
        .await
        .expect("the emulator starts")
}

/// Decided at creation (a workspace rule): the request's id goes into the journal with the claim
/// (one write fewer), one request and one run; and a wait that fails after such a create leaves
/// the id recorded all the same, so the next call re-attaches instead of asking again.
pub async fn decided_at_creation_asks_once(db: &Database) {
    let emulator = deciding_at_creation().await;
    let client = client(&emulator, db.journal().await, LONG);
    let runs = AtomicUsize::new(0);
    gated(&client, refund(Some("decided-1"), "1"), &runs)
        .await
        .expect("approved by the rule");
    let again = gated(&client, refund(Some("decided-1"), "1"), &runs).await;
    assert!(matches!(again, Err(Error::AlreadyDone { .. })), "{again:?}");

    emulator.inject("get:404".parse().expect("a fault"));
    let failed = gated(&client, refund(Some("decided-2"), "2"), &runs).await;
    assert!(
        matches!(failed, Err(Error::Api { status: 404, .. })),
        "{failed:?}"
    );
    emulator.clear_faults();
    gated(&client, refund(Some("decided-2"), "2"), &runs)
        .await
        .expect("re-attached and run");
    assert_eq!(emulator.created_count(), 2, "one request for each key");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

/// One process calls one key many times at once, decided at creation: the journal's writes of
/// those calls go out together, and still exactly one records the operation, one request is
/// made, one claim is taken and the body runs once; every other call is told it is in progress
/// or done.
pub async fn many_calls_of_one_key_at_once_run_once(db: &Database) {
    let emulator = deciding_at_creation().await;
    let client = client(&emulator, db.journal().await, LONG);
    let runs = AtomicUsize::new(0);
    for round in 0..4 {
        let key = format!("together-{round}");
        let calls = (0..48).map(|_| gated(&client, refund(Some(&key), "7"), &runs));
        let outcomes = futures_util::future::join_all(calls).await;
        let ran = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        assert_eq!(ran, 1, "round {round}: {outcomes:?}");
        assert!(
            outcomes.iter().all(|outcome| matches!(
                outcome,
                Ok(()) | Err(Error::InProgress { .. } | Error::AlreadyDone { .. })
            )),
            "round {round}: {outcomes:?}"
        );
    }
    assert_eq!(runs.load(Ordering::SeqCst), 4);
    assert_eq!(emulator.created_count(), 4, "one request a key");
}

/// Without a key: re-attached by action and details while pending, but a finished run is no
/// reason to refuse a new call.
pub async fn without_a_key_reattaches_but_never_refuses(db: &Database) {
    let emulator = emulator().await;
    let runs = AtomicUsize::new(0);
    let order = "keyless-9";
    let first = client(&emulator, db.journal().await, SHORT);
    let timed_out = gated(&first, refund(None, order), &runs).await;
    assert!(
        matches!(timed_out, Err(Error::Timeout { .. })),
        "{timed_out:?}"
    );
    let restarted = client(&emulator, db.journal().await, LONG);
    let (outcome, _) = approved(&emulator, gated(&restarted, refund(None, order), &runs)).await;
    outcome.expect("re-attached and run");
    assert_eq!(emulator.created_count(), 1, "re-attached, not asked again");
    let (outcome, _) = approved(&emulator, gated(&restarted, refund(None, order), &runs)).await;
    outcome.expect("a new call asks anew");
    assert_eq!(emulator.created_count(), 2);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    let (outcome, _) = approved(
        &emulator,
        gated(&restarted, refund(None, "keyless-other"), &runs),
    )
    .await;
    outcome.expect("other details are another operation");
    assert_eq!(emulator.created_count(), 3);
}

/// Refused before it ran (the door's check of the approval failed): nothing ran, the entry says
/// so, and the next call with the key asks anew and runs — never "in progress" or "already done".
pub async fn refused_approval_asks_anew(db: &Database) {
    let emulator = emulator().await;
    let first = client(&emulator, db.journal().await, LONG);
    let runs = AtomicUsize::new(0);
    let refusal = || Error::InvalidEdit {
        parameter: "/amount_cents".into(),
        approval_id: String::new(),
        message: "refused by the door's check".into(),
    };
    let refused = first.guard_checked(
        refund(Some("refused-1"), "12"),
        |_| Err(refusal()),
        |_| async {
            runs.fetch_add(1, Ordering::SeqCst);
        },
    );
    let (outcome, _) = approved(&emulator, refused).await;
    assert!(
        matches!(outcome, Err(Error::InvalidEdit { .. })),
        "{outcome:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 0, "a refused approval ran");
    let restarted = client(&emulator, db.journal().await, LONG);
    let (outcome, _) = approved(
        &emulator,
        gated(&restarted, refund(Some("refused-1"), "12"), &runs),
    )
    .await;
    outcome.expect("asked anew and run");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(emulator.created_count(), 2);
    let last = emulator.requests().pop().expect("two requests");
    let why = last.justification.unwrap_or_default();
    assert!(
        why.contains("Asked before: approved with an edit that could not be used"),
        "{why}"
    );
}

/// Finished entries are kept for the retention and go after it (then the key asks again);
/// unfinished ones, pending or running, are never pruned.
pub async fn finished_entries_are_pruned(db: &Database) {
    let emulator = emulator().await;
    let journal = db.journal().await.retention(Duration::from_secs(3600));
    let client = client(&emulator, journal.clone(), LONG);
    let runs = AtomicUsize::new(0);
    let (outcome, _) = approved(
        &emulator,
        gated(&client, refund(Some("pruned-1"), "10"), &runs),
    )
    .await;
    outcome.expect("approved and run");
    assert_eq!(journal.prune().await.unwrap(), 0, "a young entry is kept");
    let again = gated(&client, refund(Some("pruned-1"), "10"), &runs).await;
    assert!(matches!(again, Err(Error::AlreadyDone { .. })), "{again:?}");

    // A pending entry, and then a running one, while nothing is kept once finished.
    let waiting = self::client(&emulator, journal.clone(), SHORT);
    let timed_out = gated(&waiting, refund(Some("pruned-pending"), "13"), &runs).await;
    assert!(
        matches!(timed_out, Err(Error::Timeout { .. })),
        "{timed_out:?}"
    );
    // Handed out here, so that the reviewer below approves the next request, not this one.
    emulator
        .next_pending(LONG)
        .await
        .expect("the request is pending");
    let journal = journal.retention(Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (pruned_while_running, _) = approved(
        &emulator,
        client.guard(refund(Some("pruned-running"), "14"), |_| async {
            journal.prune().await.expect("the journal prunes")
        }),
    )
    .await;
    // At least `pruned-1` (a database shared by every row holds other finished entries).
    assert!(pruned_while_running.expect("approved and run") >= 1);
    let unfinished = journal.unfinished().await.unwrap();
    assert!(
        unfinished
            .iter()
            .any(|entry| entry.key.as_deref() == Some("pruned-pending")),
        "{unfinished:?}"
    );
    let again = gated(&client, refund(Some("pruned-running"), "14"), &runs).await;
    assert!(
        matches!(again, Err(Error::AlreadyDone { .. })),
        "the running entry was kept and finished: {again:?}"
    );
    let (outcome, _) = approved(
        &emulator,
        gated(&client, refund(Some("pruned-1"), "10"), &runs),
    )
    .await;
    outcome.expect("asked again once pruned");
    assert_eq!(emulator.created_count(), 4);
}

/// Every row above, in turn (for a database the tests start once).
pub async fn every_row(db: &Database) {
    new_operation_asks_once_and_runs_once(db).await;
    pending_request_is_reattached(db).await;
    approved_unrun_runs_once(db).await;
    finished_run_is_already_done(db).await;
    run_that_never_ended_is_interrupted(db).await;
    run_in_progress_elsewhere_is_refused(db).await;
    concurrent_claims_run_once(db).await;
    persons_rejection_is_final(db).await;
    system_rejection_asks_again(db).await;
    decided_at_creation_asks_once(db).await;
    many_calls_of_one_key_at_once_run_once(db).await;
    without_a_key_reattaches_but_never_refuses(db).await;
    refused_approval_asks_anew(db).await;
    finished_entries_are_pruned(db).await;
}

/// Calls `call` until it is not refused as in progress: a process that just died may look alive
/// for a moment (PostgreSQL ends its server process a little after the connection). At most 10 s.
async fn until_settled<F, Fut>(mut call: F) -> Result<(), Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let outcome = call().await;
        if !matches!(outcome, Err(Error::InProgress { .. }))
            || tokio::time::Instant::now() > deadline
        {
            return outcome;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
