//! A justification built from the arguments with `format!`.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(justification = format!("the customer asked for {amount} back on {order_id}"))]
async fn refund(order_id: String, amount: u64) -> Result<(), cheqpoint::Error> {
    let _ = (order_id, amount);
    Ok(())
}

const WHY: &str = "nightly clean-up";

#[checkpoint(justification = WHY)]
fn clean() -> Result<(), cheqpoint::Error> {
    Ok(())
}

fn main() {
    let _future = refund("8842".into(), 10);
    let _gated = clean;
}
