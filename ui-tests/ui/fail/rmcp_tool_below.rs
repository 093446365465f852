//! `#[checkpoint]` below rmcp's `#[tool]` sees the boxed future `#[tool]` makes of the method;
//! it goes above.
#![deny(warnings)]

use cheqpoint::{Client, checkpoint, rmcp::ToolError};
use rmcp::{handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct Refund {
    order_id: String,
    amount_cents: u64,
}

struct Shop {
    client: Client,
}

#[tool_router(server_handler)]
impl Shop {
    #[tool(description = "Refund part of an order.")]
    #[checkpoint(client = &self.client, summary = "Refund {refund.0.amount_cents} cents")]
    async fn refund(&self, refund: Parameters<Refund>) -> Result<String, ToolError> {
        let Parameters(refund) = refund;
        Ok(format!("refunded {} cents on {}", refund.amount_cents, refund.order_id))
    }
}

fn main() {}
