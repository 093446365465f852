//! What a process remembers of the grants: the tools it lately found with no live grant, so
//! that a call with a journal reads the grants at most once in [`UNGRANTED_FOR`] per tool.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// How long a process trusts that a tool has no live grant before it reads the grants again.
/// Only an absence is remembered, never a grant: a grant kept by another process covers calls
/// here at most this late (they are asked meanwhile), and a revocation or a last use is seen at
/// once.
pub const UNGRANTED_FOR: Duration = Duration::from_secs(1);

/// The tools lately found with no live grant, and when.
#[derive(Debug, Default)]
pub(crate) struct Ungranted(Mutex<HashMap<String, Instant>>);

impl Ungranted {
    pub(super) fn lately(&self, tool: &str) -> bool {
        let seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        seen.get(tool)
            .is_some_and(|at| at.elapsed() < UNGRANTED_FOR)
    }

    pub(super) fn found_none(&self, tool: &str) {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Kept small: entries past their time go with the next absence.
        seen.retain(|_, at| at.elapsed() < UNGRANTED_FOR);
        seen.insert(tool.to_owned(), Instant::now());
    }

    pub(super) fn forget(&self, tool: &str) {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        seen.remove(tool);
    }
}
