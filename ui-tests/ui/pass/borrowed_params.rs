//! Owned, `&str`, `&[T]`, `&T` and `&mut T` parameters: all sent, all editable.
#![deny(warnings)]

use cheqpoint::checkpoint;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone)]
struct Point {
    x: i32,
}

#[checkpoint(summary = "Move {name} to {point:?}")]
async fn update(
    id: u64,
    name: &str,
    tags: &[String],
    point: &Point,
    counter: &mut u32,
) -> Result<usize, cheqpoint::Error> {
    *counter += 1;
    Ok(id as usize + name.len() + tags.len() + point.x as usize)
}

impl std::fmt::Debug for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({})", self.x)
    }
}

fn main() {
    let tags = vec!["a".to_owned()];
    let point = Point { x: 1 };
    let mut counter = 0;
    let _future = update(1, "n", &tags, &point, &mut counter);
}
