//! SQLite's group commit: one thread owns the connection and runs the work that has queued up
//! since its last commit in one transaction, so that one `fsync` makes many calls' writes durable.
//! Nobody hears back before the transaction holding their work has committed: a write is on disk
//! when its answer arrives, and when the commit fails, every piece of work in it fails.

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
type Job = Box<dyn FnOnce(Option<&Connection>) -> Finish + Send>;

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

    /// Runs `work` in the next transaction; its result once that transaction has committed.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |connection| {
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
            .send(job)
            .map_err(|_| "the journal's connection thread has stopped")?;
        answered
            .await
            .map_err(|_| "the journal's connection thread has stopped")?
    }
}

/// Takes the work queued, runs it in one transaction, commits, answers; until the queue closes.
fn serve(connection: &Connection, queue: &Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter().take(MAX_BATCH - 1));
        let (finishers, failure): (Vec<Finish>, _) =
            match connection.execute_batch("BEGIN IMMEDIATE") {
                Err(error) => (
                    batch.into_iter().map(|job| job(None)).collect(),
                    Some(format!("could not begin a transaction: {error}")),
                ),
                Ok(()) => {
                    let finishers = batch.into_iter().map(|job| job(Some(connection))).collect();
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
