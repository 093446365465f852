//! User modules named `cheqpoint`, `serde`, `core` and `std` in scope: the expansion names
//! everything by absolute path, so it still compiles.

mod cheqpoint {
    pub struct Client;
    pub mod __private {}
}
mod serde {}
mod core {}
#[allow(dead_code)]
struct Result;
#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct String;

#[::cheqpoint::checkpoint(summary = "Send {amount}")]
async fn send(amount: u64) -> ::std::result::Result<u64, ::cheqpoint::Error> {
    let _ = cheqpoint::Client;
    Ok(amount)
}

fn main() {
    let _future = send(1);
}
