//! `#[expect(..)]` on a read-only parameter applies to the binding the body uses.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(readonly(account))]
async fn close(#[expect(unused_variables)] account: u64, reason: String) -> Result<String, cheqpoint::Error> {
    Ok(reason)
}

fn main() {
    let _future = close(7, "requested".into());
}
