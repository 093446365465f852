//! PostgreSQL's group statements: the inserts and updates of the calls in flight together reach
//! the server as one statement each, their rows passed as arrays and `unnest`ed, in one commit.
//! The server's cost of a statement and of a commit is then shared by every call in it, as one
//! `fsync` is in SQLite's group commit (`group_commit.rs`). A call hears back once the statement
//! holding its row has committed; when the statement fails, every row in it fails.
//!
//! A statement holds at most one row of an operation: a second write of an operation waits for
//! the next statement, so that each write sees the one before it, as if it had come alone.

use std::{collections::HashSet, sync::Arc};

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_postgres::{Client, Statement, types::ToSql};

use super::{
    row::Row,
    store::{COLUMNS, StoreError},
};

/// The most rows one statement takes.
const MAX_ROWS: usize = 256;

/// How many statements of one batcher are in flight at once: while they are, the rows that
/// arrive wait and go together in the next.
const IN_FLIGHT: usize = 2;

/// One connection and its two group statements.
pub(super) struct Lane {
    pub(super) client: Client,
    insert: Statement,
    update: Statement,
}

impl Lane {
    /// Prepares the group statements on `client`.
    pub(super) async fn prepare(client: Client) -> Result<Lane, tokio_postgres::Error> {
        let insert = client
            .prepare(&format!(
                "INSERT INTO cheqpoint_journal ({COLUMNS}) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
                 $5::text[], $6::text[], $7::text[], $8::text[], $9::int8[], $10::int8[], \
                 $11::int8[]) \
                 ON CONFLICT (operation) DO NOTHING RETURNING operation"
            ))
            .await?;
        let update = client
            .prepare(
                "UPDATE cheqpoint_journal AS entry SET approval_id = change.approval_id, \
                 state = change.state, owner = change.owner, version = change.version, \
                 updated_ms = change.updated_ms, idempotency_key = change.idempotency_key \
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], \
                 $6::int8[], $7::text[]) \
                 AS change(operation, approval_id, state, owner, version, updated_ms, \
                 idempotency_key) \
                 WHERE entry.operation = change.operation AND entry.version = change.version - 1 \
                 RETURNING entry.operation",
            )
            .await?;
        Ok(Lane {
            client,
            insert,
            update,
        })
    }
}

/// What is asked of a row.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Write {
    /// Insert it unless its operation has an entry.
    Insert,
    /// Replace the entry if it is still at the row's version − 1.
    Update,
}

/// A write waiting for its statement, and where its answer goes: whether it changed the table.
struct Pending {
    write: Write,
    row: Row,
    answer: oneshot::Sender<Result<bool, StoreError>>,
}

/// The queue to one set of connections' group statements.
pub(super) struct Batcher {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Batcher {
    /// Starts taking writes for `lanes`, on the current runtime; it stops when this is dropped.
    pub(super) fn start(lanes: Vec<Arc<Lane>>) -> Batcher {
        let (queue, writes) = mpsc::unbounded_channel();
        tokio::spawn(serve(lanes, writes));
        Batcher { queue }
    }

    /// Writes `row` in the next statement; whether it changed the table, once committed.
    pub(super) async fn write(&self, write: Write, row: Row) -> Result<bool, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Pending { write, row, answer })
            .map_err(|_| "the journal's PostgreSQL writer has stopped")?;
        answered
            .await
            .map_err(|_| "the journal's PostgreSQL writer has stopped")?
    }
}

/// Takes the writes queued whenever a statement may start, and sends them together, in turn on
/// each lane; until the queue closes.
async fn serve(lanes: Vec<Arc<Lane>>, mut writes: mpsc::UnboundedReceiver<Pending>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut held: Vec<Pending> = Vec::new();
    for turn in 0.. {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let mut batch = std::mem::take(&mut held);
        if batch.is_empty() {
            match writes.recv().await {
                Some(first) => batch.push(first),
                None => return,
            }
        }
        while batch.len() < MAX_ROWS {
            match writes.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (now, later) = one_per_operation(batch);
        held = later;
        let lane = Arc::clone(&lanes[turn % lanes.len()]);
        tokio::spawn(async move {
            send(&lane, now).await;
            drop(slot);
        });
    }
}

/// The writes of `batch` split into those that go now, the first of each operation, and those
/// that wait for the next statement.
fn one_per_operation(batch: Vec<Pending>) -> (Vec<Pending>, Vec<Pending>) {
    let mut seen = HashSet::with_capacity(batch.len());
    batch
        .into_iter()
        .partition(|pending| seen.insert(pending.row.operation.clone()))
}

/// Sends the inserts and the updates of `batch` (one write an operation), each kind as one
/// statement, and answers each write.
async fn send(lane: &Lane, batch: Vec<Pending>) {
    let (inserts, updates): (Vec<Pending>, Vec<Pending>) = batch
        .into_iter()
        .partition(|pending| pending.write == Write::Insert);
    tokio::join!(
        answer(lane, Write::Insert, inserts),
        answer(lane, Write::Update, updates),
    );
}

/// Runs the `write` statement over the rows of `writes`, unless there are none, and tells each
/// write whether its operation was among those the statement changed.
async fn answer(lane: &Lane, write: Write, writes: Vec<Pending>) {
    if writes.is_empty() {
        return;
    }
    let rows: Vec<&Row> = writes.iter().map(|pending| &pending.row).collect();
    let changed = match write {
        Write::Insert => insert(lane, &rows).await,
        Write::Update => update(lane, &rows).await,
    };
    for pending in writes {
        let outcome = match &changed {
            Ok(changed) => Ok(changed.contains(&pending.row.operation)),
            Err(error) => Err(error.to_string().into()),
        };
        let _ = pending.answer.send(outcome);
    }
}

async fn insert(lane: &Lane, rows: &[&Row]) -> Result<HashSet<String>, tokio_postgres::Error> {
    let rows = Columns(rows);
    let columns: [&(dyn ToSql + Sync); 11] = [
        &rows.text(|row| &row.operation),
        &rows.maybe(|row| row.key.as_deref()),
        &rows.text(|row| &row.action),
        &rows.text(|row| &row.details),
        &rows.text(|row| &row.idempotency_key),
        &rows.maybe(|row| row.approval_id.as_deref()),
        &rows.text(|row| row.state.as_str()),
        &rows.maybe(|row| row.owner.as_deref()),
        &rows.number(|row| row.version),
        &rows.number(|row| row.created_ms),
        &rows.number(|row| row.updated_ms),
    ];
    changed(lane, &lane.insert, &columns).await
}

async fn update(lane: &Lane, rows: &[&Row]) -> Result<HashSet<String>, tokio_postgres::Error> {
    let rows = Columns(rows);
    let columns: [&(dyn ToSql + Sync); 7] = [
        &rows.text(|row| &row.operation),
        &rows.maybe(|row| row.approval_id.as_deref()),
        &rows.text(|row| row.state.as_str()),
        &rows.maybe(|row| row.owner.as_deref()),
        &rows.number(|row| row.version),
        &rows.number(|row| row.updated_ms),
        &rows.text(|row| &row.idempotency_key),
    ];
    changed(lane, &lane.update, &columns).await
}

/// The rows of a statement, read a column at a time: each column is one array parameter.
struct Columns<'a>(&'a [&'a Row]);

impl<'a> Columns<'a> {
    fn text(&self, column: fn(&'a Row) -> &'a str) -> Vec<&'a str> {
        self.0.iter().map(|row| column(row)).collect()
    }

    fn maybe(&self, column: fn(&'a Row) -> Option<&'a str>) -> Vec<Option<&'a str>> {
        self.0.iter().map(|row| column(row)).collect()
    }

    fn number(&self, column: fn(&'a Row) -> i64) -> Vec<i64> {
        self.0.iter().map(|row| column(row)).collect()
    }
}

/// Runs `statement` with `columns`; the operations it returned.
async fn changed(
    lane: &Lane,
    statement: &Statement,
    columns: &[&(dyn ToSql + Sync)],
) -> Result<HashSet<String>, tokio_postgres::Error> {
    lane.client
        .query(statement, columns)
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect()
}
