// The generated code names `cheqpoint` by the path `crate = ..` gives.
use cheqpoint::checkpoint;

#[checkpoint(crate = ::agent_kit::cheqpoint)]
async fn refund(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
