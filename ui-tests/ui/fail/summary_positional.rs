use cheqpoint::checkpoint;

#[checkpoint(summary = "Refund {0} on {}")]
async fn refund(order_id: String, amount: u64) -> Result<(), cheqpoint::Error> {
    let _ = (order_id, amount);
    Ok(())
}

fn main() {}
