//! `mut name: &str`: the body may point the approved borrow elsewhere.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint]
async fn greet(mut name: &str) -> Result<String, cheqpoint::Error> {
    if name.is_empty() {
        name = "you";
    }
    Ok(format!("hello {name}"))
}

fn main() {
    let _future = greet("ada");
}
