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

/// Runs `future` to its end on this thread, for a blocking fn. Outside a runtime it simply
/// blocks; on a multi-thread runtime (a worker, or `spawn_blocking`) it hands the worker's other
/// tasks away first (`block_in_place`), so the executor goes on; on a current-thread runtime,
/// where it would stall everything, it is refused ([`Error::BlockingInRuntime`]).
pub(crate) fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, Error> {
    let runtime = own()?;
    match tokio::runtime::Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Err(_) => Ok(runtime.block_on(future)),
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => {
            Ok(tokio::task::block_in_place(|| runtime.block_on(future)))
        }
        Ok(_) => Err(Error::BlockingInRuntime),
    }
}
