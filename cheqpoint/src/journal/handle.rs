//! The [`Journal`] handle a client is given: which store it writes to, how long it keeps what
//! is finished, and what an application asks of it (unfinished operations, pruning, forgetting).

use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, SystemTime},
};

use serde_json::Value;

use super::{
    row::{Row, State, now_ms, time_of},
    store::{Store, failed},
};
use crate::Error;

/// How long finished entries are kept unless told otherwise.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// How often, at most, a journal prunes by itself.
const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Where a client records each step of a gated call, so that the call survives restarts and
/// replicas: one operation makes at most one request, and one approval runs its body at most
/// once.
///
/// ```no_run
/// # #[cfg(feature = "sqlite")]
/// # async fn run() -> Result<(), cheqpoint::Error> {
/// let client = cheqpoint::Client::builder()
///     .api_key("cq_live_…")
///     .journal(cheqpoint::Journal::sqlite("cheqpoint.db")?) // feature "sqlite": one file
///     // .journal(cheqpoint::Journal::postgres(&url).await?) // feature "postgres": replicas
///     .build()?;
/// # Ok(()) }
/// ```
///
/// # What a call does with a journal
///
/// An operation is named by the request's [`key`](crate::ApprovalRequest::key) (the
/// `#[checkpoint(key = "refund-{order_id}")]` option), else by its action and details (within its
/// [`scope`](crate::ApprovalRequest::scope), when it has one). A
/// checkpoint finds its operation's entry and does what this table says:
///
/// | the journal holds | the call |
/// | --- | --- |
/// | nothing | records the operation, then sends the create, then records the request's id, then waits |
/// | a create sent, its id never recorded (the sender died) | sends the create again with the same `Idempotency-Key`; a service that honours the header answers with the first request, one that ignores it makes a second (the first stays unanswered at the reviewer) |
/// | nothing, though a create was sent (the entry was lost in a power cut before it reached the disk) | records the operation again and sends its create with the same `Idempotency-Key`, made from the operation: as the row above |
/// | a create being sent by a live process | waits for its id, then as below |
/// | a **pending** request | re-attaches to it (no new request) and waits |
/// | a request **approved, not yet run** | claims it (recorded before the body runs) and runs the body once |
/// | a run **finished** | with a key: [`Error::AlreadyDone`], without asking again; without one: a new call, asked anew (the reviewer is told what became of it before) |
/// | an approval **refused before it ran** (an edit that does not fit) | asks anew, with a key or without |
/// | a run **started and never ended** (its process died inside the body) | [`Error::Interrupted`], never a second run (a call without a key reports it once, then asks anew) |
/// | a run **in progress** in a live process | [`Error::InProgress`] |
/// | a request **a person rejected** | with a key: [`Error::Rejected`], read again from the service, final for the key; without one: asked anew |
/// | a request **the system rejected** (`retryable`, e.g. expired) | [`Error::Rejected`] with `retryable`: the next call asks again, with a new `Idempotency-Key` |
///
/// A timeout is not a rejection: the entry stays, and the next call with the key picks up the
/// decision that came meanwhile. A re-attached call whose details differ from those the request
/// was made with fails with [`Error::DetailsMismatch`]: what runs is what was approved.
///
/// Each step is written before the step it guards, atomically and seen by every process at once:
/// the operation before its create is sent, the request's id before the wait, the claim before
/// the body runs. Only the claim waits for the disk, since it alone keeps a body from running
/// twice: a step lost in a power cut leaves the entry a step behind, and the next call goes on
/// from there with the same `Idempotency-Key` (made from the operation and its generation, which
/// each new ask of the operation advances). A journal that cannot be written (disk full, a
/// read-only file, the database down) fails the call closed with [`Error::Journal`]: the body
/// does not run.
///
/// [`Client::checkpoint`](crate::Client::checkpoint) counts an approval as run when it returns
/// it (the caller acts on it); [`Client::guard`](crate::Client::guard) and `#[checkpoint]` record
/// the end when the body returns, so a crash inside the body is reported as interrupted.
///
/// # Liveness
///
/// "In a live process" is known exactly, not guessed from a lease: with SQLite a process holds
/// a lock on a file of its own beside the database, which the system drops when the process
/// dies; with PostgreSQL an entry is held by the server process of the holder's connection,
/// which ends with the connection.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<JournalInner>,
}

struct JournalInner {
    store: Box<dyn Store>,
    /// How long finished entries are kept, in milliseconds (shared by every clone).
    retention_ms: AtomicI64,
    /// When this journal last pruned, in milliseconds since the Unix epoch.
    last_pruned_ms: AtomicI64,
    /// The tools this process lately found no live grant for.
    #[cfg(feature = "rules")]
    ungranted: super::grants::Ungranted,
    /// The bounds of the grants this process has read, by id.
    #[cfg(feature = "rules")]
    read_grants: super::grants::ReadGrants,
}

/// An operation still to be decided or run, as [`Journal::unfinished`] lists it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Unfinished {
    /// The operation's key; `None` for a call made without one.
    pub key: Option<String>,
    /// The action.
    pub action: String,
    /// The request's id; `None` while the create is being sent (or its sender died before the id
    /// was recorded).
    pub approval_id: Option<String>,
    /// The details the request was made with.
    pub details: Value,
    /// When the operation was first recorded.
    pub since: SystemTime,
}

impl Journal {
    /// A journal in the SQLite file at `path` (created when missing), shared by the processes of
    /// this machine. Writes go to the write-ahead log; a claim is synced to disk before the body
    /// runs (`synchronous = FULL` for the commit that holds it).
    #[cfg(feature = "sqlite")]
    pub fn sqlite(path: impl AsRef<std::path::Path>) -> Result<Journal, Error> {
        let store = super::sqlite::SqliteStore::open(path.as_ref())
            .map_err(|error| failed("open the SQLite journal", error))?;
        Ok(Journal::with_store(Box::new(store)))
    }

    /// A journal in the PostgreSQL database at `url` (`postgres://user@host:port/db`, or a
    /// `key=value` connection string; without TLS), shared by every replica that connects to it.
    /// The table `cheqpoint_journal` is created when missing.
    #[cfg(feature = "postgres")]
    pub async fn postgres(url: &str) -> Result<Journal, Error> {
        let store = super::postgres::PostgresStore::connect(url).await?;
        Ok(Journal::with_store(Box::new(store)))
    }

    #[cfg_attr(
        not(any(feature = "sqlite", feature = "postgres")),
        allow(dead_code, reason = "only the stores behind features build a journal")
    )]
    fn with_store(store: Box<dyn Store>) -> Journal {
        Journal {
            inner: Arc::new(JournalInner {
                store,
                retention_ms: AtomicI64::new(DEFAULT_RETENTION.as_millis() as i64),
                last_pruned_ms: AtomicI64::new(0),
                #[cfg(feature = "rules")]
                ungranted: Default::default(),
                #[cfg(feature = "rules")]
                read_grants: Default::default(),
            }),
        }
    }

    /// How long a finished operation (run, rejected by a person, or reported interrupted) is
    /// kept, answering later calls with its key; default [`DEFAULT_RETENTION`], 30 days. After
    /// that it is pruned, and a call with its key asks again. Applies to every clone.
    pub fn retention(self, keep: Duration) -> Journal {
        let keep_ms = keep.as_millis().min(i64::MAX as u128) as i64;
        self.inner.retention_ms.store(keep_ms, Ordering::Relaxed);
        self
    }

    /// What is pending or approved and not yet run, oldest first: what an application re-drives
    /// at start-up (call the gated function again with the same key; it re-attaches).
    pub async fn unfinished(&self) -> Result<Vec<Unfinished>, Error> {
        let states = State::UNFINISHED.map(State::as_str);
        let rows = self
            .store()
            .in_states(&states)
            .await
            .map_err(|error| failed("read the journal", error))?;
        Ok(rows.into_iter().map(Unfinished::from).collect())
    }

    /// Deletes the finished operations older than the [retention](Journal::retention); returns
    /// how many. A journal also prunes by itself, at most once an hour, after a run finishes.
    pub async fn prune(&self) -> Result<u64, Error> {
        let before = now_ms().saturating_sub(self.inner.retention_ms.load(Ordering::Relaxed));
        let states = State::DONE.map(State::as_str);
        let pruned = self
            .store()
            .prune(&states, before)
            .await
            .map_err(|error| failed("prune the journal", error))?;
        self.inner.last_pruned_ms.store(now_ms(), Ordering::Relaxed);
        Ok(pruned)
    }

    /// Forgets the operation of `key`, whatever its state: the next call with the key asks
    /// again. For an operation reported [interrupted](Error::Interrupted), once the application
    /// has checked what its body did. True when there was an entry.
    pub async fn forget(&self, key: &str) -> Result<bool, Error> {
        self.store()
            .forget(&crate::identity::operation(
                Some(key),
                None,
                "",
                &Value::Null,
            ))
            .await
            .map_err(|error| failed("write the journal", error))
    }

    /// Prunes when the last pruning is older than an hour. A failure is left for the next time:
    /// pruning guards nothing.
    pub(super) async fn prune_now_and_then(&self) {
        let last = self.inner.last_pruned_ms.load(Ordering::Relaxed);
        if now_ms().saturating_sub(last) >= PRUNE_EVERY.as_millis() as i64 {
            let _ = self.prune().await;
        }
    }

    pub(super) fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    #[cfg(feature = "rules")]
    pub(super) fn ungranted(&self) -> &super::grants::Ungranted {
        &self.inner.ungranted
    }

    #[cfg(feature = "rules")]
    pub(super) fn read_grants(&self) -> &super::grants::ReadGrants {
        &self.inner.read_grants
    }
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("owner", &self.store().owner())
            .field(
                "retention",
                &Duration::from_millis(self.inner.retention_ms.load(Ordering::Relaxed) as u64),
            )
            .finish()
    }
}

impl From<Row> for Unfinished {
    fn from(row: Row) -> Unfinished {
        Unfinished {
            details: serde_json::from_str(&row.details).unwrap_or(Value::Null),
            key: row.key,
            action: row.action,
            approval_id: row.approval_id,
            since: time_of(row.created_ms),
        }
    }
}
