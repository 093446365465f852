//! The PostgreSQL journal, on a server of each test's own: each row of the journal's state
//! table, a database that goes down failing the call closed, agent processes racing on one
//! key, grants, and processes racing for a grant's uses. Needs Debian's `postgresql` package; where it is missing, the tests are reported ignored
//! with the line that installs it, and fail under `CI=true` (see `harness/mod.rs`).

mod common;
mod harness;
mod journal;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cheqpoint::Error;
use harness::Needs;
use journal::{
    Scratch,
    grant_race::grant_race,
    grants,
    postgres::Postgres,
    race::race,
    states::{self, Database},
};

const POSTGRESQL: Needs = Needs {
    what: "PostgreSQL's server",
    installed: Postgres::is_installed,
    packages: "postgresql",
};

fn main() -> ExitCode {
    harness::main(harness::tests!(Some(&POSTGRESQL) =>
        every_row_of_the_state_table_and_a_database_gone_down,
        racing_processes_on_one_postgres_database_ask_once_and_run_once,
        grants_on_postgres_cover_their_bounds_uses_and_time,
        racing_processes_on_one_postgres_database_take_exactly_the_uses_granted,
    ))
}

/// A server of the test's own, with its files in `dir`.
fn server(dir: &Scratch) -> Postgres {
    Postgres::start(dir.path()).expect("the harness runs these tests only where it is installed")
}

async fn every_row_of_the_state_table_and_a_database_gone_down() {
    let server_dir = Scratch::new("postgres");
    let server = server(&server_dir);
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

async fn racing_processes_on_one_postgres_database_ask_once_and_run_once() {
    let server_dir = Scratch::new("postgres");
    let server = server(&server_dir);
    race(&format!("postgres:{}", server.url)).await;
}

async fn grants_on_postgres_cover_their_bounds_uses_and_time() {
    let server_dir = Scratch::new("postgres");
    let server = server(&server_dir);
    let db = Database::Postgres(server.url.clone());
    grants::a_grant_covers_its_bounds_and_uses(&db).await;
    grants::a_narrowed_grant_covers_only_what_is_left(&db).await;
    grants::a_widened_or_rejected_grant_grants_nothing(&db).await;
    grants::a_revoked_or_expired_grant_covers_nothing(&db).await;
    grants::a_grant_kept_elsewhere_covers_calls_here_within_a_second(&db).await;
}

async fn racing_processes_on_one_postgres_database_take_exactly_the_uses_granted() {
    let server_dir = Scratch::new("postgres");
    let server = server(&server_dir);
    let own = Database::Postgres(server.url.clone()).journal().await;
    grant_race(&format!("postgres:{}", server.url), &own).await;
}
