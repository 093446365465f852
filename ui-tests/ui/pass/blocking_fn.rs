//! A plain (blocking) fn: the gate waits on the calling thread.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(risk = 1)]
fn delete_file(path: String) -> Result<(), cheqpoint::Error> {
    let _ = path;
    Ok(())
}

fn main() {
    let _gated: fn(String) -> Result<(), cheqpoint::Error> = delete_file;
}
