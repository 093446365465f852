//! The accept loop: each connection is served by hyper with the router, each request on it is
//! handed the [`Connection`](crate::faults::Connection) so that a fault can cut it, and the
//! [`Port`] is closed while a `refuse` fault lasts (then bound again, at the same address). When
//! the emulator stops, every connection is closed, long-lived ones (event streams, stalled
//! requests) included.

use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tower_service::Service;

use crate::faults::{Faults, Refusal};

/// How long to wait before trying again when the port cannot be bound again or `accept` fails.
const PAUSE: Duration = Duration::from_millis(20);

/// The listening socket. [`close`](Port::close) takes effect before it returns: from then on,
/// connecting to the address is refused by the operating system, as when no server runs there.
pub(crate) struct Port {
    addr: SocketAddr,
    listener: Mutex<Option<TcpListener>>,
    runtime: Handle,
}

impl Port {
    pub fn new(listener: TcpListener, runtime: Handle) -> io::Result<Port> {
        Ok(Port {
            addr: listener.local_addr()?,
            listener: Mutex::new(Some(listener)),
            runtime,
        })
    }

    /// Stops listening.
    pub fn close(&self) {
        if self.lock().take().is_some() {
            tracing::info!(addr = %self.addr, "port closed: connections are refused");
        }
    }

    /// Listens again at the same address, if closed; false when it cannot be bound yet.
    pub fn open(&self) -> bool {
        let mut listener = self.lock();
        if listener.is_some() {
            return true;
        }
        let bound = std::net::TcpListener::bind(self.addr).and_then(|bound| {
            bound.set_nonblocking(true)?;
            let _runtime = self.runtime.enter();
            TcpListener::from_std(bound)
        });
        match bound {
            Ok(bound) => {
                *listener = Some(bound);
                tracing::info!(addr = %self.addr, "port open again");
                true
            }
            Err(error) => {
                tracing::warn!(addr = %self.addr, %error, "cannot bind the port again yet");
                false
            }
        }
    }

    fn is_open(&self) -> bool {
        self.lock().is_some()
    }

    /// The next connection; pending while the port is closed.
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        match &*self.lock() {
            Some(listener) => listener.poll_accept(cx).map_ok(|(stream, _)| stream),
            None => Poll::Pending,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<TcpListener>> {
        self.listener.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

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
