//! The accept loop: each connection is served by hyper with the router, each request on it is
//! handed the [`Connection`](crate::faults::Connection) so that a fault can cut it, and the
//! [`Port`](crate::port::Port) is closed while a `refuse` fault lasts (then bound again, at the
//! same address). When
//! the emulator stops, every connection is closed, long-lived ones (event streams, stalled
//! requests) included.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::faults::{Faults, Refusal};

/// How long to wait before trying again when the port cannot be bound again or `accept` fails.
const PAUSE: Duration = Duration::from_millis(20);

/// Serves `router` on the faults' port until `stopped` resolves.
pub(crate) async fn serve(router: Router, faults: Arc<Faults>, stopped: impl Future<Output = ()>) {
    let mut refusals = faults.refusals();
    let mut stopped = pin!(stopped);
    loop {
        let refusal = faults.refusal();
        let reopens_at = refusal.as_ref().and_then(Refusal::ends);
        let port = faults.port();
        if refusal.is_none() && !port.is_open() && !port.open() {
            tokio::select! {
                () = tokio::time::sleep(PAUSE) => {}
                () = &mut stopped => break,
            }
            continue;
        }
        tokio::select! {
            accepted = poll_fn(|cx| port.poll_accept(cx)) => match accepted {
                Ok(stream) => spawn_connection(stream, router.clone(), &faults),
                Err(error) => {
                    // Out of file descriptors and the like: pass, and try again.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(PAUSE).await;
                }
            },
            // The refusal ends: the next turn opens the port.
            () = tokio::time::sleep_until(reopens_at.unwrap_or_else(far_future).into()),
                if reopens_at.is_some() => {}
            _ = refusals.changed() => {}
            () = &mut stopped => break,
        }
    }
    faults.cut_connections(None);
}

fn far_future() -> std::time::Instant {
    std::time::Instant::now() + Duration::from_secs(86_400)
}

/// Serves one connection in a task of its own until it ends or is cut.
fn spawn_connection(stream: TcpStream, router: Router, faults: &Arc<Faults>) {
    let connection = faults.track();
    let faults = Arc::clone(faults);
    tokio::spawn(async move {
        let handed = connection.clone();
        let service = service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(handed.clone());
            router.clone().call(request)
        });
        let served = http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::select! {
            result = served => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
            }
            () = connection.cut_requested() => tracing::debug!("connection cut"),
        }
        faults.untrack(&connection);
    });
}
