//! An `unsafe fn` is gated like any other; callers still need `unsafe`.
#![deny(warnings)]

use cheqpoint::checkpoint;

/// # Safety
/// `pointer` must be valid for reads.
#[checkpoint(skip(pointer))]
unsafe fn read_after_approval(pointer: *const u8, note: String) -> Result<u8, cheqpoint::Error> {
    let _ = note;
    Ok(unsafe { *pointer })
}

fn main() {
    let byte = 7u8;
    let _ = unsafe { read_after_approval(&byte, "read one byte".into()) };
}
