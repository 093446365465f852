// A format spec may not take its width from a skipped parameter: it would reach the reviewer.
use cheqpoint::checkpoint;

#[checkpoint(summary = "Refund {amount:secret$}", skip(secret))]
async fn refund(amount: u64, secret: usize) -> Result<(), cheqpoint::Error> {
    let _ = (amount, secret);
    Ok(())
}

fn main() {}
