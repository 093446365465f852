//! The built-in callback receiver: a small HTTP listener that verifies each POSTed decision and
//! wakes the wait on its request, so push works without a web framework of your own.

use std::{convert::Infallible, net::SocketAddr, sync::Arc};

use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, Response, StatusCode, body::Bytes, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, task::AbortHandle};

use crate::{Callback, Error, SIGNATURE_HEADER, runtime, secret::Secret, wait::Waits};

/// The path callbacks are POSTed to.
pub(crate) const CALLBACK_PATH: &str = "/cheqpoint/callbacks";
/// The largest callback body read.
const MAX_CALLBACK_BODY: usize = 64 << 10;

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

/// Binds `bind` and serves callbacks on the crate's own runtime, so the listener outlives
/// whichever runtime made the first request.
pub(crate) fn start(
    bind: SocketAddr,
    secrets: Arc<[Secret]>,
    waits: Arc<Waits>,
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
    let accept_loop = runtime
        .spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of file descriptors, most likely: give the process a moment.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                };
                let (secrets, waits) = (Arc::clone(&secrets), Arc::clone(&waits));
                let service = service_fn(move |request| {
                    answer(request, Arc::clone(&secrets), Arc::clone(&waits))
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        })
        .abort_handle();
    Ok(Listener {
        url: format!("http://{addr}{CALLBACK_PATH}"),
        accept_loop,
    })
}

/// Verifies one callback and wakes its wait: 200 when verified, 401 when not, 413 or 400 for a
/// body too large or cut off, 404 elsewhere.
async fn answer(
    request: Request<hyper::body::Incoming>,
    secrets: Arc<[Secret]>,
    waits: Arc<Waits>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() != Method::POST || request.uri().path() != CALLBACK_PATH {
        return Ok(json(
            StatusCode::NOT_FOUND,
            r#"{"error":"not found"}"#.into(),
        ));
    }
    let signature = request
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = match Limited::new(request.into_body(), MAX_CALLBACK_BODY)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return Ok(json(
                StatusCode::PAYLOAD_TOO_LARGE,
                r#"{"error":"body too large"}"#.into(),
            ));
        }
    };
    Ok(
        match Callback::verify(&body, signature.as_deref(), &secrets) {
            Ok(callback) => {
                waits.wake(&callback.approval_id);
                json(StatusCode::OK, r#"{"ok":true}"#.into())
            }
            Err(refused) => json(
                StatusCode::UNAUTHORIZED,
                serde_json::json!({"error": refused.to_string()}).to_string(),
            ),
        },
    )
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}
