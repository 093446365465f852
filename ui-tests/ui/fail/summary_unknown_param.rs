use cheqpoint::checkpoint;

#[checkpoint(summary = "Refund {amount} on {order}")]
async fn refund(order_id: String, amount: u64) -> Result<(), cheqpoint::Error> {
    let _ = (order_id, amount);
    Ok(())
}

fn main() {}
