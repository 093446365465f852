//! The faults waiting for requests, the server state they put it in (the port closed), the open
//! connections a fault can cut, and the log of the API calls received.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{Notify, watch};

use super::{Fault, FaultKind, Route};
use crate::server::Port;

/// How long `refuse` keeps the port closed when the fault gives no `for=`.
const DEFAULT_REFUSAL: Duration = Duration::from_secs(1);

/// `duration` without its fraction of a millisecond, for display.
fn whole_millis(duration: Duration) -> Duration {
    Duration::from_millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// A fault waiting for requests.
struct Active {
    fault: Fault,
    /// Requests left to apply it to; `None` for all of them.
    remaining: Option<u32>,
    /// When it stops applying; `None` for never.
    until: Option<Instant>,
}

/// One call to the API as the emulator received it (before any fault or the key check).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Call {
    /// Which API route: never [`Route::Any`].
    pub route: Route,
    /// `GET` or `POST`.
    pub method: String,
    /// The path, e.g. `/api/approvals/req_…`.
    pub path: String,
    /// When it arrived.
    pub at: SystemTime,
    /// The fault applied to it, in the text form.
    pub fault: Option<String>,
}

/// The injected faults, the state they put the server in, the open connections (so that a
/// fault can close them), and the log of API calls.
pub(crate) struct Faults {
    port: Port,
    active: Mutex<Vec<Active>>,
    /// While `Some`, the port is closed until then.
    refusing: watch::Sender<Option<Instant>>,
    connections: Mutex<HashMap<u64, Arc<Notify>>>,
    next_connection: AtomicU64,
    calls: Mutex<Vec<Call>>,
}

/// One open connection, handed to each request on it: [`Connection::cut`] closes it.
#[derive(Clone)]
pub(crate) struct Connection {
    id: u64,
    cut: Arc<Notify>,
}

impl Connection {
    /// Closes the connection at once, whatever it was doing.
    pub fn cut(&self) {
        self.cut.notify_one();
    }

    /// Resolves once the connection is to be closed.
    pub async fn cut_requested(&self) {
        self.cut.notified().await;
    }
}

impl Faults {
    pub fn new(port: Port, initial: Vec<Fault>) -> Faults {
        let faults = Faults {
            port,
            active: Mutex::default(),
            refusing: watch::Sender::new(None),
            connections: Mutex::default(),
            next_connection: AtomicU64::new(0),
            calls: Mutex::default(),
        };
        for fault in initial {
            faults.inject(fault);
        }
        faults
    }

    /// Adds a fault. `refuse` closes the port and every connection before this returns.
    pub fn inject(&self, fault: Fault) {
        let until = fault.duration.and_then(|d| Instant::now().checked_add(d));
        if fault.kind == FaultKind::Refuse {
            let until = until.unwrap_or_else(|| Instant::now() + DEFAULT_REFUSAL);
            tracing::info!(%fault, "fault injected: refusing connections");
            self.port.close();
            self.cut_connections(None);
            self.refusing.send_replace(Some(until));
            return;
        }
        tracing::info!(%fault, "fault injected");
        self.lock().push(Active {
            remaining: fault.times,
            until,
            fault,
        });
    }

    /// Removes every fault and opens the port again (before this returns, unless the address
    /// cannot be bound again at once; then the server keeps trying).
    pub fn clear(&self) {
        self.lock().clear();
        self.refusing.send_replace(None);
        self.port.open();
        tracing::info!("faults cleared");
    }

    /// The listening port.
    pub fn port(&self) -> &Port {
        &self.port
    }

    /// The faults still active, in the text form with what is left of them.
    pub fn describe(&self) -> Vec<String> {
        let now = Instant::now();
        let mut described: Vec<String> = self
            .lock()
            .iter()
            .filter(|active| active.until.is_none_or(|until| until > now))
            .map(|active| {
                let mut fault = active.fault.clone();
                fault.times = active.remaining;
                fault.duration = active.until.map(|until| whole_millis(until - now));
                fault.to_string()
            })
            .collect();
        if let Some(until) = self.refusing_until() {
            let left =
                Fault::new(Route::Any, FaultKind::Refuse).for_duration(whole_millis(until - now));
            described.insert(0, left.to_string());
        }
        described
    }

    /// The fault that applies to this request for `route`, counted as used.
    pub fn take(&self, route: Route) -> Option<Fault> {
        let now = Instant::now();
        let mut active = self.lock();
        active.retain(|active| active.until.is_none_or(|until| until > now));
        let index = active
            .iter()
            .position(|active| active.fault.route.covers(route))?;
        let fault = active[index].fault.clone();
        if let Some(remaining) = &mut active[index].remaining {
            *remaining -= 1;
            if *remaining == 0 {
                active.remove(index);
            }
        }
        Some(fault)
    }

    /// When the port opens again, while it is closed.
    pub fn refusing_until(&self) -> Option<Instant> {
        let until = (*self.refusing.borrow())?;
        (until > Instant::now()).then_some(until)
    }

    /// A receiver that wakes when refusing starts or is cleared.
    pub fn refusals(&self) -> watch::Receiver<Option<Instant>> {
        self.refusing.subscribe()
    }

    /// Registers a new connection; call [`Faults::untrack`] when it ends.
    pub fn track(&self) -> Connection {
        let connection = Connection {
            id: self.next_connection.fetch_add(1, Ordering::Relaxed),
            cut: Arc::default(),
        };
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(connection.id, Arc::clone(&connection.cut));
        connection
    }

    pub fn untrack(&self, connection: &Connection) {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&connection.id);
    }

    /// Closes every open connection but `keep`.
    pub fn cut_connections(&self, keep: Option<&Connection>) {
        let connections = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (id, cut) in connections.iter() {
            if keep.is_none_or(|keep| keep.id != *id) {
                cut.notify_one();
            }
        }
    }

    /// Logs a call to `route`, with the fault applied to it.
    pub fn log(&self, route: Route, method: &str, path: &str, fault: Option<&Fault>) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Call {
                route,
                method: method.to_owned(),
                path: path.to_owned(),
                at: SystemTime::now(),
                fault: fault.map(Fault::to_string),
            });
    }

    /// Every call logged, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Active>> {
        self.active.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(spec: &str) -> Fault {
        spec.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn faults_apply_in_order_and_run_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = Port::new(listener, tokio::runtime::Handle::current()).unwrap();
        let faults = Faults::new(
            port,
            vec![
                parsed("get:502x2"),
                parsed("any:503x1"),
                parsed("create:hangup,for=1h"),
            ],
        );
        assert_eq!(
            faults.take(Route::Get).unwrap().kind,
            FaultKind::Status(502)
        );
        assert_eq!(
            faults.take(Route::Create).unwrap().kind,
            FaultKind::Status(503)
        );
        assert_eq!(
            faults.take(Route::Get).unwrap().kind,
            FaultKind::Status(502)
        );
        assert_eq!(faults.take(Route::Get), None);
        assert_eq!(faults.take(Route::Create).unwrap().kind, FaultKind::Hangup);
        let described = faults.describe();
        assert_eq!(described.len(), 1);
        assert!(
            described[0].starts_with("create:hangup,for=59m"),
            "{described:?}"
        );
        faults.clear();
        assert_eq!(faults.take(Route::Create), None);
        faults.inject(parsed("get:502,for=1ms"));
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(faults.take(Route::Get), None, "expired");
    }
}
