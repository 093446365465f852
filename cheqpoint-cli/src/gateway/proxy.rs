//! The gateway's side facing the client: an rmcp server that answers as its upstream does.
//! `tools/list`, resources, prompts, completions and logging are forwarded as they are; an
//! ungated `tools/call` is forwarded with no request to the service; a gated one goes through
//! the [`Gatekeeper`](crate::gate::Gatekeeper) first. Capabilities the gateway does not forward (tasks,
//! extensions, experimental ones) are not advertised.

// Logging is deprecated by the newest spec and still forwarded for the clients that use it.
#![allow(deprecated)]

use std::{collections::HashMap, convert::Infallible, sync::Arc, time::Duration};

use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ClientRequest,
        CompleteRequestParams, CompleteResult, GetPromptRequestParams, GetPromptResponse,
        Implementation, InitializeRequestParams, InitializeResult, JsonObject, ListPromptsResult,
        ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
        ProgressNotificationParam, ProgressToken, ReadResourceRequestParams, ReadResourceResponse,
        Request, RequestMetaObject, RequestOptionalParam, ServerConfig, ServerResult,
        SetLevelRequestParams, SubscribeRequestParams, Tool, UnsubscribeRequestParams,
    },
    service::{Peer, RequestContext},
};
use tokio::sync::{Mutex, OnceCell};

use super::{
    GatewaySettings, outcome,
    upstream::{self, Downstream, Upstream},
};
use crate::{
    config::ToolView,
    gate::{Ask, EditRefusal},
    schema, summary,
};

/// The gateway: one per client session (with `--listen`, one per HTTP session), each with its
/// own upstream connection.
#[derive(Debug, Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: Arc<GatewaySettings>,
    upstream: OnceCell<Upstream>,
    downstream: Downstream,
    /// The tools as the upstream last listed them, by name: titles, schemas, annotations.
    tools: Mutex<HashMap<String, Tool>>,
}

impl Gateway {
    /// A gateway that reaches its upstream when the client says `initialize`.
    pub fn new(settings: Arc<GatewaySettings>) -> Gateway {
        Gateway {
            inner: Arc::new(Inner {
                settings,
                upstream: OnceCell::new(),
                downstream: Default::default(),
                tools: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// A gateway whose upstream is reached now: a command that cannot start is an error at
    /// start, not at the client's first message.
    pub async fn connect(settings: Arc<GatewaySettings>) -> Result<Gateway, String> {
        let gateway = Gateway::new(settings);
        gateway.upstream().await?;
        Ok(gateway)
    }

    /// The upstream, reached (and its tools checked against the configuration) on first use.
    async fn upstream(&self) -> Result<&Upstream, String> {
        self.inner
            .upstream
            .get_or_try_init(|| async {
                let upstream =
                    upstream::connect(&self.inner.settings.upstream, self.inner.downstream.clone())
                        .await?;
                let tools = upstream
                    .peer()
                    .list_all_tools()
                    .await
                    .map_err(|error| format!("the server did not list its tools: {error}"))?;
                let views: Vec<ToolView<'_>> = tools
                    .iter()
                    .map(|tool| ToolView {
                        name: &tool.name,
                        input_schema: &tool.input_schema,
                    })
                    .collect();
                self.inner
                    .settings
                    .config
                    .check_against(&views)
                    .map_err(|error| {
                        format!("the configuration does not fit the server:\n{error}")
                    })?;
                self.inner
                    .tools
                    .lock()
                    .await
                    .extend(tools.into_iter().map(|tool| (tool.name.to_string(), tool)));
                Ok(upstream)
            })
            .await
    }

    /// The upstream's peer, unless it is gone.
    fn live_upstream(&self) -> Option<&Peer<rmcp::RoleClient>> {
        let upstream = self.inner.upstream.get()?;
        let gone = upstream.is_closed() || upstream.peer().is_transport_closed();
        (!gone).then(|| upstream.peer())
    }

    /// The server's name in actions: `--name`/`name =`, else the upstream's own.
    fn server_name(&self) -> String {
        let settings = &self.inner.settings;
        settings.config.name.clone().unwrap_or_else(|| {
            self.inner
                .upstream
                .get()
                .and_then(|upstream| upstream.peer().peer_info())
                .and_then(|info| info.server_info.as_ref().map(|server| server.name.clone()))
                .unwrap_or_else(|| "mcp".to_owned())
        })
    }

    async fn forward(&self, request: ClientRequest) -> Result<ServerResult, McpError> {
        let peer = self
            .live_upstream()
            .ok_or_else(|| McpError::internal_error("the upstream server is gone", None))?;
        peer.send_request(request)
            .await
            .map_err(|error| McpError::internal_error(format!("upstream: {error}"), None))
    }

    /// The tool as the upstream lists it; the list is read again when the tool is not in it.
    async fn tool(&self, name: &str) -> Option<Tool> {
        if let Some(tool) = self.inner.tools.lock().await.get(name) {
            return Some(tool.clone());
        }
        let peer = self.live_upstream()?;
        let tools = peer.list_all_tools().await.ok()?;
        let mut known = self.inner.tools.lock().await;
        known.extend(tools.into_iter().map(|tool| (tool.name.to_string(), tool)));
        known.get(name).cloned()
    }

    /// A tool is gated when the configuration names it (or a glob matches it), or when
    /// `gate_destructive` is on and its annotations say `destructiveHint`. Annotations may add
    /// a tool to gate, never exempt one.
    async fn is_gated(&self, name: &str) -> bool {
        let config = &self.inner.settings.config;
        if config.rule(name).is_some() {
            return true;
        }
        if !config.gate_destructive {
            return false;
        }
        self.tool(name).await.is_some_and(|tool| {
            tool.annotations
                .and_then(|annotations| annotations.destructive_hint)
                .unwrap_or(false)
        })
    }

    async fn call_gated(
        &self,
        name: String,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let settings = &self.inner.settings;
        let server = self.server_name();
        let action = format!("{server}.{name}");
        let tool = self.tool(&name).await;
        let rule = settings.config.rule(&name);
        let title = tool
            .as_ref()
            .and_then(|tool| {
                tool.title
                    .clone()
                    .or_else(|| tool.annotations.as_ref()?.title.clone())
            })
            .unwrap_or_else(|| name.clone());
        let client = context
            .peer
            .peer_info()
            .map(|info| info.client_info.name.clone());
        let ask = Ask {
            summary: summary::render(rule.and_then(|r| r.summary.as_deref()), &title, &arguments),
            risk: rule.and_then(|r| r.risk),
            agent: settings.agent.clone().or(client),
            traceparent: context.meta.get_traceparent().map(str::to_owned),
            timeout: rule.and_then(|r| r.timeout).or(settings.config.timeout),
            readonly: rule.map(|r| r.readonly.clone()).unwrap_or_default(),
            scope: None,
            watch: Default::default(),
            action,
        };
        if self.live_upstream().is_none() {
            return outcome::error_result(outcome::upstream_gone(&ask.action));
        }
        let input_schema = tool.map(|tool| tool.input_schema);
        let check = |edit: &JsonObject| match &input_schema {
            Some(schema) => schema::check_edit(schema, edit),
            None => Err(EditRefusal {
                path: "/".into(),
                reason: "the tool's inputSchema is not known, so the edit cannot be checked".into(),
            }),
        };
        let token = context.meta.get_progress_token();
        let run = |approved: JsonObject| {
            let token = token.clone();
            async move {
                let peer = self.live_upstream().ok_or("the upstream server is gone")?;
                let mut params = CallToolRequestParams::new(name.clone());
                params.arguments = Some(approved);
                params.meta = token.map(with_progress_token);
                match peer.call_tool_once(params).await {
                    Ok(CallToolResponse::Complete(result)) => Ok(result),
                    Ok(_) => Err("the server answered with a task or an input request, which a gated call does not forward".to_owned()),
                    Err(error) => Err(error.to_string()),
                }
            }
        };
        let decided = settings.gate.decide(&ask, &arguments, check, run);
        let waiting = self.report_waiting(&ask, token.as_ref(), &context.peer);
        tokio::select! {
            verdict = decided => outcome::into_result(settings.gate.words(&ask.action), &ask.action, verdict),
            () = context.ct.cancelled() => outcome::error_result(outcome::cancelled(&ask.action)),
            never = waiting => match never {},
        }
    }

    /// Sends `notifications/progress` every interval while a call waits, when the client gave a
    /// progress token; never ends.
    async fn report_waiting(
        &self,
        ask: &Ask,
        token: Option<&ProgressToken>,
        peer: &Peer<RoleServer>,
    ) -> Infallible {
        let Some(token) = token else {
            return std::future::pending().await;
        };
        let settings = &self.inner.settings;
        let mut reports = 0u32;
        loop {
            tokio::time::sleep(settings.progress_interval).await;
            reports += 1;
            let message = format!(
                "waiting for approval {} of {} — review at {}",
                ask.watch.approval_id().unwrap_or("(being created)"),
                ask.action,
                settings.review_url
            );
            let mut progress = ProgressNotificationParam::new(token.clone(), f64::from(reports));
            progress.message = Some(message);
            let _ = peer.notify_progress(progress).await;
        }
    }
}

fn with_progress_token(token: ProgressToken) -> RequestMetaObject {
    let mut meta = RequestMetaObject::new();
    meta.set_progress_token(token);
    meta
}

/// How long between progress reports while a call waits, unless told otherwise.
pub const DEFAULT_PROGRESS_INTERVAL: Duration = Duration::from_secs(10);

/// A list request with its cursor, if any.
fn paginated<M: Default>(
    params: Option<PaginatedRequestParams>,
) -> RequestOptionalParam<M, PaginatedRequestParams> {
    params.map_or_else(Default::default, RequestOptionalParam::with_param)
}

fn unexpected(what: &str) -> McpError {
    McpError::internal_error(
        format!("the upstream answered {what} with something else"),
        None,
    )
}

impl ServerHandler for Gateway {
    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        context.peer.set_peer_info(request.clone());
        let _ = self.inner.downstream.set(context.peer.clone());
        self.upstream()
            .await
            .map_err(|error| McpError::internal_error(error, None))?;
        self.negotiate_initialize(&request)
    }

    fn get_info(&self) -> ServerConfig {
        let Some(info) = self
            .inner
            .upstream
            .get()
            .and_then(|upstream| upstream.peer().peer_info())
        else {
            return ServerConfig::default();
        };
        // Only what is forwarded is advertised.
        let mut capabilities = info.capabilities.clone();
        capabilities.experimental = None;
        capabilities.extensions = None;
        let mut answer = InitializeResult::new(capabilities)
            .with_protocol_version(info.protocol_version.clone());
        answer.server_info = info
            .server_info
            .clone()
            .unwrap_or_else(|| Implementation::new("cheqpoint-gateway", env!("CARGO_PKG_VERSION")));
        answer.instructions = info.instructions.clone();
        answer
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        match self
            .forward(ClientRequest::ListToolsRequest(paginated(request)))
            .await?
        {
            ServerResult::ListToolsResult(result) => {
                let mut known = self.inner.tools.lock().await;
                for tool in &result.tools {
                    known.insert(tool.name.to_string(), tool.clone());
                }
                Ok(result)
            }
            _ => Err(unexpected("tools/list")),
        }
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let name = request.name.to_string();
        if self.is_gated(&name).await {
            let arguments = request.arguments.clone().unwrap_or_default();
            return Ok(CallToolResponse::Complete(
                self.call_gated(name, arguments, context).await,
            ));
        }
        let Some(peer) = self.live_upstream() else {
            let action = format!("{}.{name}", self.server_name());
            return Ok(CallToolResponse::Complete(outcome::error_result(
                outcome::upstream_gone(&action),
            )));
        };
        let mut forwarded = request;
        forwarded.meta = context.meta.get_progress_token().map(with_progress_token);
        tokio::select! {
            response = peer.call_tool_once(forwarded) => response.map_err(|error| {
                McpError::internal_error(format!("upstream: {error}"), None)
            }),
            () = context.ct.cancelled() => Err(McpError::internal_error("cancelled", None)),
        }
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        match self
            .forward(ClientRequest::ListResourcesRequest(paginated(request)))
            .await?
        {
            ServerResult::ListResourcesResult(result) => Ok(result),
            _ => Err(unexpected("resources/list")),
        }
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        match self
            .forward(ClientRequest::ListResourceTemplatesRequest(paginated(
                request,
            )))
            .await?
        {
            ServerResult::ListResourceTemplatesResult(result) => Ok(result),
            _ => Err(unexpected("resources/templates/list")),
        }
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        match self
            .forward(ClientRequest::ReadResourceRequest(Request::new(request)))
            .await?
        {
            ServerResult::ReadResourceResult(result) => Ok(ReadResourceResponse::Complete(result)),
            _ => Err(unexpected("resources/read")),
        }
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.forward(ClientRequest::SubscribeRequest(Request::new(request)))
            .await
            .map(drop)
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.forward(ClientRequest::UnsubscribeRequest(Request::new(request)))
            .await
            .map(drop)
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        match self
            .forward(ClientRequest::ListPromptsRequest(paginated(request)))
            .await?
        {
            ServerResult::ListPromptsResult(result) => Ok(result),
            _ => Err(unexpected("prompts/list")),
        }
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        match self
            .forward(ClientRequest::GetPromptRequest(Request::new(request)))
            .await?
        {
            ServerResult::GetPromptResult(result) => Ok(GetPromptResponse::Complete(result)),
            _ => Err(unexpected("prompts/get")),
        }
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        match self
            .forward(ClientRequest::CompleteRequest(Request::new(request)))
            .await?
        {
            ServerResult::CompleteResult(result) => Ok(result),
            _ => Err(unexpected("completion/complete")),
        }
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.forward(ClientRequest::SetLevelRequest(Request::new(request)))
            .await
            .map(drop)
    }
}
