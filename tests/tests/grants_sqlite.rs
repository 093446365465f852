//! Grants kept in a SQLite journal: covered calls run unasked and take one use each; bounds,
//! uses, expiry, revocation, a reviewer's narrowing and widening; and processes racing for a
//! grant's uses (see `journal/grants.rs` and `journal/grant_race.rs`; the PostgreSQL runs are in
//! `journal_postgres.rs`).

mod common;
mod journal;

use journal::{Scratch, grant_race::grant_race, grants, states::Database};

macro_rules! scenarios {
    ($($scenario:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $scenario() {
            let scratch = Scratch::new("grants-sqlite");
            grants::$scenario(&Database::Sqlite(scratch.join("journal.db"))).await;
        }
    )*};
}

scenarios!(
    a_grant_covers_its_bounds_and_uses,
    a_narrowed_grant_covers_only_what_is_left,
    a_widened_or_rejected_grant_grants_nothing,
    a_revoked_or_expired_grant_covers_nothing,
    a_grant_kept_elsewhere_covers_calls_here_within_a_second,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_processes_on_one_sqlite_file_take_exactly_the_uses_granted() {
    let scratch = Scratch::new("grants-race-sqlite");
    let path = scratch.join("journal.db");
    let own = cheqpoint::Journal::sqlite(&path).unwrap();
    grant_race(&format!("sqlite:{}", path.display()), &own).await;
}
