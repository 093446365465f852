// The attribute's mistake is the only error: the fn is still emitted, so its caller compiles.
use cheqpoint::checkpoint;

#[checkpoint(risk = 2.0)]
async fn refund(order_id: String, amount: u64) -> Result<u64, cheqpoint::Error> {
    let _ = order_id;
    Ok(amount)
}

#[checkpoint(action = 1)]
fn wipe(prefix: &str) -> Result<usize, cheqpoint::Error> {
    Ok(prefix.len())
}

fn main() {
    let _future = refund("8842".into(), 12_000);
    let _count: Result<usize, cheqpoint::Error> = wipe("tmp/");
}
