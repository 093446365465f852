//! What goes wrong in the relay, as one error type.

use std::{net::SocketAddr, time::Duration};

/// Why the relay could not serve, or could not get an answer of its own from the upstream.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// `--listen ADDR` could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP server stopped.
    #[error("the HTTP server stopped: {0}")]
    Serve(#[source] std::io::Error),
    /// The configuration does not fit the upstream's tools: a gate that names no tool, a
    /// summary naming no argument; each problem said.
    #[error("{0}")]
    Configuration(String),
    /// The upstream server is gone; why, in words for the client.
    #[error("{0}")]
    UpstreamGone(String),
    /// The upstream answered a request of the relay's own with an error.
    #[error("the upstream answered {method} with an error: {error}")]
    Answered {
        /// The method asked.
        method: &'static str,
        /// The JSON-RPC error, as it came.
        error: serde_json::Value,
    },
    /// The upstream did not answer a request of the relay's own in time.
    #[error("the upstream did not answer {method} within {waited:?}")]
    NoAnswer {
        /// The method asked.
        method: &'static str,
        /// How long the relay waited.
        waited: Duration,
    },
}
