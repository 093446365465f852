//! The built-in callback receiver: a small HTTP listener that verifies each POSTed decision and
//! wakes the wait on its request, so push works without a web framework of your own.
//!
//! It faces the internet, so nothing a client does holds it for long: a connection must send its
//! request head within [`Limits::header_read`] (hyper's timer), its body within
//! [`Limits::body_read`], and at most [`Limits::connections`] are served at once (the others wait
//! in the kernel's backlog, holding none of the process's descriptors). A connection carries one
//! callback and is closed once answered, so a slot is held for one exchange: a sender with more
//! connections than slots is served in turn, never kept waiting behind an idle kept-alive one.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, Response, StatusCode, body::Bytes, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{net::TcpListener, sync::Semaphore, task::AbortHandle};

use crate::{
    Callback, CallbackError, Error, SIGNATURE_HEADER, observe, runtime, secret::Secret, wait::Waits,
};

/// The path callbacks are POSTed to.
pub(crate) const CALLBACK_PATH: &str = "/cheqpoint/callbacks";
/// The largest callback body read.
const MAX_CALLBACK_BODY: usize = 64 << 10;

/// How long a client may take, and how many may be served at once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// To send a request head.
    pub header_read: Duration,
    /// To send a request body.
    pub body_read: Duration,
    /// Connections served at once. Each holds hyper's buffers (8 KiB to read into, more to
    /// write from) while it is open, so a burst of callbacks, one for each of thousands of waits
    /// decided together, costs that many times the buffers; the one thread that verifies them
    /// keeps up with 32 as well as with more.
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(5),
            body_read: Duration::from_secs(10),
            connections: 32,
        }
    }
}

/// A running listener; stops when dropped.
pub(crate) struct Listener {
    /// `http://ADDR/cheqpoint/callbacks`.
    pub url: String,
    accept_loop: AbortHandle,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

/// What the listener shares with each connection.
struct Receiver {
    secrets: Arc<[Secret]>,
    waits: Arc<Waits>,
    limits: Limits,
    /// The causes of refusal logged already: each is logged once.
    logged: [AtomicBool; Refusal::COUNT],
}

/// Why a callback was refused, as logged.
#[derive(Clone, Copy)]
enum Refusal {
    BadSignature,
    UnknownId,
    MalformedBody,
}

impl Refusal {
    const COUNT: usize = 3;

    fn describe(self) -> &'static str {
        match self {
            Refusal::BadSignature => {
                "a callback failed signature verification (check the webhook secret); it only hints"
            }
            Refusal::UnknownId => "a callback named a request no wait is on",
            Refusal::MalformedBody => "a callback body was not a decision",
        }
    }
}

/// Binds `bind` and serves callbacks on the crate's own runtime, so the listener outlives
/// whichever runtime made the first request.
pub(crate) fn start(
    bind: SocketAddr,
    secrets: Arc<[Secret]>,
    waits: Arc<Waits>,
    limits: Limits,
) -> Result<Listener, Error> {
    let cannot = |what: &str, e: std::io::Error| {
        Error::Config(format!("the callback listener cannot {what} {bind}: {e}"))
    };
    let socket = std::net::TcpListener::bind(bind).map_err(|e| cannot("bind", e))?;
    socket
        .set_nonblocking(true)
        .map_err(|e| cannot("serve", e))?;
    let addr = socket.local_addr().map_err(|e| cannot("serve", e))?;
    let runtime = runtime::own()?;
    let listener = {
        let _entered = runtime.enter();
        TcpListener::from_std(socket).map_err(|e| cannot("serve", e))?
    };
    let receiver = Arc::new(Receiver {
        secrets,
        waits,
        limits,
        logged: Default::default(),
    });
    let accept_loop = runtime.spawn(accept(listener, receiver)).abort_handle();
    Ok(Listener {
        url: format!("http://{addr}{CALLBACK_PATH}"),
        accept_loop,
    })
}

/// Accepts a connection whenever fewer than the limit are open, and serves it under the timers.
async fn accept(listener: TcpListener, receiver: Arc<Receiver>) {
    let slots = Arc::new(Semaphore::new(receiver.limits.connections));
    loop {
        // The semaphore is never closed, so a permit always comes.
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, most likely: give the process a moment.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let receiver = Arc::clone(&receiver);
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(receiver.limits.header_read)
            .keep_alive(false)
            .serve_connection(
                TokioIo::new(stream),
                service_fn(move |request| answer(request, Arc::clone(&receiver))),
            );
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
}

/// Verifies one callback and wakes its wait: 200 when verified; 401 when not (the callback
/// still hints), 400 for a body that is not a decision, 408 or 413 for a body too slow or too
/// large, 404 elsewhere.
async fn answer(
    request: Request<hyper::body::Incoming>,
    receiver: Arc<Receiver>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() != Method::POST || request.uri().path() != CALLBACK_PATH {
        return Ok(json(StatusCode::NOT_FOUND, "not found"));
    }
    let signature = request
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let reading = Limited::new(request.into_body(), MAX_CALLBACK_BODY).collect();
    let body = match tokio::time::timeout(receiver.limits.body_read, reading).await {
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(_)) => return Ok(json(StatusCode::PAYLOAD_TOO_LARGE, "body too large")),
        Err(_) => return Ok(json(StatusCode::REQUEST_TIMEOUT, "body too slow")),
    };
    Ok(receiver.receive(&body, signature.as_deref()))
}

impl Receiver {
    /// Announces a verified callback; lets an unverified one that names a waiting request hint.
    fn receive(&self, body: &[u8], signature: Option<&str>) -> Response<Full<Bytes>> {
        match Callback::verify(body, signature, &self.secrets) {
            Ok(callback) => {
                self.waits.announce(&callback.approval_id);
                json(StatusCode::OK, "")
            }
            Err(CallbackError::InvalidBody(_) | CallbackError::UnknownStatus(_)) => {
                self.refused(Refusal::MalformedBody);
                json(StatusCode::BAD_REQUEST, "not a decision")
            }
            Err(_) => {
                self.refused(Refusal::BadSignature);
                match Callback::parse(body) {
                    Ok(callback) if !self.waits.hint(&callback.approval_id) => {
                        self.refused(Refusal::UnknownId)
                    }
                    Ok(_) => {}
                    Err(_) => self.refused(Refusal::MalformedBody),
                }
                json(StatusCode::UNAUTHORIZED, "signature not verified")
            }
        }
    }

    /// Logs the first refusal of each cause.
    fn refused(&self, cause: Refusal) {
        if !self.logged[cause as usize].swap(true, Ordering::Relaxed) {
            observe::callback_refused(cause.describe());
        }
    }
}

/// `{"ok": true}` for 200, else `{"error": message}`.
fn json(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = if status.is_success() {
        serde_json::json!({"ok": true})
    } else {
        serde_json::json!({"error": message})
    };
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::{
        io::{Read, Write},
        net::TcpStream,
    };

    use super::*;

    /// A listener with short timers, on a free port of this machine.
    fn listener(connections: usize) -> (Listener, SocketAddr) {
        listener_with(Limits {
            header_read: Duration::from_millis(100),
            body_read: Duration::from_millis(100),
            connections,
        })
    }

    /// A listener with these limits, on a free port of this machine.
    fn listener_with(limits: Limits) -> (Listener, SocketAddr) {
        let secrets: Arc<[Secret]> = Arc::new([Secret::new("whsec_test")]);
        let listener = start(
            "127.0.0.1:0".parse().unwrap(),
            secrets,
            Arc::default(),
            limits,
        )
        .unwrap();
        let addr = listener
            .url
            .trim_start_matches("http://")
            .trim_end_matches(CALLBACK_PATH)
            .parse()
            .unwrap();
        (listener, addr)
    }

    /// A connection whose reads give up after 5 s (fifty times the short timers), so a listener
    /// that never closes it fails the test instead of hanging it.
    fn connect(addr: SocketAddr) -> TcpStream {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
    }

    /// What the listener sent before it closed the connection; `None` when it neither closed it
    /// nor sent anything more within the stream's read timeout.
    fn read_to_close(stream: &mut TcpStream) -> Option<String> {
        let mut answer = Vec::new();
        match stream.read_to_end(&mut answer) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) if is_timeout(&e) => return None,
            Err(e) => panic!("reading from the listener: {e}"),
        }
        Some(String::from_utf8_lossy(&answer).into_owned())
    }

    /// A read that ran out of time (the kind differs between platforms).
    fn is_timeout(error: &std::io::Error) -> bool {
        matches!(
            error.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )
    }

    #[test]
    fn a_client_that_sends_nothing_is_closed_after_the_header_timeout() {
        let (_listener, addr) = listener(8);
        let mut silent = connect(addr);
        assert_eq!(read_to_close(&mut silent).as_deref(), Some(""));
    }

    #[test]
    fn a_request_head_sent_too_slowly_is_closed_unanswered() {
        let (_listener, addr) = listener(8);
        let mut slow = connect(addr);
        slow.write_all(b"POST /cheqpoint/callbacks HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        // hyper's header timer closes the connection without a response.
        let answer = read_to_close(&mut slow);
        assert_eq!(answer.as_deref(), Some(""), "not closed, or answered");
    }

    #[test]
    fn a_body_sent_too_slowly_is_answered_408_and_closed() {
        let (_listener, addr) = listener(8);
        let mut slow = connect(addr);
        slow.write_all(
            b"POST /cheqpoint/callbacks HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"id\"",
        )
        .unwrap();
        let answer = read_to_close(&mut slow).expect("the listener closes a slow body");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    }

    #[test]
    fn an_answered_connection_is_closed_and_its_slot_goes_to_the_next() {
        // One slot, and timers long enough that no connection is closed for them in the test.
        let (_listener, addr) = listener_with(Limits {
            header_read: Duration::from_secs(30),
            body_read: Duration::from_secs(30),
            connections: 1,
        });
        let mut first = connect(addr);
        let mut next = connect(addr);
        // Both ask to be kept alive (HTTP/1.1's default); the first has the slot.
        next.write_all(b"GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        first
            .write_all(b"GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let answer = read_to_close(&mut first).expect("closed once answered");
        assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
        assert!(answer.contains("connection: close"), "{answer}");
        let answer = read_to_close(&mut next).expect("served once the first was answered");
        assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    }

    /// Fills the cap of a listener with these `limits` with silent connections, whose timers must
    /// not close them within a second, and checks that one more waits unanswered until one of
    /// them closes.
    fn one_beyond_the_cap_waits_for_a_slot(limits: Limits) {
        let cap = limits.connections;
        let (_listener, addr) = listener_with(limits);
        // Accepted first (the kernel hands out connections in arrival order), they fill the cap.
        let mut silent: Vec<TcpStream> = (0..cap).map(|_| connect(addr)).collect();
        let mut next = connect(addr);
        next.write_all(b"GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        next.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut first_byte = [0; 1];
        match next.read(&mut first_byte) {
            Err(e) if is_timeout(&e) => {}
            early => panic!("a connection was served beyond a cap of {cap}: {early:?}"),
        }
        // One closes: its slot goes to the one waiting, which is answered.
        drop(silent.pop());
        next.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let answer = read_to_close(&mut next).expect("served once a slot is free");
        assert!(answer.starts_with("HTTP/1.1 404"), "{answer:?}");
    }

    #[test]
    fn a_connection_beyond_the_cap_waits_unanswered_until_one_closes() {
        // Timers long enough that no connection is closed for them during the test.
        one_beyond_the_cap_waits_for_a_slot(Limits {
            header_read: Duration::from_secs(30),
            body_read: Duration::from_secs(30),
            connections: 4,
        });
    }

    #[test]
    fn by_default_a_burst_of_callbacks_is_served_32_connections_at_a_time() {
        one_beyond_the_cap_waits_for_a_slot(Limits::default());
        assert_eq!(Limits::default().connections, 32);
    }
}
