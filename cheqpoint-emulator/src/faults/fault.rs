//! A [`Fault`]: the route it targets, what it does ([`FaultKind`]), how often and how long.

use std::fmt;
use std::time::Duration;

use axum::http::Method;
use serde_json::Value;

/// The farthest ahead a `Retry-After` date may be: one year. HTTP dates stop at the year 9999,
/// and no client waits longer anyway.
pub(crate) const MAX_RETRY_AFTER_DATE: u64 = 365 * 24 * 60 * 60;

/// The API routes a fault can target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// `POST /api/approvals/request`.
    Create,
    /// `GET /api/approvals/{id}`.
    Get,
    /// `POST /api/webhooks/inbound`.
    Inbound,
    /// Any of the three.
    Any,
}

impl Route {
    /// The route a request is for; `None` for everything but the three API routes.
    pub fn of(method: &Method, path: &str) -> Option<Route> {
        let path = path.trim_end_matches('/');
        match (method, path) {
            (&Method::POST, "/api/approvals/request") => Some(Route::Create),
            (&Method::POST, "/api/webhooks/inbound") => Some(Route::Inbound),
            (&Method::GET, path)
                if path
                    .strip_prefix("/api/approvals/")
                    .is_some_and(|id| !id.is_empty() && !id.contains('/')) =>
            {
                Some(Route::Get)
            }
            _ => None,
        }
    }

    /// True when a fault on `self` applies to a request for `route`.
    pub(super) fn covers(self, route: Route) -> bool {
        self == Route::Any || self == route
    }

    /// The name used in the text form: `create`, `get`, `inbound` or `any`.
    pub fn name(self) -> &'static str {
        match self {
            Route::Create => "create",
            Route::Get => "get",
            Route::Inbound => "inbound",
            Route::Any => "any",
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What goes wrong.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum FaultKind {
    /// The port is closed for the fault's duration (1 s by default; until
    /// [cleared](crate::Emulator::clear_faults) when the duration is too long to represent, as
    /// for every other fault): connecting fails with "connection refused", so a client knows the
    /// request was never sent. Applies to every route (the route is not known before a
    /// connection is made) and ignores [`Fault::times`]; open connections are closed when it
    /// starts.
    Refuse,
    /// The connection is closed once the request head has been read, with no answer and without
    /// acting on the request. The client cannot tell this from a server that acted and then
    /// failed: it has sent the request.
    Hangup,
    /// The request is processed and the answer's head and first half are sent; then the
    /// connection is closed.
    Reset,
    /// Nothing is sent for 60 s (or until the emulator stops), longer than any sane client
    /// timeout; then `504`.
    Stall,
    /// This HTTP status (100 to 599) with `{"error": "injected fault: <status>"}` (and the
    /// fault's `Retry-After`, if any).
    Status(u16),
    /// The first half of the real answer, with a `Content-Length` that matches it.
    Truncated,
    /// `200` with a plain-text body.
    NotJson,
    /// `502` with an HTML error page, as a proxy in front of the service answers.
    HtmlError,
    /// `200` with a 10 MB body.
    Huge,
    /// The real answer with this field set to this value.
    SetField(String, Value),
    /// The real answer without this field.
    RemoveField(String),
    /// The emulator forgets every request (as a restarted server with no storage would) and
    /// closes its other connections; then the request is answered as usual.
    Restart,
}

impl FaultKind {
    /// An error for a kind that cannot be sent: a status that is not an HTTP status.
    pub(super) fn check(&self) -> Result<(), String> {
        match self {
            FaultKind::Status(status) if !(100..=599).contains(status) => Err(format!(
                "{status} is not an HTTP status (a fault's status is 100 to 599)"
            )),
            _ => Ok(()),
        }
    }

    /// True for the kinds that need the real answer, and so always process the request.
    pub(super) fn rewrites_the_answer(&self) -> bool {
        matches!(
            self,
            FaultKind::Reset
                | FaultKind::Truncated
                | FaultKind::SetField(..)
                | FaultKind::RemoveField(_)
        )
    }

    /// True for the kinds that may process the request before answering, when asked to.
    pub(super) fn may_process(&self) -> bool {
        matches!(
            self,
            FaultKind::Stall
                | FaultKind::Status(_)
                | FaultKind::NotJson
                | FaultKind::HtmlError
                | FaultKind::Huge
        )
    }
}

/// The server's `Retry-After` header on a fault's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: N`, in seconds.
    Seconds(u64),
    /// `Retry-After: <HTTP-date>`, this many seconds after the answer is sent: at most one year
    /// (31,536,000 s). The text form refuses more; a longer one given here is sent as one year.
    DateIn(u64),
}

/// One fault: a route, a kind, and how long it lasts.
///
/// A [`Fault`] names a [`Route`] (create, get, inbound, or any of them), a [`FaultKind`] (what
/// goes wrong) and how long it lasts: the next `n` matching requests ([`Fault::times`]), a span of
/// time ([`Fault::for_duration`]), or until cleared. Inject one with
/// [`Emulator::inject`](crate::Emulator::inject), `POST /emulator/faults` or the binary's
/// `--fault`; the last two take the text form below. The first active fault that matches a request
/// applies to it; others wait for later requests.
///
/// Faults that answer in place of the service say whether the request was *processed* (recorded,
/// for a create) first: [`Fault::after_processing`]. By default they answer before the request is
/// acted on, as a proxy or an overloaded server would; the faults that change the real answer
/// (truncated, a field set or removed, a reset mid-answer) always process it first. So a test can
/// count honestly how many approval requests a call made
/// ([`Emulator::created_count`](crate::Emulator::created_count)).
///
/// # The text form
///
/// ```text
/// SPEC   = ROUTE ":" KIND [ "x" COUNT ] { "," OPTION }
/// ROUTE  = create | get | inbound | any
/// KIND   = 500 | 502 | 503 | 429 | 401 | 404 | …   that status, with {"error": "injected fault: …"}
///        | refuse          the port is closed: connections are refused (every route, for= only)
///        | hangup          the connection is closed once the request head is read, unanswered
///        | reset           the request is processed; the answer is cut off halfway
///        | stall           no answer for 60 s (the client's HTTP timeout comes first)
///        | truncated       the first half of the real answer, framed as if complete
///        | not-json        200 with a plain-text body
///        | html            502 with an HTML error page, as a proxy sends
///        | huge            200 with a 10 MB body
///        | restart         the emulator forgets every request, then answers
///        | no-FIELD        the real answer without FIELD, e.g. no-id, no-status, no-details
///        | FIELD=VALUE     the real answer with FIELD set to VALUE: JSON (object, array, number,
///                          true/false/null, "string"), else the text up to the next comma
/// OPTION = times=COUNT | for=DURATION (humantime: 500ms, 2s) | processed
///        | retry-after=SECONDS | retry-after-date=SECONDS (an HTTP-date SECONDS from now)
/// ```
///
/// `xCOUNT` is short for `times=COUNT` after a status or a word kind. Examples: `get:502x3`,
/// `create:429x2,retry-after=1`, `create:502,processed`, `any:refuse,for=300ms`,
/// `get:status=EXPIRED`, `get:status=`, `get:modifiedDetails=[1,2]`,
/// `get:details={"order_id":"other"}`, `create:no-id`, `get:stall,for=2s`.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use cheqpoint_emulator::{Fault, FaultKind, RetryAfter, Route};
///
/// let burst = Fault::new(Route::Get, FaultKind::Status(502)).times(3);
/// assert_eq!(burst.to_string(), "get:502,times=3");
/// let throttled: Fault = "create:429x2,retry-after=1".parse()?;
/// assert_eq!(
///     throttled,
///     Fault::new(Route::Create, FaultKind::Status(429)).times(2).retry_after(RetryAfter::Seconds(1))
/// );
/// let down = Fault::new(Route::Any, FaultKind::Refuse).for_duration(Duration::from_millis(300));
/// assert_eq!(down.to_string(), "any:refuse,for=300ms");
/// # Ok::<(), cheqpoint_emulator::FaultSpecError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub(super) route: Route,
    pub(super) kind: FaultKind,
    pub(super) times: Option<u32>,
    pub(super) duration: Option<Duration>,
    pub(super) retry_after: Option<RetryAfter>,
    pub(super) processed: bool,
}

impl Fault {
    /// A fault on `route` that lasts until cleared, unless limited by [`times`](Self::times) or
    /// [`for_duration`](Self::for_duration).
    ///
    /// # Panics
    ///
    /// When `kind` is a [`FaultKind::Status`] outside 100 to 599, which no HTTP answer can carry
    /// (the text form refuses it with a [`FaultSpecError`](super::FaultSpecError) instead).
    pub fn new(route: Route, kind: FaultKind) -> Fault {
        if let Err(reason) = kind.check() {
            panic!("{reason}");
        }
        let processed = kind.rewrites_the_answer();
        Fault {
            route,
            kind,
            times: None,
            duration: None,
            retry_after: None,
            processed,
        }
    }

    /// Applies to the next `n` matching requests only (at least one).
    pub fn times(mut self, n: u32) -> Fault {
        self.times = Some(n.max(1));
        self
    }

    /// Lasts this long from when it is injected.
    pub fn for_duration(mut self, duration: Duration) -> Fault {
        self.duration = Some(duration);
        self
    }

    /// Sends this `Retry-After` with the fault's answer.
    pub fn retry_after(mut self, retry_after: RetryAfter) -> Fault {
        self.retry_after = Some(retry_after);
        self
    }

    /// Acts on the request (records it, for a create) before the fault answers: a `502` after
    /// processing, rather than a `503` before. Has no effect on `refuse` and `hangup`, which never
    /// process, nor on the kinds that rewrite the real answer, which always do.
    pub fn after_processing(mut self) -> Fault {
        self.processed = self.processed || self.kind.may_process();
        self
    }

    /// The route it targets.
    pub fn route(&self) -> Route {
        self.route
    }

    /// What goes wrong.
    pub fn kind(&self) -> &FaultKind {
        &self.kind
    }

    /// True when the request is acted on before the fault answers.
    pub fn is_processed(&self) -> bool {
        self.processed
    }

    pub(crate) fn retry_after_value(&self) -> Option<RetryAfter> {
        self.retry_after
    }
}

pub(super) fn kind_text(kind: &FaultKind) -> String {
    match kind {
        FaultKind::Refuse => "refuse".into(),
        FaultKind::Hangup => "hangup".into(),
        FaultKind::Reset => "reset".into(),
        FaultKind::Stall => "stall".into(),
        FaultKind::Status(status) => status.to_string(),
        FaultKind::Truncated => "truncated".into(),
        FaultKind::NotJson => "not-json".into(),
        FaultKind::HtmlError => "html".into(),
        FaultKind::Huge => "huge".into(),
        FaultKind::SetField(field, value) => format!("{field}={value}"),
        FaultKind::RemoveField(field) => format!("no-{field}"),
        FaultKind::Restart => "restart".into(),
    }
}

/// The text form, which [`str::parse`] reads back.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.route, kind_text(&self.kind))?;
        if let Some(times) = self.times {
            write!(f, ",times={times}")?;
        }
        if let Some(duration) = self.duration {
            write!(f, ",for={}", humantime::format_duration(duration))?;
        }
        match self.retry_after {
            Some(RetryAfter::Seconds(seconds)) => write!(f, ",retry-after={seconds}")?,
            Some(RetryAfter::DateIn(seconds)) => write!(f, ",retry-after-date={seconds}")?,
            None => {}
        }
        if self.processed && !self.kind.rewrites_the_answer() {
            f.write_str(",processed")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_read_from_method_and_path() {
        assert_eq!(
            Route::of(&Method::POST, "/api/approvals/request"),
            Some(Route::Create)
        );
        assert_eq!(
            Route::of(&Method::GET, "/api/approvals/req_1"),
            Some(Route::Get)
        );
        assert_eq!(
            Route::of(&Method::POST, "/api/webhooks/inbound"),
            Some(Route::Inbound)
        );
        assert_eq!(Route::of(&Method::GET, "/emulator/approvals"), None);
        assert_eq!(Route::of(&Method::GET, "/api/approvals/"), None);
        assert_eq!(Route::of(&Method::DELETE, "/api/approvals/req_1"), None);
    }

    #[test]
    #[should_panic(expected = "42 is not an HTTP status")]
    fn a_status_that_is_not_http_is_refused_when_built() {
        let _ = Fault::new(Route::Get, FaultKind::Status(42));
    }

    #[test]
    fn every_http_status_can_be_built() {
        for status in [100, 429, 599] {
            assert_eq!(
                Fault::new(Route::Get, FaultKind::Status(status)).kind(),
                &FaultKind::Status(status)
            );
        }
    }
}
