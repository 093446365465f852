//! `impl Trait` in the return type.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint]
async fn greet(name: String) -> Result<impl std::fmt::Display, cheqpoint::Error> {
    Ok(format!("hello {name}"))
}

#[checkpoint]
fn numbers(count: u32) -> Result<impl Iterator<Item = u32>, cheqpoint::Error> {
    Ok(0..count)
}

fn main() {
    let _future = greet("you".into());
    let _gated = numbers;
}
