use cheqpoint::checkpoint;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Money {
    cents: u64,
}

#[checkpoint(
    summary = "Refund {amount.} on {amount.type} of {amont.cents}",
    key = "refund-{amount.1x}"
)]
async fn refund(amount: Money) -> Result<(), cheqpoint::Error> {
    let _ = amount;
    Ok(())
}

fn main() {}
