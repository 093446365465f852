use cheqpoint::checkpoint;

#[checkpoint(risk = 0.5)]
#[checkpoint(risk = 0.9)]
async fn refund(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
