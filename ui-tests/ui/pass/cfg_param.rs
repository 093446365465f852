//! `#[cfg(..)]` on parameters: the one configured out is neither sent nor rebound.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(summary = "Pay {amount}")]
async fn pay(
    amount: u64,
    #[cfg(any())] debug_note: String,
    #[cfg(all())] currency: String,
) -> Result<String, cheqpoint::Error> {
    Ok(format!("{amount} {currency}"))
}

fn main() {
    let _future = pay(5, "EUR".into());
}
