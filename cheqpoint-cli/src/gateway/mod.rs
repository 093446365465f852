//! `cheqpoint mcp`: a gateway in front of any MCP server. The client talks to the gateway as it
//! would to the server; every tool call the configuration gates becomes one approval request,
//! and runs upstream only with the approved arguments, at most once.
//!
//! | module | owns |
//! | --- | --- |
//! | `outcome` | the result the model reads for each outcome, in the library's words and the gateway's own |
//! | `proxy`, `upstream` | the rmcp server facing the client and the rmcp client facing the upstream |
//! | `serve` | stdio or streamable HTTP towards the client |

mod outcome;
mod proxy;
mod serve;
mod upstream;

use std::time::Duration;

use crate::{config::GateConfig, gate::Gatekeeper};

pub use outcome::{error_result, into_result};
pub use proxy::{DEFAULT_PROGRESS_INTERVAL, Gateway};
pub use serve::{serve_http, serve_stdio};
pub use upstream::UpstreamSpec;

/// Everything a gateway runs with.
#[derive(Debug)]
pub struct GatewaySettings {
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
