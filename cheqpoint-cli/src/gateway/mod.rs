//! The gate of `cheqpoint mcp` and `cheqpoint hook`: which tools are gated and how, one gated
//! call through the `cheqpoint` client, and the words a model and a reviewer read. The relay
//! ([`crate::relay`]) hands it each gated call.
//!
//! | module | owns |
//! | --- | --- |
//! | `config` | `gate.toml` and `--gate`: which tools, their risk, summary, read-only keys, timeout |
//! | `gate` | one gated call: the request, the journal key, the verdict, the result the model reads |
//! | `schema`, `edits` | an edit checked against the tool's `inputSchema`; read-only keys; what changed |
//! | `summary`, `outcome` | the words: the reviewer's sentence, and the model's on each outcome |

mod config;
mod edits;
mod gate;
mod outcome;
mod schema;
mod summary;

pub use config::{ConfigError, GateConfig, ToolRule};
pub use gate::{Ask, Gate, Verdict, call_key, into_result};
pub(crate) use outcome::upstream_gone;
pub use outcome::{error_result, refused};
pub(crate) use schema::check_edit;
pub(crate) use summary::render as render_summary;

/// The default summary of a call: the tool's title and its arguments in brief.
pub fn summary_of(title: &str, arguments: &rmcp::model::JsonObject) -> String {
    summary::render(None, title, arguments)
}
