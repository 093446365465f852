//! Each row of the journal's state table against a SQLite journal, and a journal that cannot be
//! written failing the call closed.

mod common;
mod journal;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cheqpoint::Error;
use journal::{
    Scratch,
    states::{self, Database},
};

/// A scratch directory and a SQLite journal file in it.
fn database() -> (Scratch, Database) {
    let scratch = Scratch::new("journal-sqlite");
    let path = scratch.join("journal.db");
    (scratch, Database::Sqlite(path))
}

macro_rules! rows {
    ($($row:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $row() {
            let (_scratch, db) = database();
            states::$row(&db).await;
        }
    )*};
}

rows!(
    new_operation_asks_once_and_runs_once,
    pending_request_is_reattached,
    approved_unrun_runs_once,
    finished_run_is_already_done,
    run_that_never_ended_is_interrupted,
    run_in_progress_elsewhere_is_refused,
    concurrent_claims_run_once,
    persons_rejection_is_final,
    system_rejection_asks_again,
    decided_at_creation_asks_once,
    many_calls_of_one_key_at_once_run_once,
    without_a_key_reattaches_but_never_refuses,
    refused_approval_asks_anew,
    finished_entries_are_pruned,
);

/// A journal another process keeps locked cannot be written: the call fails closed, before
/// anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_journal_fails_the_call_closed() {
    let (scratch, db) = database();
    let emulator = common::emulator().await;
    let client = states::client(&emulator, db.journal().await, Duration::from_secs(20));
    let holder = rusqlite::Connection::open(scratch.join("journal.db")).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let runs = AtomicUsize::new(0);
    let outcome = states::gated(&client, states::refund(Some("locked-1"), "11"), &runs).await;
    assert!(matches!(outcome, Err(Error::Journal { .. })), "{outcome:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 0, "the body did not run");
    assert_eq!(emulator.created_count(), 0, "nothing was asked");
    holder.execute_batch("ROLLBACK").unwrap();
}
