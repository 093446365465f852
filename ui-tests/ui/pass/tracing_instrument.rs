//! `#[tracing::instrument]` above and below `#[checkpoint]`.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[tracing::instrument]
#[checkpoint(action = "delete_file")]
async fn delete_outside(path: String) -> Result<(), cheqpoint::Error> {
    let _ = path;
    Ok(())
}

#[checkpoint(action = "delete_file")]
#[tracing::instrument]
async fn delete_inside(path: String) -> Result<(), cheqpoint::Error> {
    let _ = path;
    Ok(())
}

fn main() {
    let _outside = delete_outside("a".into());
    let _inside = delete_inside("b".into());
}
