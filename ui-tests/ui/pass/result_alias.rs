//! An `anyhow`-style alias over a user error that a rejection converts into.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[derive(Debug)]
enum MyError {
    Cheqpoint(cheqpoint::Error),
}

impl From<cheqpoint::Error> for MyError {
    fn from(error: cheqpoint::Error) -> Self {
        MyError::Cheqpoint(error)
    }
}

type Result<T> = std::result::Result<T, MyError>;

#[checkpoint]
async fn transfer(amount: u64) -> Result<u64> {
    Ok(amount)
}

fn main() {
    let _future = transfer(1);
    let MyError::Cheqpoint(_) = MyError::from(cheqpoint::Error::NotConfigured);
}
