use cheqpoint::checkpoint;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Money {
    currency: String,
    cents: u64,
}

#[checkpoint(summary = "Refund {amount.cent} {amount.currency}")]
async fn refund(amount: Money) -> Result<(), cheqpoint::Error> {
    let _ = amount;
    Ok(())
}

fn main() {}
