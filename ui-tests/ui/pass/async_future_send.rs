//! The future of an async gated fn is `Send`, so it can be spawned on a multi-threaded runtime.
#![deny(warnings)]

use cheqpoint::checkpoint;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Order {
    id: String,
}

fn assert_send<T: Send>(_: &T) {}

#[checkpoint(summary = "Ship {count} of order", readonly(note))]
async fn ship(order: Order, note: &str, count: &mut u32) -> Result<String, cheqpoint::Error> {
    *count += 1;
    Ok(format!("{} {note}", order.id))
}

fn main() {
    let mut count = 0;
    let future = ship(Order { id: "1".into() }, "fragile", &mut count);
    assert_send(&future);
}
