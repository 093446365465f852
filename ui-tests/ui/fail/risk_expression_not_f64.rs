use cheqpoint::checkpoint;

#[checkpoint(risk = level)]
async fn refund(order_id: String, level: String) -> Result<(), cheqpoint::Error> {
    let _ = (order_id, level);
    Ok(())
}

fn main() {}
