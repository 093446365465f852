// The user's own tokens are kept, so an unused gated fn is still reported as dead code.
#![deny(dead_code)]

use cheqpoint::checkpoint;

#[checkpoint]
async fn never_called(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
