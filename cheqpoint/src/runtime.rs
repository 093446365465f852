//! The crate's own runtime: one worker thread, made on first use, for what must not depend on
//! the caller's runtime — blocking gated calls and the callback listener.

use std::sync::LazyLock;

use tokio::runtime::Runtime;

use crate::Error;

/// The runtime, started on first use.
pub(crate) fn own() -> Result<&'static Runtime, Error> {
    static RUNTIME: LazyLock<std::io::Result<Runtime>> = LazyLock::new(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("cheqpoint")
            .enable_all()
            .build()
    });
    RUNTIME
        .as_ref()
        .map_err(|e| Error::Config(format!("cheqpoint's own runtime could not start: {e}")))
}
