use cheqpoint::checkpoint;

#[checkpoint(risk = 80)]
async fn refund(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

#[checkpoint(risk = -0.5)]
async fn charge(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
