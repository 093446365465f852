//! Field paths in `summary` and `key`: `{name.field}`, nested, tuple indices, with format specs,
//! on a method gated with `client = &self.client`; `{name:?}` for a value that is only `Debug`.
#![deny(warnings)]

use cheqpoint::{Client, checkpoint};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Money {
    currency: String,
    cents: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Order {
    id: String,
    total: Money,
}

struct Agent {
    client: Client,
}

impl Agent {
    #[checkpoint(
        client = &self.client,
        summary = "Refund {amount.cents:>6} {amount.currency} of {order.total.cents} on {order.id} ({pair.0}, {amount:?})",
        key = "refund-{order.id}-{amount.cents}",
        when = amount.cents >= 1_000
    )]
    async fn refund(
        &self,
        order: Order,
        amount: Money,
        pair: (u32, String),
    ) -> Result<u64, cheqpoint::Error> {
        let _ = (order, pair);
        Ok(amount.cents)
    }
}

#[checkpoint(summary = "Archive {file.name} ({file.size.0} bytes)")]
fn archive(file: &File) -> Result<(), cheqpoint::Error> {
    let _ = file;
    Ok(())
}

#[derive(Clone, Serialize, Deserialize)]
struct File {
    name: String,
    size: (u64,),
}

fn main() {
    let _gated = Agent::refund;
    let _blocking = archive;
}
