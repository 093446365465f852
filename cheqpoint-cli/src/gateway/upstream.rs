//! The gateway's side facing the upstream MCP server: an rmcp client over a child process's
//! stdio or streamable HTTP, whose notifications (progress, logging, list changes, resource
//! updates) are relayed to the client the gateway serves.

// Logging is deprecated by the newest spec and still forwarded for the clients that use it.
#![allow(deprecated)]

use std::{
    process::Stdio,
    sync::{Arc, OnceLock},
};

use rmcp::{
    ClientHandler, RoleClient, RoleServer, ServiceExt,
    model::{
        ClientConfig, Implementation, LoggingMessageNotificationParam, ProgressNotificationParam,
        ResourceUpdatedNotificationParam,
    },
    service::{NotificationContext, Peer, RunningService},
    transport::{
        StreamableHttpClientTransport, TokioChildProcess,
        streamable_http_client::StreamableHttpClientTransportConfig,
    },
};

/// Where the upstream server is.
#[derive(Debug, Clone)]
pub enum UpstreamSpec {
    /// A program started by the gateway, speaking MCP on its stdin and stdout.
    Command {
        /// The program.
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
    /// A streamable-HTTP MCP endpoint.
    Url(String),
}

/// The client the gateway serves, once it has said `initialize`: where notifications go.
pub(crate) type Downstream = Arc<OnceLock<Peer<RoleServer>>>;

/// The upstream connection.
pub(crate) type Upstream = RunningService<RoleClient, Relay>;

/// The upstream's notifications, relayed to the downstream client as they come.
#[derive(Debug, Clone)]
pub(crate) struct Relay {
    downstream: Downstream,
}

impl ClientHandler for Relay {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let Some(peer) = self.downstream.get() {
            let _ = peer.notify_progress(params).await;
        }
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let Some(peer) = self.downstream.get() {
            let _ = peer.notify_logging_message(params).await;
        }
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let Some(peer) = self.downstream.get() {
            let _ = peer.notify_resource_updated(params).await;
        }
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        if let Some(peer) = self.downstream.get() {
            let _ = peer.notify_resource_list_changed().await;
        }
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        if let Some(peer) = self.downstream.get() {
            let _ = peer.notify_tool_list_changed().await;
        }
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        if let Some(peer) = self.downstream.get() {
            let _ = peer.notify_prompt_list_changed().await;
        }
    }

    fn get_info(&self) -> ClientConfig {
        let mut info = ClientConfig::default();
        info.client_info = Implementation::new("cheqpoint-gateway", env!("CARGO_PKG_VERSION"));
        info
    }
}

/// Starts (or reaches) the upstream and says `initialize` to it.
pub(crate) async fn connect(
    spec: &UpstreamSpec,
    downstream: Downstream,
) -> Result<Upstream, String> {
    let relay = Relay { downstream };
    match spec {
        UpstreamSpec::Command { program, args } => {
            let mut command = tokio::process::Command::new(program);
            command.args(args);
            let (transport, _) = TokioChildProcess::builder(command)
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|error| format!("could not start `{program}`: {error}"))?;
            relay
                .serve(transport)
                .await
                .map_err(|error| format!("`{program}` did not answer `initialize`: {error}"))
        }
        UpstreamSpec::Url(url) => {
            let http = cheqpoint::http_client_builder()
                .map_err(|error| error.to_string())?
                .build()
                .map_err(|error| format!("the HTTP client could not be built: {error}"))?;
            let transport = StreamableHttpClientTransport::with_client(
                http,
                StreamableHttpClientTransportConfig::with_uri(url.as_str()),
            );
            relay
                .serve(transport)
                .await
                .map_err(|error| format!("{url} did not answer `initialize`: {error}"))
        }
    }
}
