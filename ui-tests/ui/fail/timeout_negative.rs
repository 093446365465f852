use cheqpoint::checkpoint;

#[checkpoint(timeout = -1)]
async fn refund(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
