//! The emulator's listening socket, which a `refuse` fault closes and bound again at the same
//! address once the fault ends.

use std::io;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;

/// The listening socket. [`close`](Port::close) takes effect before it returns: from then on,
/// connecting to the address is refused by the operating system, as when no server runs there.
pub(crate) struct Port {
    addr: SocketAddr,
    listener: Mutex<Option<TcpListener>>,
    runtime: Handle,
}

impl Port {
    pub(crate) fn new(listener: TcpListener, runtime: Handle) -> io::Result<Port> {
        Ok(Port {
            addr: listener.local_addr()?,
            listener: Mutex::new(Some(listener)),
            runtime,
        })
    }

    /// Stops listening.
    pub(crate) fn close(&self) {
        if self.lock().take().is_some() {
            tracing::info!(addr = %self.addr, "port closed: connections are refused");
        }
    }

    /// Listens again at the same address, if closed; false when it cannot be bound yet.
    pub(crate) fn open(&self) -> bool {
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

    pub(crate) fn is_open(&self) -> bool {
        self.lock().is_some()
    }

    /// The next connection; pending while the port is closed.
    pub(crate) fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        match &*self.lock() {
            Some(listener) => listener.poll_accept(cx).map_ok(|(stream, _)| stream),
            None => Poll::Pending,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<TcpListener>> {
        self.listener.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
