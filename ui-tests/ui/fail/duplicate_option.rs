use cheqpoint::checkpoint;

#[checkpoint(risk = 0.2, action = "refund", risk = 0.8)]
async fn refund(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
