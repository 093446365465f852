//! User modules named `cheqpoint`, `serde`, `core` and `std`, and types named like the prelude's,
//! in scope: the expansion names everything by absolute path, so it still compiles.
#![deny(warnings)]

mod cheqpoint {
    pub struct Client;
    pub mod __private {}
}
mod serde {}
mod core {}
mod std {}
#[allow(dead_code)]
struct Result;
#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct String;

#[::cheqpoint::checkpoint(summary = "Send {amount} to {to}")]
async fn send(amount: u64, to: ::std::string::String) -> ::std::result::Result<u64, ::cheqpoint::Error> {
    let _ = (cheqpoint::Client, to);
    Ok(amount)
}

fn main() {
    let _future = send(1, "you".into());
}
