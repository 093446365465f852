use cheqpoint::checkpoint;

#[checkpoint(risk, action("refund"))]
async fn refund(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
