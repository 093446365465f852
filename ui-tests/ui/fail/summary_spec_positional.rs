// Widths and precisions come from parameters by name, not by position or `.*`.
use cheqpoint::checkpoint;

#[checkpoint(summary = "Refund {amount:1$} at {rate:.*}")]
async fn refund(amount: u64, rate: f64) -> Result<(), cheqpoint::Error> {
    let _ = (amount, rate);
    Ok(())
}

fn main() {}
