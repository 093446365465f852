//! SQLite's group commit: one thread owns the connection and runs the work that has queued up
//! since its last commit in one transaction, so that one `fsync` makes many calls' writes durable.
//! Nobody hears back before the transaction holding their work has committed, and when the commit
//! fails, every piece of work in it fails. A transaction is synced to disk (`synchronous = FULL`)
//! when a piece of work in it must be durable; otherwise it commits to the write-ahead log
//! without a sync (`NORMAL`: atomic, seen by every process at once, and on disk with the next
//! synced commit, which carries every commit before it).

use std::{
    sync::mpsc::{self, Receiver, Sender},
    thread,
};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::store::StoreError;

/// The most work one transaction takes.
const MAX_BATCH: usize = 256;

/// A piece of work: runs on the connection (none when its transaction could not begin), then
/// hears how the transaction ended (`Some(why)` when it failed).
type Work = Box<dyn FnOnce(Option<&Connection>) -> Finish + Send>;

/// A piece of work, and whether it must be on disk when its answer arrives.
struct Job {
    durable: bool,
    work: Work,
}

/// What a piece of work does once its transaction has ended.
type Finish = Box<dyn FnOnce(Option<&str>) + Send>;

/// The queue to the connection's thread.
pub(crate) struct GroupCommit {
    jobs: Sender<Job>,
}

impl GroupCommit {
    /// Starts the thread that owns `connection`; it ends when this is dropped.
    pub(super) fn start(connection: Connection) -> std::io::Result<GroupCommit> {
        let (jobs, queue) = mpsc::channel();
        thread::Builder::new()
            .name("cheqpoint-journal".into())
            .spawn(move || serve(&connection, &queue))?;
        Ok(GroupCommit { jobs })
    }

    /// Runs `work` in the next transaction; its result once that transaction has committed
    /// (and, when `durable`, reached the disk).
    pub(super) async fn run<T: Send + 'static>(
        &self,
        durable: bool,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = oneshot::channel();
        let work: Work = Box::new(move |connection| {
            let result = connection.map(work);
            Box::new(move |failure: Option<&str>| {
                let outcome = match (result, failure) {
                    (Some(Err(error)), _) => Err(StoreError::from(error)),
                    (_, Some(failure)) => Err(failure.into()),
                    (Some(Ok(value)), None) => Ok(value),
                    (None, None) => Err("the work was not run".into()),
                };
                let _ = answer.send(outcome);
            })
        });
        self.jobs
            .send(Job { durable, work })
            .map_err(|_| "the journal's connection thread has stopped")?;
        answered
            .await
            .map_err(|_| "the journal's connection thread has stopped")?
    }
}

/// Takes the work queued, runs it in one transaction, commits, answers; until the queue closes.
fn serve(connection: &Connection, queue: &Receiver<Job>) {
    let mut synced = None;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter().take(MAX_BATCH - 1));
        let durable = batch.iter().any(|job| job.durable);
        let begun = sync_commits(connection, durable, &mut synced)
            .and_then(|()| connection.execute_batch("BEGIN IMMEDIATE"));
        let (finishers, failure): (Vec<Finish>, _) = match begun {
            Err(error) => (
                batch.into_iter().map(|job| (job.work)(None)).collect(),
                Some(format!("could not begin a transaction: {error}")),
            ),
            Ok(()) => {
                let finishers = batch
                    .into_iter()
                    .map(|job| (job.work)(Some(connection)))
                    .collect();
                let failure = connection.execute_batch("COMMIT").err().map(|error| {
                    let _ = connection.execute_batch("ROLLBACK");
                    format!("could not commit: {error}")
                });
                (finishers, failure)
            }
        };
        for finish in finishers {
            finish(failure.as_deref());
        }
    }
}

/// Sets whether the next commit is synced to disk, unless it is set so already (`synced`).
fn sync_commits(
    connection: &Connection,
    durable: bool,
    synced: &mut Option<bool>,
) -> rusqlite::Result<()> {
    if *synced != Some(durable) {
        let level = if durable { "FULL" } else { "NORMAL" };
        connection.pragma_update(None, "synchronous", level)?;
        *synced = Some(durable);
    }
    Ok(())
}
