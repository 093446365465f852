//! `cheqpoint mcp`: a gateway in front of any MCP server. The client talks to the gateway as it
//! would to the server; every tool call the configuration gates becomes one approval request,
//! and runs upstream only with the approved arguments, at most once.
//!
//! | module | owns |
//! | --- | --- |
//! | `config` | `gate.toml` and `--gate`: which tools, their risk, summary, read-only keys, timeout |
//! | `gate` | one gated call: the request, the journal key, the verdict, the result the model reads |
//! | `schema`, `edits` | an edit checked against the tool's `inputSchema`; read-only keys; what changed |
//! | `summary`, `outcome` | the words: the reviewer's sentence, and the model's on each outcome |
//! | `proxy`, `upstream` | the rmcp server facing the client and the rmcp client facing the upstream |
//! | `serve` | stdio or streamable HTTP towards the client |

mod config;
mod edits;
mod gate;
mod outcome;
mod proxy;
mod schema;
mod serve;
mod summary;
mod upstream;

use std::time::Duration;

pub use config::{ConfigError, GateConfig, ToolRule};
pub use gate::{Ask, Gate, Verdict, call_key, into_result};
pub use outcome::{error_result, refused};
pub use proxy::{DEFAULT_PROGRESS_INTERVAL, Gateway};
pub(crate) use schema::check_edit;
pub use serve::{serve_http, serve_stdio};
pub use upstream::UpstreamSpec;

/// Everything a gateway runs with.
#[derive(Debug)]
pub struct GatewaySettings {
    /// Which tools are gated, and how.
    pub config: GateConfig,
    /// The client that asks, with its journal.
    pub gate: Gate,
    /// The upstream server.
    pub upstream: UpstreamSpec,
    /// The agent id sent with each request; default: the client's name from `initialize`.
    pub agent: Option<String>,
    /// How often a waiting call reports progress to a client that gave a progress token.
    pub progress_interval: Duration,
    /// Where a person decides, shown in progress messages.
    pub review_url: String,
}

/// The default summary of a call: the tool's title and its arguments in brief.
pub fn summary_of(title: &str, arguments: &rmcp::model::JsonObject) -> String {
    summary::render(None, title, arguments)
}
