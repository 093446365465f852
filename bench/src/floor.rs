//! The floor of push's decision → resume: the two exchanges push cannot do without — a callback
//! POSTed to a listener, which then reads the record with one GET — made with nothing but a bare
//! `reqwest` client and a bare `hyper` listener, in the bench process, beside the same emulator
//! and at the same moment as the push scenario's own decisions. No code of this crate's client
//! takes part: what push takes over this is its own.

use std::convert::Infallible;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::clock::monotonic_ns;
use crate::protocol::API_KEY;

/// What the floor's reads carry as their `Idempotency-Key` (which a read ignores), so that the
/// emulator's log tells them from the agent's: they are not the agent's requests.
pub const FLOOR_MARK: &str = "bench-floor";

/// A bare listener and the client that POSTs to it.
pub struct Floor {
    url: String,
    client: reqwest::Client,
    server: JoinHandle<()>,
}

impl Drop for Floor {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Floor {
    /// Starts the listener on a free loopback port; it reads records from `emulator_url`.
    pub async fn start(emulator_url: String) -> std::io::Result<Floor> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("http://{}/callback", listener.local_addr()?);
        let reader = http_client()?;
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (reader, emulator_url) = (reader.clone(), emulator_url.clone());
                let service = hyper::service::service_fn(move |request| {
                    read_record(request, reader.clone(), emulator_url.clone())
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        Ok(Floor {
            url,
            client: http_client()?,
            server,
        })
    }

    /// One callback for `approval_id` and the GET it leads to: the time from sending the POST to
    /// reading the record's last byte.
    pub async fn sample(&self, approval_id: &str) -> Result<Duration, String> {
        let body = serde_json::json!({"approvalId": approval_id, "status": "approved"});
        let sent = monotonic_ns();
        let answer = self
            .client
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("the floor's callback failed: {e}"))?;
        let read: u64 = answer
            .text()
            .await
            .map_err(|e| format!("the floor's answer was cut off: {e}"))?
            .parse()
            .map_err(|_| "the floor's listener could not read the record".to_owned())?;
        Ok(Duration::from_nanos(read.saturating_sub(sent)))
    }
}

/// A bare `reqwest` client, built as every client of the workspace is (its TLS set up).
fn http_client() -> std::io::Result<reqwest::Client> {
    cheqpoint::http_client_builder()
        .map_err(std::io::Error::other)?
        .build()
        .map_err(std::io::Error::other)
}

/// The listener's side: reads the callback's id, GETs its record, and answers with the moment
/// the record's last byte was read (`CLOCK_MONOTONIC` nanoseconds), or 502.
async fn read_record(
    request: Request<Incoming>,
    reader: reqwest::Client,
    emulator_url: String,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let read = async {
        let body = request.into_body().collect().await.ok()?.to_bytes();
        let callback: serde_json::Value = serde_json::from_slice(&body).ok()?;
        let id = callback.get("approvalId")?.as_str()?;
        let record = reader
            .get(format!("{emulator_url}/api/approvals/{id}"))
            .header("x-api-key", API_KEY)
            .header("idempotency-key", FLOOR_MARK)
            .send()
            .await
            .ok()?;
        record.status().is_success().then_some(())?;
        record.bytes().await.ok()?;
        Some(monotonic_ns())
    };
    let answer = match read.await {
        Some(at) => Response::new(Full::new(Bytes::from(at.to_string()))),
        None => {
            let mut failed = Response::new(Full::new(Bytes::new()));
            *failed.status_mut() = StatusCode::BAD_GATEWAY;
            failed
        }
    };
    Ok(answer)
}
