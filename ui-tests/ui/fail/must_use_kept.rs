// The fn's own attributes are kept: its `#[must_use]` text reaches the caller.
#![deny(unused_must_use)]

use cheqpoint::checkpoint;

#[must_use = "the count says whether anything was wiped"]
#[checkpoint]
fn wipe(prefix: String) -> Result<usize, cheqpoint::Error> {
    Ok(prefix.len())
}

fn main() {
    wipe("tmp/".into());
}
