//! The faults waiting for requests, the server state they put it in (the port closed), the open
//! connections a fault can cut, and the log of the API calls received (the last
//! [`MAX_CALLS`] of them, with exact counts of all).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{Notify, watch};

use super::fault::{Fault, FaultKind, Route};
use crate::port::Port;
use crate::recent::Recent;

/// How long `refuse` keeps the port closed when the fault gives no `for=`.
const DEFAULT_REFUSAL: Duration = Duration::from_secs(1);

/// How many calls the log keeps: the oldest are dropped past this, so that polling alone cannot
/// grow a long-running emulator without bound. Counts stay exact.
pub(crate) const MAX_CALLS: usize = 100_000;

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
    /// The `Idempotency-Key` header it carried, if any.
    pub idempotency_key: Option<String>,
}

/// How long a `refuse` fault keeps the port closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Until this instant.
    Until(Instant),
    /// Until the faults are cleared: the fault, in the text form, asked for a duration too long
    /// to represent, which every fault reads as "until cleared".
    UntilCleared(String),
}

impl Refusal {
    /// When the port opens again by itself; `None` for never.
    pub(crate) fn ends(&self) -> Option<Instant> {
        match self {
            Refusal::Until(until) => Some(*until),
            Refusal::UntilCleared(_) => None,
        }
    }
}

/// The API calls received: the last [`MAX_CALLS`], and how many there were on each route.
struct CallLog {
    recent: Recent<Call>,
    counts: HashMap<Route, usize>,
}

/// The injected faults, the state they put the server in, the open connections (so that a
/// fault can close them), and the log of API calls.
pub(crate) struct Faults {
    port: Port,
    active: Mutex<Vec<Active>>,
    /// While `Some`, the port is closed.
    refusing: watch::Sender<Option<Refusal>>,
    connections: Mutex<HashMap<u64, Arc<Notify>>>,
    next_connection: AtomicU64,
    calls: Mutex<CallLog>,
}

/// One open connection, handed to each request on it: [`Connection::cut`] closes it.
#[derive(Clone)]
pub(crate) struct Connection {
    id: u64,
    cut: Arc<Notify>,
}

impl Connection {
    /// Closes the connection at once, whatever it was doing.
    pub(crate) fn cut(&self) {
        self.cut.notify_one();
    }

    /// Resolves once the connection is to be closed.
    pub(crate) async fn cut_requested(&self) {
        self.cut.notified().await;
    }
}

impl Faults {
    pub(crate) fn new(port: Port, initial: Vec<Fault>) -> Faults {
        let faults = Faults {
            port,
            active: Mutex::default(),
            refusing: watch::Sender::new(None),
            connections: Mutex::default(),
            next_connection: AtomicU64::new(0),
            calls: Mutex::new(CallLog {
                recent: Recent::new(MAX_CALLS),
                counts: HashMap::new(),
            }),
        };
        for fault in initial {
            faults.inject(fault);
        }
        faults
    }

    /// Adds a fault. `refuse` closes the port and every connection before this returns.
    ///
    /// A duration too long to represent as an [`Instant`] lasts until the faults are cleared.
    pub(crate) fn inject(&self, fault: Fault) {
        let until = fault.duration.and_then(|d| Instant::now().checked_add(d));
        if fault.kind == FaultKind::Refuse {
            let refusal = match (fault.duration, until) {
                (None, _) => Refusal::Until(Instant::now() + DEFAULT_REFUSAL),
                (Some(_), Some(until)) => Refusal::Until(until),
                (Some(_), None) => Refusal::UntilCleared(fault.to_string()),
            };
            tracing::info!(%fault, "fault injected: refusing connections");
            self.port.close();
            self.cut_connections(None);
            self.refusing.send_replace(Some(refusal));
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
    pub(crate) fn clear(&self) {
        self.lock().clear();
        self.refusing.send_replace(None);
        self.port.open();
        tracing::info!("faults cleared");
    }

    /// The listening port.
    pub(crate) fn port(&self) -> &Port {
        &self.port
    }

    /// The faults still active, in the text form with what is left of them.
    pub(crate) fn describe(&self) -> Vec<String> {
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
        match self.refusal() {
            Some(Refusal::Until(until)) => {
                let left = Fault::new(Route::Any, FaultKind::Refuse)
                    .for_duration(whole_millis(until - now));
                described.insert(0, left.to_string());
            }
            Some(Refusal::UntilCleared(fault)) => described.insert(0, fault),
            None => {}
        }
        described
    }

    /// The fault that applies to this request for `route`, counted as used.
    pub(crate) fn take(&self, route: Route) -> Option<Fault> {
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

    /// How long the port stays closed, while it is closed.
    pub(crate) fn refusal(&self) -> Option<Refusal> {
        let refusal = self.refusing.borrow().clone()?;
        refusal
            .ends()
            .is_none_or(|until| until > Instant::now())
            .then_some(refusal)
    }

    /// A receiver that wakes when refusing starts or is cleared.
    pub(crate) fn refusals(&self) -> watch::Receiver<Option<Refusal>> {
        self.refusing.subscribe()
    }

    /// Registers a new connection; call [`Faults::untrack`] when it ends.
    pub(crate) fn track(&self) -> Connection {
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

    pub(crate) fn untrack(&self, connection: &Connection) {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&connection.id);
    }

    /// Closes every open connection but `keep`.
    pub(crate) fn cut_connections(&self, keep: Option<&Connection>) {
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

    /// Logs a call to `route`, with the fault applied to it, dropping the oldest call once
    /// [`MAX_CALLS`] are kept.
    pub(crate) fn log(
        &self,
        route: Route,
        method: &str,
        path: &str,
        idempotency_key: Option<&str>,
        fault: Option<&Fault>,
    ) {
        let call = Call {
            route,
            method: method.to_owned(),
            path: path.to_owned(),
            at: SystemTime::now(),
            fault: fault.map(Fault::to_string),
            idempotency_key: idempotency_key.map(str::to_owned),
        };
        let mut log = self.call_log();
        log.recent.push(call);
        *log.counts.entry(route).or_default() += 1;
    }

    /// The last [`MAX_CALLS`] calls logged, in arrival order.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.call_log().recent.to_vec()
    }

    /// How many calls to `route` were logged ([`Route::Any`]: to any route), those dropped from
    /// the log included.
    pub(crate) fn call_count(&self, route: Route) -> usize {
        let log = self.call_log();
        match route {
            Route::Any => log.counts.values().sum(),
            route => log.counts.get(&route).copied().unwrap_or(0),
        }
    }

    fn call_log(&self) -> MutexGuard<'_, CallLog> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
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

    async fn faults() -> Faults {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = Port::new(listener, tokio::runtime::Handle::current()).unwrap();
        Faults::new(port, Vec::new())
    }

    #[tokio::test]
    async fn the_call_log_keeps_the_last_calls_and_exact_counts() {
        let faults = faults().await;
        faults.call_log().recent = Recent::new(3);
        for n in 0..5 {
            faults.log(
                Route::Get,
                "GET",
                &format!("/api/approvals/req_{n}"),
                None,
                None,
            );
        }
        faults.log(Route::Create, "POST", "/api/approvals/request", None, None);
        let paths: Vec<String> = faults.calls().into_iter().map(|call| call.path).collect();
        assert_eq!(
            paths,
            [
                "/api/approvals/req_3",
                "/api/approvals/req_4",
                "/api/approvals/request"
            ]
        );
        assert_eq!(faults.call_count(Route::Get), 5);
        assert_eq!(faults.call_count(Route::Create), 1);
        assert_eq!(faults.call_count(Route::Inbound), 0);
        assert_eq!(faults.call_count(Route::Any), 6);
    }

    #[tokio::test]
    async fn the_call_log_is_capped_by_default() {
        let faults = faults().await;
        for _ in 0..MAX_CALLS + 10 {
            faults.log(Route::Get, "GET", "/api/approvals/req_1", None, None);
        }
        assert_eq!(faults.calls().len(), MAX_CALLS);
        assert_eq!(faults.call_count(Route::Get), MAX_CALLS + 10);
    }

    #[tokio::test]
    async fn a_refusal_too_long_to_represent_lasts_until_cleared() {
        let faults = faults().await;
        faults.inject(Fault::new(Route::Any, FaultKind::Refuse).for_duration(Duration::MAX));
        let refusal = faults.refusal().expect("refusing");
        assert_eq!(refusal.ends(), None, "{refusal:?}");
        assert_eq!(faults.describe().len(), 1);
        assert!(faults.describe()[0].starts_with("any:refuse,for="));
        faults.clear();
        assert_eq!(faults.refusal(), None);

        faults.inject(parsed("any:refuse"));
        let ends = faults.refusal().and_then(|refusal| refusal.ends());
        assert!(
            ends.is_some_and(|ends| ends <= Instant::now() + DEFAULT_REFUSAL),
            "no `for=`: one second"
        );
    }
}
