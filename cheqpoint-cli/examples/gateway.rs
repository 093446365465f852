//! `cheqpoint mcp` as a library, end to end on this machine: a small MCP server with a
//! dangerous tool, the gateway in front of it, and an MCP client calling through it,
//! against the embedded emulator. Decide in the printed inbox, or pass `-- --auto
//! approve|reject|edit` to decide without a person.
//!
//! ```sh
//! cargo run -p cheqpoint-cli --example gateway -- --auto edit
//! ```

use std::{sync::Arc, time::Duration};

use cheqpoint::Client;
use cheqpoint_cli::{
    config::GateConfig,
    gate::Gatekeeper,
    relay::{self, DEFAULT_PROGRESS_INTERVAL, Settings, UpstreamSpec},
};
use cheqpoint_emulator::Emulator;
use rmcp::{
    ErrorData, RoleServer, ServerHandler, ServiceExt,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
        InitializeResult, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
        ServerConfig, Tool, ToolAnnotations,
    },
    service::RequestContext,
    transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
    },
};
use serde_json::json;

/// The server the gateway wraps: `list_files` reads, `delete_file` deletes.
#[derive(Debug, Clone)]
struct Files;

impl ServerHandler for Files {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("files", "1.0.0"))
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let schema =
            |value: serde_json::Value| Arc::new(value.as_object().cloned().unwrap_or_default());
        Ok(ListToolsResult::with_all_items(vec![
            Tool::new(
                "list_files",
                "List the files",
                schema(json!({"type": "object"})),
            ),
            Tool::new(
                "delete_file",
                "Delete a file",
                schema(
                    json!({"type": "object", "properties": {"path": {"type": "string"}},
                              "required": ["path"], "additionalProperties": false}),
                ),
            )
            .with_annotations(ToolAnnotations::new().destructive(true)),
        ]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = serde_json::Value::Object(request.arguments.unwrap_or_default());
        let text = match &*request.name {
            "list_files" => "reports/q3.pdf, reports/draft.tmp".to_owned(),
            _ => format!("deleted {}", arguments["path"]),
        };
        Ok(CallToolResponse::Complete(CallToolResult::success(vec![
            ContentBlock::text(text),
        ])))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let auto = std::env::args().skip_while(|arg| arg != "--auto").nth(1);
    let emulator = Emulator::start().await?;
    println!("inbox: {}", emulator.inbox_url());

    // The upstream MCP server, over streamable HTTP on loopback.
    let files = StreamableHttpService::new(
        || Ok(Files),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let upstream = format!("http://{}/mcp", listener.local_addr()?);
    tokio::spawn(
        axum::serve(listener, axum::Router::new().nest_service("/mcp", files)).into_future(),
    );

    // The gateway: `delete_file` is gated (also by `gate_destructive`, from its annotations).
    let config = GateConfig::parse(
        "gate_destructive = true\n[tools.delete_file]\nrisk = 0.8\nsummary = \"Delete {path}\"\n",
        "gate.toml",
    )?;
    let client = Client::builder()
        .api_key("cq_test_example")
        .base_url(emulator.url())
        .build()?;
    let settings = Arc::new(Settings {
        config,
        gate: Gatekeeper::new(client),
        upstream: UpstreamSpec::Url(upstream),
        agent: Some("example-agent".into()),
        progress_interval: DEFAULT_PROGRESS_INTERVAL,
        review_url: emulator.inbox_url(),
    });
    let (to_gateway, to_agent) = tokio::io::duplex(64 * 1024);
    let (input, output) = tokio::io::split(to_gateway);
    tokio::spawn(async move {
        if let Err(error) = relay::serve(settings, input, output).await {
            eprintln!("gateway: {error}");
        }
    });

    // The agent's side: any MCP client.
    let agent = ().serve(to_agent).await?;
    let names: Vec<String> = agent
        .list_all_tools()
        .await?
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    println!("agent: tools {names:?}");
    let call = |name: &str, arguments: serde_json::Value| {
        let mut params = CallToolRequestParams::new(name.to_owned());
        params.arguments = arguments.as_object().cloned();
        agent.call_tool(params)
    };
    let listed = call("list_files", json!({})).await?;
    println!("agent: list_files (not gated) -> {}", text(&listed));

    let reviewer = async {
        let Some(request) = emulator.next_pending(Duration::from_secs(600)).await else {
            return;
        };
        println!(
            "reviewer: {} asks \"{}\" ({})",
            request.action, request.summary, request.id
        );
        let decided = match auto.as_deref() {
            Some("approve") => emulator.approve(&request.id),
            Some("reject") => emulator.reject(&request.id, "keep the draft until Friday"),
            Some(_) => emulator.approve_with(&request.id, json!({"path": "reports/draft.tmp.bak"})),
            None => return println!("reviewer: decide in the inbox"),
        };
        if let Err(error) = decided {
            println!("reviewer: {error}");
        }
    };
    let (deleted, ()) = tokio::join!(
        call("delete_file", json!({"path": "reports/draft.tmp"})),
        reviewer
    );
    let deleted = deleted?;
    println!(
        "agent: delete_file (gated) -> {}{}",
        if deleted.is_error == Some(true) {
            "[isError] "
        } else {
            ""
        },
        text(&deleted)
    );
    Ok(())
}

fn text(result: &CallToolResult) -> String {
    let value = serde_json::to_value(result).unwrap_or_default();
    let blocks = value["content"].as_array().cloned().unwrap_or_default();
    blocks
        .iter()
        .filter_map(|b| b["text"].as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join(" / ")
}
