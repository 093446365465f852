// The attribute applied twice, the second time under a name of the user's choosing.
use cheqpoint::checkpoint as gate;

#[gate(action = "refund")]
#[gate(action = "refund")]
async fn refund(order_id: String) -> Result<(), cheqpoint::Error> {
    let _ = order_id;
    Ok(())
}

fn main() {}
