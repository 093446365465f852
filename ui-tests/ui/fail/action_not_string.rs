use cheqpoint::checkpoint;

#[checkpoint(action = process_refund)]
async fn refund(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
