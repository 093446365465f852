//! `timeout = 600`: how long to wait for a decision, in seconds.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(timeout = 600)]
async fn deploy(version: String) -> Result<(), cheqpoint::Error> {
    let _ = version;
    Ok(())
}

const TEN_MINUTES: u64 = 600;

#[checkpoint(timeout = TEN_MINUTES)]
async fn rollback(version: String) -> Result<(), cheqpoint::Error> {
    let _ = version;
    Ok(())
}

fn main() {
    let _future = deploy("1.2.0".into());
    let _future = rollback("1.1.0".into());
}
