use cheqpoint::checkpoint;

#[checkpoint(when = amount_cents)]
async fn refund(order_id: String, amount_cents: u64) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
