use cheqpoint::checkpoint;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Money {
    currency: String,
    cents: u64,
}

#[checkpoint(summary = "Refund {amount} on {order_id}", key = "refund-{amount}")]
async fn refund(order_id: String, amount: Money) -> Result<(), cheqpoint::Error> {
    let _ = (order_id, amount);
    Ok(())
}

fn main() {}
