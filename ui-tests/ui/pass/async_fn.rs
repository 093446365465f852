//! An async fn: the gate is awaited before the body runs.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(action = "process_refund", risk = 0.8, summary = "Refund {amount_cents} cents on order {order_id}")]
async fn refund(order_id: String, amount_cents: u64) -> Result<u64, cheqpoint::Error> {
    Ok(amount_cents + order_id.len() as u64)
}

fn main() {
    let _future = refund("8842".into(), 12_000);
}
