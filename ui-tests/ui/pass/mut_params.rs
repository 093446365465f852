//! `mut` parameters: the body may change the approved value.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(readonly(limit))]
async fn trim(mut text: String, mut limit: usize) -> Result<String, cheqpoint::Error> {
    limit = limit.min(text.len());
    text.truncate(limit);
    Ok(text)
}

fn main() {
    let _future = trim("hello".into(), 3);
}
