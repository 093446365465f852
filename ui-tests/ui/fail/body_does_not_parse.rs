// A body that does not parse (as while it is being typed) gets the compiler's own error, alone.
use cheqpoint::checkpoint;

#[checkpoint]
async fn refund(order_id: String) -> Result<(), cheqpoint::Error> {
    let amount = ;
    let _ = order_id;
    Ok(())
}

fn main() {}
