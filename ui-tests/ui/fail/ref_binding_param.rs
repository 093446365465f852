use cheqpoint::checkpoint;

#[checkpoint]
async fn refund(ref order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
