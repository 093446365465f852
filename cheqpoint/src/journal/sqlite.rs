//! The SQLite store: one local file, shared by the processes of one machine. Writes go through
//! WAL: a claim is on disk when its write returns (`synchronous = FULL`), every other write is
//! committed to the log without a sync; the writes of calls in flight together share one
//! transaction ([`GroupCommit`]). A process shows it is alive by holding an exclusive lock on a
//! file of its own beside the database
//! (`<database>.owners/<owner>.lock`): the operating system drops the lock when the process
//! dies, however it dies.

use std::{
    fs::{self, File, TryLockError},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use rusqlite::{Connection, OptionalExtension, params, types::Type};

use super::{
    group_commit::GroupCommit,
    row::{Row, State},
    store::{Answer, COLUMNS, SCHEMA, Store, StoreError},
};

/// How long a write waits for another process's transaction before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A journal in a SQLite file.
pub(crate) struct SqliteStore {
    connection: GroupCommit,
    /// Tests only: the sync level (`PRAGMA synchronous`) each piece of work saw in its
    /// transaction, in the order the work ran.
    #[cfg(test)]
    levels: std::sync::Arc<std::sync::Mutex<Vec<i64>>>,
    owners: PathBuf,
    owner: String,
    /// Held locked for as long as this store lives: what [`Store::is_alive`] looks for.
    _alive: File,
}

impl SqliteStore {
    /// Opens (creating when missing) the journal at `path`.
    #[allow(
        clippy::incompatible_msrv,
        reason = "the sqlite feature needs Rust 1.89, as rusqlite does"
    )]
    pub(super) fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        prepare(&connection)?;
        let mut owners = path.as_os_str().to_owned();
        owners.push(".owners");
        let owners = PathBuf::from(owners);
        fs::create_dir_all(&owners)?;
        let owner = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let alive = File::create(owners.join(format!("{owner}.lock")))?;
        alive.lock()?;
        Ok(SqliteStore {
            connection: GroupCommit::start(connection)?,
            #[cfg(test)]
            levels: Default::default(),
            owners,
            owner,
            _alive: alive,
        })
    }

    /// Runs `work` in the connection's next transaction (see [`GroupCommit`]), on disk when
    /// its answer arrives if `durable`.
    pub(super) fn with<T: Send + 'static>(
        &self,
        durable: bool,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Answer<'_, T> {
        #[cfg(test)]
        let work = {
            let levels = std::sync::Arc::clone(&self.levels);
            move |connection: &Connection| {
                let level = connection.pragma_query_value(None, "synchronous", |row| row.get(0))?;
                levels.lock().unwrap().push(level);
                work(connection)
            }
        };
        Box::pin(self.connection.run(durable, work))
    }
}

/// Switches the file to WAL and creates the table. Processes that open a new file together race
/// for the switch, which SQLite refuses with `SQLITE_BUSY` at once instead of waiting out the busy
/// timeout: the loser tries again, within that timeout.
fn prepare(connection: &Connection) -> rusqlite::Result<()> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    loop {
        let prepared = connection
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| connection.pragma_update(None, "synchronous", "FULL"))
            .and_then(|()| connection.execute_batch(SCHEMA));
        match prepared {
            Err(rusqlite::Error::SqliteFailure(failure, _))
                if failure.code == rusqlite::ErrorCode::DatabaseBusy
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            prepared => return prepared,
        }
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // The lock goes with the file handle; the file is only tidied away.
        let _ = fs::remove_file(self.owners.join(format!("{}.lock", self.owner)));
    }
}

impl Store for SqliteStore {
    fn insert<'a>(&'a self, row: &'a Row) -> Answer<'a, bool> {
        let row = row.clone();
        self.with(false, move |connection| {
            let inserted = connection
                .prepare_cached(&format!(
                    "INSERT INTO cheqpoint_journal ({COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                     ON CONFLICT (operation) DO NOTHING"
                ))?
                .execute(params![
                    row.operation,
                    row.key,
                    row.action,
                    row.details,
                    row.idempotency_key,
                    row.approval_id,
                    row.state.as_str(),
                    row.owner,
                    row.version,
                    row.created_ms,
                    row.updated_ms
                ])?;
            Ok(inserted == 1)
        })
    }

    fn get<'a>(&'a self, operation: &'a str) -> Answer<'a, Option<Row>> {
        let operation = operation.to_owned();
        self.with(false, move |connection| {
            connection
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM cheqpoint_journal WHERE operation = ?1"
                ))?
                .query_row([operation], read_row)
                .optional()
        })
    }

    fn update<'a>(&'a self, row: &'a Row) -> Answer<'a, bool> {
        let row = row.clone();
        self.with(row.must_be_durable(), move |connection| {
            let updated = connection
                .prepare_cached(
                    "UPDATE cheqpoint_journal SET approval_id = ?1, state = ?2, owner = ?3, \
                     version = ?4, updated_ms = ?5, idempotency_key = ?6 \
                     WHERE operation = ?7 AND version = ?8",
                )?
                .execute(params![
                    row.approval_id,
                    row.state.as_str(),
                    row.owner,
                    row.version,
                    row.updated_ms,
                    row.idempotency_key,
                    row.operation,
                    row.version - 1
                ])?;
            Ok(updated == 1)
        })
    }

    fn forget<'a>(&'a self, operation: &'a str) -> Answer<'a, bool> {
        let operation = operation.to_owned();
        self.with(true, move |connection| {
            let deleted = connection.execute(
                "DELETE FROM cheqpoint_journal WHERE operation = ?1",
                [operation],
            )?;
            Ok(deleted == 1)
        })
    }

    fn in_states<'a>(&'a self, states: &'a [&'a str]) -> Answer<'a, Vec<Row>> {
        let states = json_list(states);
        self.with(false, move |connection| {
            let mut statement = connection.prepare(&format!(
                "SELECT {COLUMNS} FROM cheqpoint_journal \
                 WHERE state IN (SELECT value FROM json_each(?1)) ORDER BY created_ms"
            ))?;
            let rows = statement.query_map([states], read_row)?;
            rows.collect()
        })
    }

    fn prune<'a>(&'a self, states: &'a [&'a str], before_ms: i64) -> Answer<'a, u64> {
        let states = json_list(states);
        self.with(false, move |connection| {
            let deleted = connection.execute(
                "DELETE FROM cheqpoint_journal \
                 WHERE created_ms < ?2 AND updated_ms < ?2 \
                 AND state IN (SELECT value FROM json_each(?1))",
                params![states, before_ms],
            )?;
            Ok(deleted as u64)
        })
    }

    fn owner(&self) -> &str {
        &self.owner
    }

    fn is_alive<'a>(&'a self, owner: &'a str) -> Answer<'a, bool> {
        if owner == self.owner {
            return Box::pin(async { Ok(true) });
        }
        let path = self.owners.join(format!("{}.lock", file_name(owner)));
        Box::pin(async move { tokio::task::spawn_blocking(move || holds_lock(&path)).await? })
    }
}

/// True while some process holds the lock on `path`; a lock file left by a dead process is
/// removed.
#[allow(
    clippy::incompatible_msrv,
    reason = "the sqlite feature needs Rust 1.89, as rusqlite does"
)]
fn holds_lock(path: &Path) -> Result<bool, StoreError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(error.into()),
    };
    match file.try_lock() {
        Ok(()) => {
            drop(file);
            let _ = fs::remove_file(path);
            Ok(false)
        }
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(error)) => Err(error.into()),
    }
}

/// An owner name as a file name: only the characters an owner this store made can hold.
fn file_name(owner: &str) -> String {
    owner
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// A list of states as the JSON array `json_each` reads.
fn json_list(states: &[&str]) -> String {
    serde_json::Value::from(states.to_vec()).to_string()
}

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let state: String = row.get(6)?;
    let state = State::parse(&state).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            6,
            Type::Text,
            format!("unknown journal state {state:?}").into(),
        )
    })?;
    Ok(Row {
        operation: row.get(0)?,
        key: row.get(1)?,
        action: row.get(2)?,
        details: row.get(3)?,
        idempotency_key: row.get(4)?,
        approval_id: row.get(5)?,
        state,
        owner: row.get(7)?,
        version: row.get(8)?,
        created_ms: row.get(9)?,
        updated_ms: row.get(10)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `PRAGMA synchronous` as SQLite reads it back: `NORMAL` and `FULL`.
    const NORMAL: i64 = 1;
    const FULL: i64 = 2;

    fn row(operation: &str) -> Row {
        Row {
            operation: operation.into(),
            key: Some(operation.into()),
            action: "send_email".into(),
            details: "{}".into(),
            idempotency_key: format!("idem-{operation}"),
            approval_id: None,
            state: State::Sending,
            owner: None,
            version: 1,
            created_ms: 1,
            updated_ms: 1,
        }
    }

    /// The durability guard: a claim's transaction is synced to disk when its answer arrives,
    /// and no other write of a call waits for the disk. One write at a time, so each is its own
    /// transaction.
    #[tokio::test]
    async fn only_a_claim_is_synced_and_a_claim_always_is() {
        let directory =
            std::env::temp_dir().join(format!("cheqpoint-sync-{:016x}", fastrand::u64(..)));
        fs::create_dir_all(&directory).unwrap();
        let store = SqliteStore::open(&directory.join("journal.db")).unwrap();
        let mut expected = Vec::new();
        let mut expect = |level: i64, what: String| expected.push((level, what));
        let states = [
            State::Pending,
            State::Running,
            State::Finished,
            State::Pending,
            State::Running,
            State::Interrupted,
            State::Rejected,
            State::Refused,
        ];
        for (n, state) in states.into_iter().enumerate() {
            let mut entry = row(&format!("op-{n}"));
            assert!(store.insert(&entry).await.unwrap());
            expect(NORMAL, format!("insert {n}"));
            entry = entry.moved(state, Some(store.owner()));
            assert!(store.update(&entry).await.unwrap());
            let level = if state == State::Running {
                FULL
            } else {
                NORMAL
            };
            expect(level, format!("update {n} to {state:?}"));
            store.get(&entry.operation).await.unwrap();
            expect(NORMAL, format!("get {n}"));
        }
        store.in_states(&["pending"]).await.unwrap();
        expect(NORMAL, "in_states".into());
        store.prune(&["finished"], i64::MAX).await.unwrap();
        expect(NORMAL, "prune".into());
        assert!(store.forget("op-0").await.unwrap());
        // A person's forget is synced too: rare, and what they asked of the journal.
        expect(FULL, "forget".into());
        let seen = store.levels.lock().unwrap().clone();
        let wanted: Vec<i64> = expected.iter().map(|(level, _)| *level).collect();
        assert_eq!(
            seen,
            wanted,
            "sync level inside each write's transaction, in order: {:?}",
            expected.iter().map(|(_, what)| what).collect::<Vec<_>>()
        );
        drop(store);
        let _ = fs::remove_dir_all(&directory);
    }
}
