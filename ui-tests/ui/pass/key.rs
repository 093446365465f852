//! `key = ..`: a template over the parameters naming the operation, async and blocking.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(action = "process_refund", key = "refund-{order_id}-{amount_cents:08}")]
async fn refund(order_id: String, amount_cents: u64) -> Result<u64, cheqpoint::Error> {
    let _ = order_id;
    Ok(amount_cents)
}

#[checkpoint(key = "archive-{path}")]
fn archive(path: &str) -> Result<usize, cheqpoint::Error> {
    if path.is_empty() {
        return Ok(0);
    }
    Ok(path.len())
}

fn main() {
    let _future = refund("8842".into(), 1200);
    let _gated = archive;
}
