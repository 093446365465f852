//! Each row of the journal's state table against a PostgreSQL journal on a server of the test's
//! own, and a database that goes down failing the call closed.

mod common;
mod journal;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cheqpoint::Error;
use journal::{
    Scratch,
    postgres::Postgres,
    states::{self, Database},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_of_the_state_table_and_a_database_gone_down() {
    let server_dir = Scratch::new("postgres");
    let Some(server) = Postgres::start(server_dir.path()) else {
        return;
    };
    let db = Database::Postgres(server.url.clone());
    states::every_row(&db).await;

    let emulator = common::emulator().await;
    let client = states::client(&emulator, db.journal().await, Duration::from_secs(20));
    server.stop();
    let runs = AtomicUsize::new(0);
    let outcome = states::gated(&client, states::refund(Some("down-1"), "12"), &runs).await;
    assert!(matches!(outcome, Err(Error::Journal { .. })), "{outcome:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 0, "the body did not run");
    assert_eq!(emulator.created_count(), 0, "nothing was asked");
}
