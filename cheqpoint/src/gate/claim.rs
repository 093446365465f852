//! The claim on an approved run, as a gated fn holds it across its body.

use std::{future::Future, pin::Pin};

use crate::journal::Run;

/// The claim on an approved run, taken out of the verdict before the body runs and finished
/// once it returns: with a journal, a process that dies in between leaves the run claimed, and
/// later calls with its key report it interrupted instead of running it again.
///
/// Boxed, like the wait, so that a gated fn's future holds a pointer across the body.
#[derive(Debug)]
pub struct Claim(Box<Run>);

impl Claim {
    /// The claim `run` holds.
    pub(crate) fn of(run: Run) -> Claim {
        Claim(Box::new(run))
    }

    /// No claim: the call was not gated (`when = ..` was false).
    pub fn unclaimed() -> Claim {
        Claim(Box::new(Run::unrecorded()))
    }

    /// Records that the body returned `output`, and hands it back. The body's result stands
    /// whatever happens here: an end that cannot be recorded leaves the run claimed, and later
    /// calls report it interrupted. Boxed with the output, so that a gated fn's future keeps a
    /// pointer across this step, not the output beside the body's state.
    pub fn finish<T>(self, output: T) -> Pin<Box<impl Future<Output = T>>> {
        Box::pin(async move {
            let _ = self.0.finish().await;
            output
        })
    }

    /// Records that the approval was refused before the body started (an edit that does not
    /// fit), without waiting: the same operation asks anew.
    pub(crate) fn refuse_in_background(self) {
        self.0.refuse_in_background();
    }

    /// [`finish`](Claim::finish) from a blocking fn.
    pub fn finish_blocking(self) {
        let _ = self.0.finish_blocking();
    }
}
