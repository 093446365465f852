//! Callback delivery: when a request that named a `callbackUrl` (or `webhookUrl`) is decided, the
//! decision is POSTed there from a background task, signed when a webhook secret is set.
//!
//! The emulator's own HTTP client does it: never through a proxy (`HTTP_PROXY` must not see a
//! loopback callback), never following a redirect (a 3xx is the receiver's answer), and over TLS
//! for `https` URLs (rustls with `ring`, trusting the platform's root certificates). An attempt
//! that gets no answer, a 5xx or a 429 is tried again, up to [`MAX_ATTEMPTS`] in all. At most
//! [`MAX_IN_FLIGHT`] attempts are on their way at once, the others waiting their turn, so a
//! receiver slower than the decisions holds that many of the emulator's connections and no
//! more. The last [`MAX_DELIVERIES`] deliveries are kept for
//! [`Emulator::callbacks`](crate::Emulator::callbacks) and `GET /emulator/callbacks` (older ones
//! are dropped, so that a long-running emulator does not grow without bound); a failure is
//! logged, never fatal.

use std::error::Error as _;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use reqwest::header::CONTENT_TYPE;
use ring::hmac;
use serde_json::json;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

use crate::recent::Recent;
use crate::record::{ApprovalRecord, CallbackDelivery};

/// The header that carries the signature.
const SIGNATURE_HEADER: &str = "x-cheqpoint-signature";

/// How many deliveries are kept; the oldest are dropped past this.
pub(crate) const MAX_DELIVERIES: usize = 10_000;

/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// How many times a delivery is attempted at most.
pub(crate) const MAX_ATTEMPTS: u32 = 3;

/// The pause before the second attempt; it doubles before each later one.
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(250);

/// How many attempts are on their way at once. Each holds a connection (and its descriptor)
/// until the receiver answers, so thousands of decisions made together, sent to a receiver
/// that serves a few connections at a time, would otherwise run the process out of descriptors.
const MAX_IN_FLIGHT: usize = 64;

/// Sends callbacks and remembers the last [`MAX_DELIVERIES`] attempts.
pub(crate) struct Callbacks {
    http: reqwest::Client,
    secret: Option<String>,
    /// Where delivery tasks run, so that a decision made outside the runtime still sends.
    runtime: Handle,
    /// One permit an attempt on its way ([`MAX_IN_FLIGHT`]).
    in_flight: Arc<Semaphore>,
    deliveries: Arc<Mutex<Recent<CallbackDelivery>>>,
}

impl Callbacks {
    pub(crate) fn new(secret: Option<String>, runtime: Handle) -> io::Result<Self> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(ATTEMPT_TIMEOUT)
            .user_agent(concat!("cheqpoint-emulator/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(io::Error::other)?;
        Ok(Callbacks {
            http,
            secret,
            runtime,
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            deliveries: Arc::new(Mutex::new(Recent::new(MAX_DELIVERIES))),
        })
    }

    /// POSTs the decision of `record` to its callback URL, if it has one, without waiting;
    /// `delivered` is given the delivery once its last attempt is over.
    pub(crate) fn send(
        &self,
        record: &ApprovalRecord,
        delivered: impl FnOnce(&CallbackDelivery) + Send + 'static,
    ) {
        let Some(url) = record.callback_url.clone() else {
            return;
        };
        let body = callback_body(record);
        let signature = self
            .secret
            .as_ref()
            .map(|secret| sign(secret.as_bytes(), body.as_bytes()));
        let mut request = self
            .http
            .post(&url)
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone());
        if let Some(signature) = &signature {
            request = request.header(SIGNATURE_HEADER, signature);
        }
        let approval_id = record.id.clone();
        let deliveries = Arc::clone(&self.deliveries);
        let in_flight = Arc::clone(&self.in_flight);
        self.runtime.spawn(async move {
            let (outcome, attempts) = attempt(request, &in_flight).await;
            match &outcome {
                Ok(status) if (200..300).contains(status) => {
                    tracing::info!(%approval_id, %url, status, attempts, "callback delivered");
                }
                Ok(status) => {
                    tracing::warn!(%approval_id, %url, status, attempts, "callback refused by the receiver");
                }
                Err(error) => tracing::warn!(%approval_id, %url, %error, attempts, "callback failed"),
            }
            let delivery = CallbackDelivery {
                approval_id,
                url,
                body,
                signature,
                outcome,
                attempts,
                finished_at: SystemTime::now(),
            };
            delivered(&delivery);
            kept(&deliveries).push(delivery);
        });
    }

    /// The last [`MAX_DELIVERIES`] deliveries attempted, in the order they finished.
    pub(crate) fn deliveries(&self) -> Vec<CallbackDelivery> {
        kept(&self.deliveries).to_vec()
    }
}

/// Sends `request` until the receiver answers with something else than a 5xx or a 429, at most
/// [`MAX_ATTEMPTS`] times, each attempt in its turn among `in_flight`'s; the last outcome and the
/// number of attempts.
async fn attempt(
    request: reqwest::RequestBuilder,
    in_flight: &Semaphore,
) -> (Result<u16, String>, u32) {
    let mut pause = FIRST_RETRY_PAUSE;
    let mut attempts = 0;
    loop {
        attempts += 1;
        // The body is a string, so the request can always be cloned.
        let Some(this_attempt) = request.try_clone() else {
            return (Err("the request cannot be sent twice".into()), attempts);
        };
        let outcome = {
            // The semaphore is never closed, so the turn always comes.
            let _turn = in_flight.acquire().await;
            match this_attempt.send().await {
                Ok(response) => Ok(response.status().as_u16()),
                Err(error) => Err(with_causes(&error)),
            }
        };
        let worth_retrying = match &outcome {
            Ok(status) => *status >= 500 || *status == 429,
            Err(_) => true,
        };
        if !worth_retrying || attempts == MAX_ATTEMPTS {
            return (outcome, attempts);
        }
        tokio::time::sleep(pause).await;
        pause *= 2;
    }
}

/// The deliveries, also after a panic elsewhere poisoned the lock.
fn kept(deliveries: &Mutex<Recent<CallbackDelivery>>) -> MutexGuard<'_, Recent<CallbackDelivery>> {
    deliveries.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The body POSTed for a decided request (docs/protocol.md §4).
fn callback_body(record: &ApprovalRecord) -> String {
    json!({
        "approvalId": record.id,
        "id": record.id,
        "status": record.status.lower(),
        "modifiedDetails": record.modified_details,
        "decisionNote": record.decision_note,
        "details": record.details,
    })
    .to_string()
}

/// The lower-case hex HMAC-SHA256 of `body` keyed by `secret`.
pub(crate) fn sign(secret: &[u8], body: &[u8]) -> String {
    hex::encode(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), body))
}

/// An error's message followed by its causes' (reqwest's own message rarely says what failed).
fn with_causes(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    message
}

/// The TLS of callbacks to `https` URLs: rustls with `ring` (reqwest is built without a provider
/// of its own), verifying with the platform's root certificates.
fn tls_config() -> io::Result<rustls::ClientConfig> {
    use rustls_platform_verifier::BuilderVerifierExt;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(BuilderVerifierExt::with_platform_verifier)
        .map_err(io::Error::other)?
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_the_last_deliveries_are_kept() {
        let callbacks = Callbacks::new(None, Handle::current()).unwrap();
        for n in 0..MAX_DELIVERIES + 5 {
            kept(&callbacks.deliveries).push(CallbackDelivery {
                approval_id: format!("req_{n}"),
                url: "http://127.0.0.1:9/".into(),
                body: "{}".into(),
                signature: None,
                outcome: Ok(200),
                attempts: 1,
                finished_at: SystemTime::now(),
            });
        }
        let kept = callbacks.deliveries();
        assert_eq!(kept.len(), MAX_DELIVERIES);
        assert_eq!(kept[0].approval_id, "req_5", "the oldest are dropped");
        assert_eq!(
            kept[MAX_DELIVERIES - 1].approval_id,
            format!("req_{}", MAX_DELIVERIES + 4)
        );
    }

    #[test]
    fn signature_is_lower_case_hex_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
