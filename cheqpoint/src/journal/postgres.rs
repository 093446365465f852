//! The PostgreSQL store: one table shared by every replica. Each change is one statement, so the
//! database makes it atomic: of several processes that try to claim one approval, exactly one
//! changes the row. A process is alive while its first connection is: its owner name is the
//! server process that serves that connection (`pg_backend_pid()` and its start time), which the
//! server ends when the connection goes, however the client died.
//!
//! Claims go through connections that commit to disk; every other write through connections
//! that commit without waiting for it (`synchronous_commit = off`: atomic and seen by every
//! session at once, on disk with the next synced commit). The inserts and updates of calls in
//! flight together go as one statement (`batch.rs`); each connection prepares its statements
//! once, so a statement is one round trip, and statements share a connection's pipeline.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use tokio_postgres::{NoTls, Statement};

use super::{
    batch::{Batcher, Lane, Write},
    row::{Row, State},
    store::{Answer, COLUMNS, SCHEMA, Store, StoreError},
};
use crate::Error;

/// Serialises the creation of the table when replicas start together.
const SCHEMA_LOCK: i64 = 0x6368_6571_6a72_6e6c;

/// How many connections of each kind a journal keeps: calls in flight together commit on
/// several server processes at once, which PostgreSQL flushes to disk together.
const CONNECTIONS: usize = 4;

/// A journal in a PostgreSQL database.
pub(crate) struct PostgresStore {
    /// Connections whose commits wait for the disk: claims, and what a person asks of the
    /// journal. The first one's server process names this process.
    durable: Vec<Connection>,
    /// Connections whose commits do not wait for the disk: every other write, and reads.
    quick: Vec<Connection>,
    /// The inserts and updates that must be on disk, and the others, gathered into statements.
    durable_writes: Batcher,
    quick_writes: Batcher,
    /// Which connection the next statement goes to.
    next: AtomicUsize,
    owner: String,
}

/// One connection, its group statements, and its read of an entry.
struct Connection {
    lane: Arc<Lane>,
    get: Statement,
}

impl Connection {
    /// Prepares the statements on `client`; with `synced` off, its commits do not wait for the
    /// disk.
    async fn prepare(
        client: tokio_postgres::Client,
        synced: bool,
    ) -> Result<Connection, tokio_postgres::Error> {
        if !synced {
            client.batch_execute("SET synchronous_commit = off").await?;
        }
        // A group update joins its rows to the table: by the primary key, one row at a time,
        // whatever the planner's estimate of the table (a young table's makes it scan it all).
        client
            .batch_execute("SET enable_hashjoin = off; SET enable_mergejoin = off")
            .await?;
        let get = client
            .prepare(&format!(
                "SELECT {COLUMNS} FROM cheqpoint_journal WHERE operation = $1"
            ))
            .await?;
        Ok(Connection {
            lane: Arc::new(Lane::prepare(client).await?),
            get,
        })
    }
}

/// The lanes of `connections`, for a batcher.
fn lanes(connections: &[Connection]) -> Vec<Arc<Lane>> {
    connections
        .iter()
        .map(|connection| Arc::clone(&connection.lane))
        .collect()
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
            let first = open(&url).await?;
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
            let mut durable = vec![Connection::prepare(first, true).await?];
            let mut quick = Vec::with_capacity(CONNECTIONS);
            for _ in 1..CONNECTIONS {
                durable.push(Connection::prepare(open(&url).await?, true).await?);
            }
            for _ in 0..CONNECTIONS {
                quick.push(Connection::prepare(open(&url).await?, false).await?);
            }
            Ok::<_, tokio_postgres::Error>(PostgresStore {
                durable_writes: Batcher::start(lanes(&durable)),
                quick_writes: Batcher::start(lanes(&quick)),
                durable,
                quick,
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

    /// The connection the next statement goes to, in turn among those that commit to disk
    /// when `durable`, else among the others.
    fn connection(&self, durable: bool) -> &Connection {
        let connections = if durable { &self.durable } else { &self.quick };
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        &connections[turn % connections.len()]
    }

    /// A connection for a statement that needs no prepared form.
    pub(super) fn client(&self, durable: bool) -> &tokio_postgres::Client {
        &self.connection(durable).lane.client
    }

    /// Writes `row` in the next group statement of its kind; whether it changed the table.
    async fn write(&self, write: Write, row: &Row) -> Result<bool, StoreError> {
        let writes = if row.must_be_durable() {
            &self.durable_writes
        } else {
            &self.quick_writes
        };
        writes.write(write, row.clone()).await
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
        Box::pin(self.write(Write::Insert, row))
    }

    fn get<'a>(&'a self, operation: &'a str) -> Answer<'a, Option<Row>> {
        Box::pin(async move {
            let connection = self.connection(false);
            let row = connection
                .lane
                .client
                .query_opt(&connection.get, &[&operation])
                .await?;
            row.as_ref().map(read_row).transpose()
        })
    }

    fn update<'a>(&'a self, row: &'a Row) -> Answer<'a, bool> {
        Box::pin(self.write(Write::Update, row))
    }

    fn forget<'a>(&'a self, operation: &'a str) -> Answer<'a, bool> {
        Box::pin(async move {
            let deleted = self
                .client(true)
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
                .client(false)
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
                .client(false)
                .execute(
                    "DELETE FROM cheqpoint_journal \
                     WHERE created_ms < $2 AND updated_ms < $2 AND state = ANY($1)",
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
                .client(false)
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
