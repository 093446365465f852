//! The upstream, reached by its command (stdio) or its URL (streamable HTTP).

use super::{UpstreamSpec, http_client, link::Link, stdio};

/// Starts (or reaches) the upstream. A failure to start comes as the link's end, with why.
pub(super) fn connect(spec: &UpstreamSpec) -> Link {
    match spec {
        UpstreamSpec::Command { program, args } => stdio::command(program, args),
        UpstreamSpec::Url(url) => http_client::connect(url),
    }
}
