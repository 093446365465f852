use cheqpoint::checkpoint;

#[checkpoint(risk = 1u64)]
async fn refund(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
