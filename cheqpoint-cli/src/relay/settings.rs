//! What a relay runs with: the gate's configuration and client, the upstream, the words it
//! shows while a call waits.

use std::time::Duration;

use crate::{config::GateConfig, gate::Gatekeeper};

/// How long between progress reports while a call waits, unless told otherwise.
pub const DEFAULT_PROGRESS_INTERVAL: Duration = Duration::from_secs(10);

/// Where the upstream server is.
#[derive(Debug, Clone)]
pub enum UpstreamSpec {
    /// A program started by the relay, speaking MCP on its stdin and stdout.
    Command {
        /// The program.
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
    /// A streamable-HTTP MCP endpoint.
    Url(String),
}

/// Everything a relay runs with.
#[derive(Debug)]
pub struct Settings {
    /// Which tools are gated, and how.
    pub config: GateConfig,
    /// The client that asks, with its journal.
    pub gate: Gatekeeper,
    /// The upstream server.
    pub upstream: UpstreamSpec,
    /// The agent id sent with each request; default: the client's name from `initialize`.
    pub agent: Option<String>,
    /// How often a waiting call reports progress to a client that gave a progress token.
    pub progress_interval: Duration,
    /// Where a person decides, shown in progress messages.
    pub review_url: String,
}
