//! Callback delivery: when a request that named a `callbackUrl` (or `webhookUrl`) is decided, the
//! decision is POSTed there from a background task, signed when a webhook secret is set. The last
//! [`MAX_DELIVERIES`] attempts are kept for [`Emulator::callbacks`](crate::Emulator::callbacks)
//! (older ones are dropped, so that a long-running emulator does not grow without bound); a
//! failure is logged, never retried and never fatal.

use std::error::Error as _;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use reqwest::header::CONTENT_TYPE;
use serde_json::json;
use sha2::Sha256;
use tokio::runtime::Handle;

use crate::recent::Recent;
use crate::record::ApprovalRecord;

/// The header that carries the signature.
const SIGNATURE_HEADER: &str = "x-cheqpoint-signature";

/// How many deliveries are kept; the oldest are dropped past this.
pub(crate) const MAX_DELIVERIES: usize = 10_000;

/// How long one delivery may take.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// One attempt to deliver a decision to a callback URL.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CallbackDelivery {
    /// The decided request.
    pub approval_id: String,
    /// Where the decision was POSTed.
    pub url: String,
    /// The JSON body sent: `approvalId`, `id`, `status` (lower case), `modifiedDetails`,
    /// `decisionNote`, `details`.
    pub body: String,
    /// The `x-cheqpoint-signature` header sent: the lower-case hex HMAC-SHA256 of `body` keyed by
    /// the webhook secret; `None` when no secret is set.
    pub signature: Option<String>,
    /// `Ok(status)`: the receiver answered with this HTTP status (2xx or not);
    /// `Err(message)`: no answer (connection refused, timeout, …).
    pub outcome: Result<u16, String>,
}

/// Sends callbacks and remembers the last [`MAX_DELIVERIES`] attempts.
pub(crate) struct Callbacks {
    http: reqwest::Client,
    secret: Option<String>,
    /// Where delivery tasks run, so that a decision made outside the runtime still sends.
    runtime: Handle,
    deliveries: Arc<Mutex<Recent<CallbackDelivery>>>,
}

impl Callbacks {
    pub fn new(secret: Option<String>, runtime: Handle) -> io::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .user_agent(concat!("cheqpoint-emulator/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(io::Error::other)?;
        Ok(Callbacks {
            http,
            secret,
            runtime,
            deliveries: Arc::new(Mutex::new(Recent::new(MAX_DELIVERIES))),
        })
    }

    /// POSTs the decision of `record` to its callback URL, if it has one, without waiting.
    pub fn send(&self, record: &ApprovalRecord) {
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
        self.runtime.spawn(async move {
            let outcome = match request.send().await {
                Ok(response) => Ok(response.status().as_u16()),
                Err(error) => Err(with_causes(&error)),
            };
            match &outcome {
                Ok(status) if (200..300).contains(status) => {
                    tracing::info!(%approval_id, %url, status, "callback delivered");
                }
                Ok(status) => {
                    tracing::warn!(%approval_id, %url, status, "callback refused by the receiver");
                }
                Err(error) => tracing::warn!(%approval_id, %url, %error, "callback failed"),
            }
            kept(&deliveries).push(CallbackDelivery {
                approval_id,
                url,
                body,
                signature,
                outcome,
            });
        });
    }

    /// The last [`MAX_DELIVERIES`] deliveries attempted, in the order they finished.
    pub fn deliveries(&self) -> Vec<CallbackDelivery> {
        kept(&self.deliveries).to_vec()
    }
}

/// The deliveries, also after a panic elsewhere poisoned the lock.
fn kept(deliveries: &Mutex<Recent<CallbackDelivery>>) -> MutexGuard<'_, Recent<CallbackDelivery>> {
    deliveries.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The body POSTed for a decided request (PROTOCOL.md §4).
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
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
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
