//! Serving the gateway to its client: over this process's stdio (one client, one upstream), or
//! as a streamable-HTTP endpoint (`/mcp`; each session with its own upstream connection).

use std::{net::SocketAddr, sync::Arc};

use rmcp::{
    ServiceExt,
    transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
    },
};

use super::{Gateway, GatewaySettings};

/// Starts the upstream, then serves the client on stdin/stdout until either side ends.
pub async fn serve_stdio(settings: Arc<GatewaySettings>) -> Result<(), String> {
    let gateway = Gateway::connect(settings).await?;
    let running = gateway
        .serve(rmcp::transport::io::stdio())
        .await
        .map_err(|error| format!("the client did not initialize: {error}"))?;
    running
        .waiting()
        .await
        .map(drop)
        .map_err(|error| format!("the gateway stopped: {error}"))
}

/// Serves `http://ADDR/mcp` until the process is stopped.
pub async fn serve_http(settings: Arc<GatewaySettings>, addr: SocketAddr) -> Result<(), String> {
    let service = StreamableHttpService::new(
        move || Ok(Gateway::new(settings.clone())),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    eprintln!(
        "cheqpoint mcp: serving http://{}/mcp",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    axum::serve(listener, router)
        .await
        .map_err(|error| format!("the HTTP server stopped: {error}"))
}
