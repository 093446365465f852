//! `when = ..`: gate only when a condition over the parameters holds.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(action = "process_refund", when = amount_cents >= 5_000)]
async fn refund(order_id: String, amount_cents: u64) -> Result<String, cheqpoint::Error> {
    Ok(format!("{amount_cents} on {order_id}"))
}

#[checkpoint(when = !path.starts_with("/tmp/"), readonly(path))]
fn delete(path: &str, log: &mut Vec<String>) -> Result<(), cheqpoint::Error> {
    log.push(path.to_owned());
    Ok(())
}

fn main() {
    let _future = refund("8842".into(), 100);
    let _gated = delete;
}
