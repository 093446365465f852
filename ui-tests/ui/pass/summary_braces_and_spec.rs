//! A summary with `{{literal braces}}` and a format spec.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(summary = "Refund {{{amount:>8}}} cents on {order_id:?}, {{exact}}")]
async fn refund(order_id: String, amount: u64) -> Result<(), cheqpoint::Error> {
    let _ = (order_id, amount);
    Ok(())
}

fn main() {
    let _future = refund("8842".into(), 12_000);
}
