use cheqpoint::checkpoint;

#[checkpoint(summary = "Refund {amount on {order_id}")]
async fn refund(order_id: String, amount: u64) -> Result<(), cheqpoint::Error> {
    let _ = (order_id, amount);
    Ok(())
}

#[checkpoint(summary = "Refund amount} on {order_id}")]
async fn charge(order_id: String, amount: u64) -> Result<(), cheqpoint::Error> {
    let _ = (order_id, amount);
    Ok(())
}

fn main() {}
