use cheqpoint::checkpoint;

#[checkpoint(
    action = "",
    risk = 1.5,
    risk = 0.5,
    sumary = "Refund {amount}",
    timeout = 0,
    skip(nothing),
    readonly(order_id),
    skip(order_id),
)]
async fn refund(order_id: String, amount: u64) -> Result<(), cheqpoint::Error> {
    let _ = (order_id, amount);
    Ok(())
}

fn main() {}
