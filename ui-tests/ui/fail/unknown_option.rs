use cheqpoint::checkpoint;

#[checkpoint(risc = 0.8)]
async fn refund(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

#[checkpoint(priority = "high")]
async fn charge(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
