//! Generic parameters with bounds inline and in a `where` clause.
#![deny(warnings)]

use cheqpoint::checkpoint;
use serde::{Serialize, de::DeserializeOwned};

#[checkpoint(summary = "Store {key}")]
async fn store<K, V>(key: K, value: V) -> Result<(K, V), cheqpoint::Error>
where
    K: Serialize + DeserializeOwned + std::fmt::Display,
    V: Serialize + DeserializeOwned,
{
    Ok((key, value))
}

#[checkpoint]
fn blocking_store<T: Serialize + DeserializeOwned + Clone>(items: &[T]) -> Result<Vec<T>, cheqpoint::Error> {
    Ok(items.to_vec())
}

fn main() {
    let _future = store("k".to_owned(), 1_u8);
    let _gated = blocking_store::<u8>;
}
