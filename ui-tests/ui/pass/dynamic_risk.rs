//! A risk computed from the arguments; checked when the call runs.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(risk = if amount_cents > 10_000 { 0.9 } else { 0.2 })]
async fn refund(amount_cents: u64) -> Result<(), cheqpoint::Error> {
    let _ = amount_cents;
    Ok(())
}

fn score(amount: f32) -> f32 {
    amount / 100.0
}

#[checkpoint(risk = score(amount))]
async fn charge(amount: f32) -> Result<(), cheqpoint::Error> {
    let _ = amount;
    Ok(())
}

fn main() {
    let _future = refund(20_000);
    let _future = charge(5.0);
}
