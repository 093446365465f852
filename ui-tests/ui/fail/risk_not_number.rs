use cheqpoint::checkpoint;

#[checkpoint(risk = "high")]
async fn refund(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
