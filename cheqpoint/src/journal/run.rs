//! The claim on an approved run: recorded before the body starts, ended after it returns.

use super::{
    handle::Journal,
    row::{Row, State},
    store::failed,
};
use crate::Error;

/// The claim on one approved run. With a journal, the claim is in the journal before this
/// exists; [`finish`](Run::finish) records the end once the body has returned. A run dropped
/// without `finish` (the body panicked, or the process died) stays claimed: later calls with its
/// key get [`Error::Interrupted`], never a second run. Without a journal it holds nothing.
#[must_use = "call `finish` after the body, or later calls report the run as interrupted"]
#[derive(Debug)]
pub(crate) struct Run {
    claim: Option<(Journal, Row)>,
}

impl Run {
    /// A run no journal records.
    pub(crate) fn unrecorded() -> Run {
        Run { claim: None }
    }

    /// A run claimed by `row` (already written) in `journal`.
    pub(super) fn claimed(journal: Journal, row: Row) -> Run {
        Run {
            claim: Some((journal, row)),
        }
    }

    /// Records that the body returned. [`Error::Journal`] when the end could not be recorded
    /// (the entry then stays claimed, and later calls report the run as interrupted).
    pub(crate) async fn finish(self) -> Result<(), Error> {
        self.end(State::Finished).await
    }

    /// Records that the approval was refused before the body started: nothing ran, and the
    /// same operation asks anew. [`Error::Journal`] when that could not be recorded (the entry
    /// then stays claimed, and later calls report it interrupted: closed, never run).
    pub(crate) async fn refuse(self) -> Result<(), Error> {
        self.end(State::Refused).await
    }

    /// [`refuse`](Run::refuse) from where nothing can wait (a verdict dropped before its body
    /// started): on the current runtime, else on the crate's own.
    pub(crate) fn refuse_in_background(self) {
        if self.claim.is_none() {
            return;
        }
        let refusal = self.refuse();
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => drop(handle.spawn(refusal)),
            Err(_) => {
                if let Ok(runtime) = crate::runtime::own() {
                    drop(runtime.spawn(refusal));
                }
            }
        }
    }

    async fn end(self, state: State) -> Result<(), Error> {
        let Some((journal, claimed)) = self.claim else {
            return Ok(());
        };
        let finished = claimed.moved(state, None);
        let recorded = journal
            .store()
            .update(&finished)
            .await
            .map_err(|error| failed("record the end of the run", error))?;
        if !recorded {
            return Err(Error::Journal {
                message: format!(
                    "could not record the end of the run of approval {}",
                    claimed.approval_id.as_deref().unwrap_or_default()
                ),
                source: "the journal entry was changed by another process".into(),
            });
        }
        journal.prune_now_and_then().await;
        Ok(())
    }

    /// [`finish`](Run::finish) from a blocking fn, waiting on this thread as
    /// [`crate::runtime::block_on`] does.
    pub(crate) fn finish_blocking(self) -> Result<(), Error> {
        crate::runtime::block_on(self.finish())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_without_a_journal_finishes_from_a_plain_thread() {
        let finished = std::thread::spawn(|| Run::unrecorded().finish_blocking())
            .join()
            .expect("the thread ends");
        assert!(finished.is_ok());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn finishing_blocking_on_a_current_thread_runtime_is_refused() {
        assert!(matches!(
            Run::unrecorded().finish_blocking(),
            Err(Error::BlockingInRuntime)
        ));
    }
}
