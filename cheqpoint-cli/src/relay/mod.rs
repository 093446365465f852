//! `cheqpoint mcp`: a relay in front of any MCP server.
//!
//! # Where a message may change: one place
//!
//! Every JSON-RPC message, in either direction, is passed on as the JSON value that came in:
//! requests, responses, notifications, batches, methods and fields no SDK knows yet, `_meta`,
//! any protocol version. The relay reads typed views of a message only to decide what to do
//! with it (`message`); it never parses one into a type that would drop what it does not know.
//!
//! It steps in at three points, and changes a message at one of them:
//!
//! - it **reads**, never changes, the answers to the client's `initialize` (the server's name)
//!   and `tools/list` (each tool's `inputSchema`, title and annotations);
//! - it **asks** the upstream itself when it needs a tool it has not seen listed, with ids the
//!   client's cannot collide with, and keeps those answers to itself;
//! - when something is gated, it **checks** the configuration against the tools the server lists
//!   to this client before the client hears the server's answer to `initialize`: it says
//!   `notifications/initialized` itself (the client's own is then not passed on, the server
//!   having heard one) and lists the tools; a gate naming no tool answers the client's
//!   `initialize` with the problems instead, and nothing is forwarded;
//! - it **holds** a `tools/call` of a gated tool (`gated`): a person is asked, and then either the
//!   call goes upstream or the client gets an `isError` result saying why it did not. **This is
//!   the one place a message changes**, and only in two ways: the forwarded request carries the
//!   approved arguments (a reviewer may edit them; its id, `_meta` and every other field are the
//!   client's), and, when the reviewer changed them, the upstream's result reaches the client
//!   with one text block prepended saying what was changed. A model that reads a result must
//!   know it ran with other arguments than it sent.
//!
//! | module | owns |
//! | --- | --- |
//! | `message` | typed views of a JSON-RPC message, and the few messages the relay writes |
//! | `session` | the one message loop: what passes, what is read, what is held |
//! | `gated` | a held call through the gate |
//! | `outcome` | the result the client reads for a held call |
//! | `link` | a side of a session as two channels of JSON values |
//! | `upstream` | the upstream reached by its command or its URL |
//! | `settings` | what a relay runs with |
//! | `stdio` | newline-delimited JSON: this process's stdio, an upstream command's |
//! | `http_client` | a streamable-HTTP upstream (`--upstream URL`) |
//! | `http_server` | streamable HTTP towards clients (`--listen ADDR`), a session each |
//! | `error` | what the relay answers when it cannot serve |

mod error;
mod gated;
mod http_client;
mod http_server;
mod link;
mod message;
mod outcome;
mod session;
mod settings;
mod stdio;
mod upstream;

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};

pub use error::RelayError;
pub use http_server::serve_http;
pub use settings::{DEFAULT_PROGRESS_INTERVAL, Settings, UpstreamSpec};

/// Starts the upstream, then relays between it and the client on this process's stdin and
/// stdout until the client goes. An upstream that cannot start, or stops, is said to the
/// client in the answer to each of its requests. A configuration that names nothing the
/// upstream lists ends it with the error, after answering the client's `initialize` with it.
pub async fn serve_stdio(settings: Arc<Settings>) -> Result<(), RelayError> {
    serve(settings, tokio::io::stdin(), tokio::io::stdout()).await
}

/// [`serve_stdio`] with the client on any stream: newline-delimited JSON read from `input`,
/// written to `output`.
pub async fn serve(
    settings: Arc<Settings>,
    input: impl AsyncRead + Unpin + Send + 'static,
    output: impl AsyncWrite + Unpin + Send + 'static,
) -> Result<(), RelayError> {
    let upstream = upstream::connect(&settings.upstream);
    let (client, writing) = stdio::client(input, output);
    let ended = session::run(settings, client, upstream).await;
    // The last answers (a refused configuration's) reach the client before this returns.
    let _ = tokio::time::timeout(LAST_WRITES, writing).await;
    ended
}

/// How long the last messages to a client that is still there are given to be written.
const LAST_WRITES: std::time::Duration = std::time::Duration::from_secs(2);
