//! The upstream MCP server of the tests, written with rmcp: a few tools that record each run
//! (a line `TOOL ARGUMENTS` in the file `$CHEQPOINT_TEST_RUNS`), so a test counts what ran.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler, ServiceExt,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
        InitializeResult, JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
        ServerConfig, Tool, ToolAnnotations,
    },
    service::RequestContext,
};
use serde_json::json;

/// The environment variable naming the file runs are recorded in.
pub const RUNS_FILE: &str = "CHEQPOINT_TEST_RUNS";

fn schema(value: serde_json::Value) -> Arc<JsonObject> {
    Arc::new(value.as_object().expect("a schema is an object").clone())
}

/// The tools: `echo` (read-only), `delete_file` (destructive), `transfer`, `fail` (always
/// fails), `crash` (ends the process).
pub fn tools() -> Vec<Tool> {
    vec![
        Tool::new(
            "echo",
            "Echo the arguments",
            schema(json!({"type": "object"})),
        )
        .with_title("Echo")
        .with_annotations(ToolAnnotations::new().read_only(true)),
        Tool::new(
            "delete_file",
            "Delete a file",
            schema(json!({
                "type": "object",
                "properties": {"path": {"type": "string"}, "recursive": {"type": "boolean"}},
                "required": ["path"],
                "additionalProperties": false
            })),
        )
        .with_title("Delete a file")
        .with_annotations(ToolAnnotations::new().destructive(true)),
        Tool::new(
            "transfer",
            "Move money",
            schema(json!({
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "properties": {"account": {"type": "string"}, "amount": {"type": "integer", "minimum": 1}},
                "required": ["account", "amount"],
                "additionalProperties": false
            })),
        ),
        Tool::new("fail", "Always fails", schema(json!({"type": "object"}))),
        Tool::new(
            "crash",
            "Ends the server",
            schema(json!({"type": "object"})),
        ),
    ]
}

/// The server; each run is recorded in `runs`.
#[derive(Clone)]
struct Upstream {
    runs: PathBuf,
}

fn record(path: &PathBuf, tool: &str, arguments: &JsonObject) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("the runs file opens");
    writeln!(
        file,
        "{tool} {}",
        serde_json::Value::Object(arguments.clone())
    )
    .expect("the runs file is written");
}

impl ServerHandler for Upstream {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("testfs", "1.0.0"))
            .with_instructions("A file server for the gateway's tests.")
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let arguments = request.arguments.unwrap_or_default();
        record(&self.runs, &request.name, &arguments);
        let text = serde_json::Value::Object(arguments).to_string();
        match &*request.name {
            "crash" => std::process::exit(3),
            "fail" => Err(McpError::internal_error("the disk is on fire", None)),
            "echo" | "delete_file" | "transfer" => {
                Ok(CallToolResponse::Complete(CallToolResult::success(vec![
                    ContentBlock::text(format!("ran {} {text}", request.name)),
                ])))
            }
            other => Err(McpError::invalid_params(format!("no tool {other}"), None)),
        }
    }
}

/// Serves the tools on stdin/stdout until the client goes, recording runs in `$CHEQPOINT_TEST_RUNS`.
pub fn serve() -> std::process::ExitCode {
    let runs = PathBuf::from(std::env::var_os(RUNS_FILE).expect("CHEQPOINT_TEST_RUNS is set"));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let running = Upstream { runs }
            .serve(rmcp::transport::io::stdio())
            .await
            .expect("the gateway initializes");
        let _ = running.waiting().await;
    });
    std::process::ExitCode::SUCCESS
}

/// Serves the tools as streamable HTTP on loopback, in this process, recording runs in `runs`;
/// returns the endpoint's URL.
pub async fn serve_http(runs: PathBuf) -> String {
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
    };
    let service = StreamableHttpService::new(
        move || Ok(Upstream { runs: runs.clone() }),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}/mcp", listener.local_addr().expect("an address"));
    let router = axum::Router::new().nest_service("/mcp", service);
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}
