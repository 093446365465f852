//! A tool of an rmcp server gated in place: `#[checkpoint]` above `#[tool]`, the arguments as one
//! named `Parameters<Args>`, a refusal returned as `ToolError` (an `isError` tool result), the
//! server's own client, and an rmcp extractor excused with `skip`.
#![deny(warnings)]

use cheqpoint::{Client, checkpoint, rmcp::ToolError};
use rmcp::{
    RoleServer,
    handler::server::wrapper::Parameters,
    model::{CallToolResult, ContentBlock},
    schemars,
    service::RequestContext,
    tool, tool_router,
};
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
    #[checkpoint(client = &self.client, key = "refund-{refund.0.order_id}",
                 summary = "Refund {refund.0.amount_cents} cents on order {refund.0.order_id}")]
    #[tool(description = "Refund part of an order.")]
    async fn refund(&self, refund: Parameters<Refund>) -> Result<String, ToolError> {
        let Parameters(refund) = refund;
        Ok(format!("refunded {} cents on {}", refund.amount_cents, refund.order_id))
    }

    #[checkpoint(client = &self.client, skip(context), risk = 0.9)]
    #[tool(description = "Close an order.")]
    async fn close(
        &self,
        order: Parameters<Refund>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ToolError> {
        let Parameters(order) = order;
        let _ = context.id;
        Ok(CallToolResult::success(vec![ContentBlock::text(order.order_id)]))
    }
}

fn main() {
    let shop = Shop { client: Client::new("key").unwrap() };
    let _router = Shop::tool_router();
    let _future = shop.refund(Parameters(Refund { order_id: "8842".into(), amount_cents: 1 }));
}
