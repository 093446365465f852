//! The PostgreSQL store: one table shared by every replica. Each change is one statement, so the
//! database makes it atomic: of several processes that try to claim one approval, exactly one
//! changes the row. A process is alive while its first connection is: its owner name is the
//! server process that serves that connection (`pg_backend_pid()` and its start time), which the
//! server ends when the connection goes, however the client died.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_postgres::NoTls;

use super::{
    row::{Row, State},
    store::{Answer, COLUMNS, SCHEMA, Store, StoreError},
};
use crate::Error;

/// Serialises the creation of the table when replicas start together.
const SCHEMA_LOCK: i64 = 0x6368_6571_6a72_6e6c;

/// How many connections a journal keeps: calls in flight together commit on several server
/// processes at once, which PostgreSQL flushes to disk together.
const CONNECTIONS: usize = 8;

/// A journal in a PostgreSQL database.
pub(crate) struct PostgresStore {
    clients: Vec<tokio_postgres::Client>,
    /// Which connection the next statement goes to.
    next: AtomicUsize,
    owner: String,
}

impl PostgresStore {
    /// Connects to `url` (a `postgres://` URL or a `key=value` string; no TLS) and creates the
    /// table when missing. The connections run on the crate's own runtime, so they outlive the
    /// runtime of the caller. This process is alive, for other processes, while its first
    /// connection is.
    pub(super) async fn connect(url: &str) -> Result<PostgresStore, Error> {
        let runtime = crate::runtime::own()?;
        let url = url.to_owned();
        let connecting = runtime.spawn(async move {
            let mut clients = Vec::with_capacity(CONNECTIONS);
            for _ in 0..CONNECTIONS {
                clients.push(open(&url).await?);
            }
            let first = &clients[0];
            first
                .batch_execute(&format!(
                    "BEGIN; SELECT pg_advisory_xact_lock({SCHEMA_LOCK}); {SCHEMA} COMMIT;"
                ))
                .await?;
            let me = first
                .query_one(
                    "SELECT pid, (extract(epoch FROM backend_start) * 1000000)::bigint \
                     FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                    &[],
                )
                .await?;
            let owner = format!("pg-{}-{}", me.get::<_, i32>(0), me.get::<_, i64>(1));
            Ok::<_, tokio_postgres::Error>(PostgresStore {
                clients,
                next: AtomicUsize::new(0),
                owner,
            })
        });
        match connecting.await {
            Ok(store) => store
                .map_err(|error| super::store::failed("open the PostgreSQL journal", error.into())),
            Err(error) => Err(super::store::failed(
                "open the PostgreSQL journal",
                error.into(),
            )),
        }
    }

    /// The connection the next statement goes to, in turn.
    fn client(&self) -> &tokio_postgres::Client {
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        &self.clients[turn % self.clients.len()]
    }
}

/// One connection, its driver spawned on the current runtime.
async fn open(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        if let Err(_error) = connection.await {
            #[cfg(feature = "tracing")]
            tracing::warn!(error = %_error, "a connection of the journal's PostgreSQL ended");
        }
    });
    Ok(client)
}

impl Store for PostgresStore {
    fn insert<'a>(&'a self, row: &'a Row) -> Answer<'a, bool> {
        Box::pin(async move {
            let inserted = self
                .client()
                .execute(
                    &format!(
                        "INSERT INTO cheqpoint_journal ({COLUMNS}) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                         ON CONFLICT (operation) DO NOTHING"
                    ),
                    &[
                        &row.operation,
                        &row.key,
                        &row.action,
                        &row.details,
                        &row.idempotency_key,
                        &row.approval_id,
                        &row.state.as_str(),
                        &row.owner,
                        &row.version,
                        &row.created_ms,
                        &row.updated_ms,
                    ],
                )
                .await?;
            Ok(inserted == 1)
        })
    }

    fn get<'a>(&'a self, operation: &'a str) -> Answer<'a, Option<Row>> {
        Box::pin(async move {
            let row = self
                .client()
                .query_opt(
                    &format!("SELECT {COLUMNS} FROM cheqpoint_journal WHERE operation = $1"),
                    &[&operation],
                )
                .await?;
            row.as_ref().map(read_row).transpose()
        })
    }

    fn update<'a>(&'a self, row: &'a Row) -> Answer<'a, bool> {
        Box::pin(async move {
            let updated = self
                .client()
                .execute(
                    "UPDATE cheqpoint_journal SET approval_id = $1, state = $2, owner = $3, \
                     version = $4, updated_ms = $5 WHERE operation = $6 AND version = $7",
                    &[
                        &row.approval_id,
                        &row.state.as_str(),
                        &row.owner,
                        &row.version,
                        &row.updated_ms,
                        &row.operation,
                        &(row.version - 1),
                    ],
                )
                .await?;
            Ok(updated == 1)
        })
    }

    fn delete<'a>(&'a self, operation: &'a str, version: i64) -> Answer<'a, bool> {
        Box::pin(async move {
            let deleted = self
                .client()
                .execute(
                    "DELETE FROM cheqpoint_journal WHERE operation = $1 AND version = $2",
                    &[&operation, &version],
                )
                .await?;
            Ok(deleted == 1)
        })
    }

    fn forget<'a>(&'a self, operation: &'a str) -> Answer<'a, bool> {
        Box::pin(async move {
            let deleted = self
                .client()
                .execute(
                    "DELETE FROM cheqpoint_journal WHERE operation = $1",
                    &[&operation],
                )
                .await?;
            Ok(deleted == 1)
        })
    }

    fn in_states<'a>(&'a self, states: &'a [&'a str]) -> Answer<'a, Vec<Row>> {
        Box::pin(async move {
            let rows = self
                .client()
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM cheqpoint_journal WHERE state = ANY($1) \
                         ORDER BY created_ms"
                    ),
                    &[&states],
                )
                .await?;
            rows.iter().map(read_row).collect()
        })
    }

    fn prune<'a>(&'a self, states: &'a [&'a str], before_ms: i64) -> Answer<'a, u64> {
        Box::pin(async move {
            Ok(self
                .client()
                .execute(
                    "DELETE FROM cheqpoint_journal WHERE state = ANY($1) AND updated_ms < $2",
                    &[&states, &before_ms],
                )
                .await?)
        })
    }

    fn owner(&self) -> &str {
        &self.owner
    }

    fn is_alive<'a>(&'a self, owner: &'a str) -> Answer<'a, bool> {
        Box::pin(async move {
            if owner == self.owner {
                return Ok(true);
            }
            // An owner this store did not write (another kind of store) is nobody alive here.
            let Some((pid, started)) = parse_owner(owner) else {
                return Ok(false);
            };
            let row = self
                .client()
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 \
                     AND (extract(epoch FROM backend_start) * 1000000)::bigint = $2)",
                    &[&pid, &started],
                )
                .await?;
            Ok(row.get(0))
        })
    }
}

/// The server process and its start time in an owner name `pg-<pid>-<start µs>`.
fn parse_owner(owner: &str) -> Option<(i32, i64)> {
    let (pid, started) = owner.strip_prefix("pg-")?.split_once('-')?;
    Some((pid.parse().ok()?, started.parse().ok()?))
}

fn read_row(row: &tokio_postgres::Row) -> Result<Row, StoreError> {
    let state: String = row.try_get(6)?;
    let state = State::parse(&state).ok_or_else(|| format!("unknown journal state {state:?}"))?;
    Ok(Row {
        operation: row.try_get(0)?,
        key: row.try_get(1)?,
        action: row.try_get(2)?,
        details: row.try_get(3)?,
        idempotency_key: row.try_get(4)?,
        approval_id: row.try_get(5)?,
        state,
        owner: row.try_get(7)?,
        version: row.try_get(8)?,
        created_ms: row.try_get(9)?,
        updated_ms: row.try_get(10)?,
    })
}
