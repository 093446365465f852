//! What a journal needs of a database: a handful of atomic operations on entries, and a way to
//! tell whether the process that holds an entry is still alive. The SQLite and PostgreSQL stores
//! implement it; the state machine (`flow.rs`) is written once above it.

use std::{future::Future, pin::Pin};

use super::row::Row;
use crate::Error;

/// The tables, as both databases create them: the journal's entries, the grants with their
/// uses, and the rules' decisions (`grants`) (SQLite reads `BIGINT` as its integer). The
/// journal's one index is on a column no update changes, so that an update writes the row alone
/// (PostgreSQL's heap-only update; no index entry moved in SQLite); pruning finds old entries by
/// it, since an entry's `created_ms` is never later than its `updated_ms`. (An index on `state`,
/// as earlier versions made, is dropped.)
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS cheqpoint_journal (
        operation TEXT PRIMARY KEY,
        key TEXT,
        action TEXT NOT NULL,
        details TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        approval_id TEXT,
        state TEXT NOT NULL,
        owner TEXT,
        version BIGINT NOT NULL,
        created_ms BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL
    );
    DROP INDEX IF EXISTS cheqpoint_journal_state;
    CREATE INDEX IF NOT EXISTS cheqpoint_journal_created ON cheqpoint_journal (created_ms);
    CREATE TABLE IF NOT EXISTS cheqpoint_grants (
        id TEXT PRIMARY KEY,
        tool TEXT NOT NULL,
        asked TEXT NOT NULL,
        granted TEXT NOT NULL,
        approval_id TEXT,
        uses BIGINT NOT NULL,
        uses_left BIGINT NOT NULL,
        expires_ms BIGINT NOT NULL,
        revoked_ms BIGINT,
        created_ms BIGINT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS cheqpoint_grants_tool ON cheqpoint_grants (tool, expires_ms);
    CREATE TABLE IF NOT EXISTS cheqpoint_grant_uses (
        grant_id TEXT NOT NULL,
        action TEXT NOT NULL,
        details TEXT NOT NULL,
        at_ms BIGINT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS cheqpoint_rulings (
        action TEXT NOT NULL,
        decision TEXT NOT NULL,
        why TEXT NOT NULL,
        line BIGINT,
        details TEXT NOT NULL,
        at_ms BIGINT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS cheqpoint_rulings_at ON cheqpoint_rulings (at_ms);";

/// The columns of a row, in the order the stores read them.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) const COLUMNS: &str = "operation, key, action, details, idempotency_key, approval_id, \
                                  state, owner, version, created_ms, updated_ms";

/// A store's answer, boxed so that the journal can hold any store behind one type.
pub(crate) type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A failure of the database, in its own words.
pub(crate) type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// A database that keeps journal entries. Every write is atomic and seen by every process when
/// its answer arrives; a write of a row that [must be durable](Row::must_be_durable) is on disk
/// by then too, with every write before it.
pub(crate) trait Store: Grants + Send + Sync {
    /// Inserts `row` unless an entry for its operation exists; true when inserted.
    fn insert<'a>(&'a self, row: &'a Row) -> Answer<'a, bool>;

    /// The entry of `operation`, if any.
    fn get<'a>(&'a self, operation: &'a str) -> Answer<'a, Option<Row>>;

    /// Replaces the entry by `row` if it is still at `row.version - 1`; true when replaced.
    fn update<'a>(&'a self, row: &'a Row) -> Answer<'a, bool>;

    /// Deletes the entry of a key whatever its state; true when there was one.
    fn forget<'a>(&'a self, operation: &'a str) -> Answer<'a, bool>;

    /// The entries in one of `states`, oldest first.
    fn in_states<'a>(&'a self, states: &'a [&'a str]) -> Answer<'a, Vec<Row>>;

    /// Deletes the entries in one of `states` last changed before `before_ms`; how many.
    fn prune<'a>(&'a self, states: &'a [&'a str], before_ms: i64) -> Answer<'a, u64>;

    /// The name this process holds entries under.
    fn owner(&self) -> &str;

    /// True while the process that holds entries as `owner` is alive (this one included).
    fn is_alive<'a>(&'a self, owner: &'a str) -> Answer<'a, bool>;
}

/// What a store offers grants: the grants' statements with the `rules` feature, nothing without.
#[cfg(feature = "rules")]
pub(crate) use GrantStore as Grants;
#[cfg(not(feature = "rules"))]
pub(crate) trait Grants {}
#[cfg(not(feature = "rules"))]
impl<T> Grants for T {}

/// The columns of a grant, in the order the stores read them.
#[cfg(all(feature = "rules", any(feature = "sqlite", feature = "postgres")))]
pub(crate) const GRANT_COLUMNS: &str = "id, tool, asked, granted, approval_id, uses, uses_left, \
                                       expires_ms, revoked_ms, created_ms";

/// One kept grant as the stores hold it.
#[cfg(feature = "rules")]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GrantRow {
    pub id: String,
    pub tool: String,
    /// The grant as asked for, JSON.
    pub asked: String,
    /// The grant as approved (the reviewer's narrowing, if any), JSON.
    pub granted: String,
    pub approval_id: Option<String>,
    pub uses: i64,
    pub uses_left: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    pub created_ms: i64,
}

/// What a journal's database offers grants and the rules' records. Writes that change what may run (keeping a grant,
/// taking a use, revoking) are on disk when their answer arrives.
#[cfg(feature = "rules")]
pub(crate) trait GrantStore {
    /// Keeps a new grant.
    fn keep_grant<'a>(&'a self, row: &'a GrantRow) -> Answer<'a, ()>;

    /// The grants of `tool` live at `now_ms` (not expired, not revoked, uses left), the one
    /// that ends first first.
    fn live_grants<'a>(&'a self, tool: &'a str, now_ms: i64) -> Answer<'a, Vec<GrantRow>>;

    /// Takes one use of grant `id` if it is still live at `now_ms`, recording the call
    /// (`action`, `details`); the uses left after it, `None` when none was taken.
    fn take_use<'a>(
        &'a self,
        id: &'a str,
        now_ms: i64,
        action: &'a str,
        details: &'a str,
    ) -> Answer<'a, Option<i64>>;

    /// Revokes grant `id`; true when a live grant was revoked.
    fn revoke_grant<'a>(&'a self, id: &'a str, now_ms: i64) -> Answer<'a, bool>;

    /// Every grant created, or ended, since `since_ms`, newest first.
    fn grants_since<'a>(&'a self, since_ms: i64) -> Answer<'a, Vec<GrantRow>>;

    /// The details of the calls of `action` whose runs ended since `since_ms`, newest first,
    /// at most `limit`.
    fn runs_since<'a>(
        &'a self,
        action: &'a str,
        since_ms: i64,
        limit: i64,
    ) -> Answer<'a, Vec<String>>;

    /// How many operations of `action` changed since `since_ms`.
    fn touched_since<'a>(&'a self, action: &'a str, since_ms: i64) -> Answer<'a, i64>;

    /// Records what a rule decided of a call.
    fn record_ruling<'a>(&'a self, ruling: &'a RulingRow) -> Answer<'a, ()>;

    /// The rules' decisions since `since_ms`, newest first, at most `limit`.
    fn rulings_since<'a>(&'a self, since_ms: i64, limit: i64) -> Answer<'a, Vec<RulingRow>>;
}

/// What a rule decided of one call, as the journal keeps it.
#[cfg(feature = "rules")]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RulingRow {
    /// The call's action.
    pub action: String,
    /// `allow` or `deny`.
    pub decision: String,
    /// The decision with its cause (`allow by rule 2 (line 7)`).
    pub why: String,
    /// The line of the rule that decided, when known.
    pub line: Option<i64>,
    /// The call's arguments, JSON.
    pub details: String,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: i64,
}

/// The error of a journal that could not do `what`.
pub(crate) fn failed(what: &str, source: StoreError) -> Error {
    Error::Journal {
        message: format!("could not {what}"),
        source,
    }
}
