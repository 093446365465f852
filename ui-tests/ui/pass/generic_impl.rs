//! Generic `impl<T>` blocks, `Self` in parameter types, and const generics.
#![deny(warnings)]

use cheqpoint::checkpoint;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

#[derive(Clone, Serialize, Deserialize)]
struct Batch<T> {
    items: Vec<T>,
}

impl<T: Serialize + DeserializeOwned + Send + Clone> Batch<T> {
    #[checkpoint(action = "merge_batches")]
    async fn merge(self, other: Self) -> Result<Self, cheqpoint::Error> {
        let mut items = self.items;
        items.extend(other.items);
        Ok(Batch { items })
    }

    #[checkpoint(action = "take_first")]
    fn take<const N: usize>(&self, label: String) -> Result<Vec<T>, cheqpoint::Error> {
        let _ = label;
        Ok(self.items.iter().take(N).cloned().collect())
    }
}

fn main() {
    let batch = Batch { items: vec![1, 2, 3] };
    let _taken = batch.take::<2>("first two".into());
    let _merged = batch.clone().merge(batch);
}
