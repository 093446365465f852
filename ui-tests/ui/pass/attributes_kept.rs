//! Doc comments, outer attributes and the body's inner attributes are kept: without the body's
//! `#![allow(unused_variables)]` the crate's `deny(warnings)` would fail the build.
#![deny(warnings)]

use cheqpoint::checkpoint;

/// Wipes the cache. Documented, and `#[must_use]` still applies to callers (see
/// `fail/must_use_kept.rs`).
#[must_use = "the count of wiped entries says whether anything happened"]
#[allow(clippy::needless_pass_by_value)]
#[checkpoint(action = "wipe_cache")]
#[inline]
fn wipe(prefix: String) -> Result<usize, cheqpoint::Error> {
    #![allow(unused_variables)]
    let unused = 1;
    Ok(prefix.len())
}

fn main() {
    let _count = wipe;
}
