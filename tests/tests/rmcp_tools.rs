//! An MCP server written with `rmcp` whose tool carries `#[checkpoint]`, called by an `rmcp`
//! client over an in-process stream, the emulator deciding: the tool runs once with what was
//! approved, and every other ending is a tool result with `isError` while the tool's run count
//! stays at zero.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use cheqpoint::{Client, checkpoint, rmcp::ToolError};
use cheqpoint_emulator::{ApprovalRecord, Emulator, Fault, FaultKind, Route};
use rmcp::{
    RoleClient, ServerHandler, ServiceExt,
    handler::server::{router::tool::ToolRouter, wrapper::Parameters},
    model::{CallToolRequestParams, CallToolResult},
    schemars,
    service::RunningService,
    tool, tool_handler, tool_router,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The longest any step of a test waits.
const WITHIN: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
struct Refund {
    order_id: String,
    amount_cents: u64,
}

/// The arguments of each run of the tool's body, in order.
type Runs = Arc<Mutex<Vec<Refund>>>;

struct Shop {
    client: Client,
    runs: Runs,
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl Shop {
    #[checkpoint(client = &self.client, action = "process_refund",
                 summary = "Refund {refund.0.amount_cents} cents on order {refund.0.order_id}")]
    #[tool(description = "Refund part of an order.")]
    async fn refund(&self, refund: Parameters<Refund>) -> Result<String, ToolError> {
        let Parameters(refund) = refund;
        let text = format!(
            "refunded {} cents on {}",
            refund.amount_cents, refund.order_id
        );
        self.runs
            .lock()
            .map_err(|_| ToolError::new("the run log is poisoned"))?
            .push(refund);
        Ok(text)
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Shop {}

/// The emulator, the server on one end of a duplex stream and a client on the other.
struct Setup {
    emulator: Emulator,
    runs: Runs,
    mcp: RunningService<RoleClient, ()>,
}

async fn start(timeout: Duration) -> Setup {
    let emulator = Emulator::start().await.expect("the emulator starts");
    let client = Client::builder()
        .api_key("cq_test_rmcp")
        .base_url(emulator.url())
        .timeout(timeout)
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build()
        .expect("a client");
    let runs = Runs::default();
    let shop = Shop {
        client,
        runs: runs.clone(),
        tool_router: Shop::tool_router(),
    };
    let (server_end, client_end) = tokio::io::duplex(64 << 10);
    tokio::spawn(async move {
        if let Ok(server) = shop.serve(server_end).await {
            let _ = server.waiting().await;
        }
    });
    let mcp = tokio::time::timeout(WITHIN, ().serve(client_end))
        .await
        .expect("initialize within the deadline")
        .expect("the client initializes");
    Setup {
        emulator,
        runs,
        mcp,
    }
}

impl Setup {
    /// Calls `refund` with `arguments` while `decide` answers the request it makes.
    async fn call(
        &self,
        arguments: Value,
        decide: impl AsyncFnOnce(&Emulator) -> Option<ApprovalRecord>,
    ) -> (CallToolResult, Option<ApprovalRecord>) {
        let Value::Object(arguments) = arguments else {
            panic!("arguments are an object")
        };
        let call = self
            .mcp
            .call_tool(CallToolRequestParams::new("refund").with_arguments(arguments));
        let (result, request) = tokio::join!(
            tokio::time::timeout(3 * WITHIN, call),
            decide(&self.emulator)
        );
        let result = result
            .expect("the call ends within the deadline")
            .expect("a tool result, not a JSON-RPC error");
        (result, request)
    }

    fn runs(&self) -> Vec<Refund> {
        self.runs.lock().expect("the run log").clone()
    }
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|text| text.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn order(amount_cents: u64) -> Refund {
    Refund {
        order_id: "8842".into(),
        amount_cents,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_call_runs_once_with_the_models_arguments() {
    let setup = start(WITHIN).await;
    let (result, request) = setup
        .call(
            json!({"order_id": "8842", "amount_cents": 12_000}),
            async |emulator| {
                let request = emulator.next_pending(WITHIN).await?;
                emulator.approve(&request.id).expect("approve");
                Some(request)
            },
        )
        .await;
    let request = request.expect("a request arrived");
    assert_eq!(request.action, "process_refund");
    assert_eq!(request.summary, "Refund 12000 cents on order 8842");
    assert_eq!(
        request.details,
        json!({"refund": {"order_id": "8842", "amount_cents": 12_000}})
    );
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    assert_eq!(text(&result), "refunded 12000 cents on 8842");
    assert_eq!(setup.runs(), vec![order(12_000)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_call_runs_with_the_edit() {
    let setup = start(WITHIN).await;
    let (result, request) = setup
        .call(
            json!({"order_id": "8842", "amount_cents": 12_000}),
            async |emulator| {
                let request = emulator.next_pending(WITHIN).await?;
                let edit = json!({"refund": {"order_id": "8842", "amount_cents": 9_000}});
                emulator.approve_with(&request.id, edit).expect("approve");
                Some(request)
            },
        )
        .await;
    assert!(request.is_some(), "a request arrived");
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    assert_eq!(text(&result), "refunded 9000 cents on 8842");
    assert_eq!(setup.runs(), vec![order(9_000)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_does_not_fit_the_arguments_is_an_error_result() {
    let setup = start(WITHIN).await;
    let (result, request) = setup
        .call(
            json!({"order_id": "8842", "amount_cents": 12_000}),
            async |emulator| {
                let request = emulator.next_pending(WITHIN).await?;
                let edit = json!({"refund": {"order_id": "8842", "amount_cents": "nine"}});
                emulator.approve_with(&request.id, edit).expect("approve");
                Some(request)
            },
        )
        .await;
    let request = request.expect("a request arrived");
    assert_eq!(result.is_error, Some(true), "{}", text(&result));
    let text = text(&result);
    assert!(text.contains("did not run"), "{text}");
    assert!(text.contains(&request.id), "{text}");
    assert_eq!(setup.runs(), vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_is_an_error_result_naming_the_note() {
    let setup = start(WITHIN).await;
    let (result, request) = setup
        .call(
            json!({"order_id": "8842", "amount_cents": 12_000}),
            async |emulator| {
                let request = emulator.next_pending(WITHIN).await?;
                emulator
                    .reject(&request.id, "refunds over 100 EUR need a manager")
                    .expect("reject");
                Some(request)
            },
        )
        .await;
    let request = request.expect("a request arrived");
    assert_eq!(result.is_error, Some(true), "{}", text(&result));
    let text = text(&result);
    assert!(
        text.contains("refunds over 100 EUR need a manager"),
        "{text}"
    );
    assert!(text.contains(&request.id), "{text}");
    assert!(text.contains("did not run"), "{text}");
    assert_eq!(setup.runs(), vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_an_error_result_naming_the_request() {
    let setup = start(Duration::from_secs(1)).await;
    let (result, request) = setup
        .call(
            json!({"order_id": "8842", "amount_cents": 12_000}),
            async |emulator| emulator.next_pending(WITHIN).await,
        )
        .await;
    let request = request.expect("a request arrived");
    assert_eq!(result.is_error, Some(true), "{}", text(&result));
    let text = text(&result);
    assert!(text.contains(&request.id), "{text}");
    assert!(text.contains("may still decide"), "{text}");
    assert_eq!(setup.runs(), vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_answering_500_is_an_error_result() {
    let setup = start(WITHIN).await;
    setup
        .emulator
        .inject(Fault::new(Route::Create, FaultKind::Status(500)));
    let (result, request) = setup
        .call(
            json!({"order_id": "8842", "amount_cents": 12_000}),
            async |emulator| emulator.next_pending(Duration::from_millis(300)).await,
        )
        .await;
    assert!(request.is_none(), "no request was recorded");
    assert_eq!(result.is_error, Some(true), "{}", text(&result));
    let text = text(&result);
    assert!(text.contains("approval service"), "{text}");
    assert!(text.contains("500"), "{text}");
    assert_eq!(setup.runs(), vec![]);
}
