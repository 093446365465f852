//! Agent processes racing on one SQLite file with the same key: one request, one run, every
//! other process told why it did not run (see `journal/race.rs`; the PostgreSQL race is in
//! `journal_postgres.rs`).

mod common;
mod journal;

use journal::{Scratch, race::race};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_processes_on_one_sqlite_file_ask_once_and_run_once() {
    let scratch = Scratch::new("journal-race-sqlite");
    race(&format!("sqlite:{}", scratch.join("journal.db").display())).await;
}
