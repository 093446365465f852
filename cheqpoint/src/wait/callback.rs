//! Decisions the service POSTs to a callback URL, and the check of their signature.

use ring::hmac;
use serde::Deserialize;
use serde_json::Value;

use crate::{Status, response};

/// The header that carries the signature of a callback body.
pub const SIGNATURE_HEADER: &str = "x-cheqpoint-signature";

/// A decision delivered to your callback URL.
///
/// Read one with [`Callback::verify`] when the workspace signs its webhooks, else with
/// [`Callback::parse`] and confirm it with [`Client::get_request`](crate::Client::get_request)
/// before acting on it: an unsigned body proves nothing about who sent it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Callback {
    /// The request id (`approvalId`, or `id`).
    pub approval_id: String,
    /// The decision, read in any letter case.
    pub status: Status,
    /// The reviewer's edited details.
    pub modified_details: Option<Value>,
    /// The details, when the body carries them.
    pub details: Option<Value>,
    /// The reviewer's note.
    pub note: Option<String>,
    /// Read by [`Callback::verify`], not [`Callback::parse`]: only such a callback may wake a wait.
    verified: bool,
}

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// No `x-cheqpoint-signature` header, where one was required.
    #[error("the callback has no x-cheqpoint-signature header")]
    MissingSignature,
    /// The header is not a hex digest (optionally prefixed `sha256=`).
    #[error("the callback's signature is not a hex SHA-256 digest")]
    MalformedSignature,
    /// The signature matches none of the secrets.
    #[error("the callback's signature does not match the webhook secret")]
    SignatureMismatch,
    /// Verification was asked for with no secret to check against.
    #[error("no webhook secret was given to verify the callback with")]
    NoSecret,
    /// One of the secrets is empty: an HMAC keyed with nothing can be made by anyone.
    #[error("a webhook secret is empty, and a signature made with an empty key proves nothing")]
    EmptySecret,
    /// The body is not a callback.
    #[error("the callback body is not a decision: {0}")]
    InvalidBody(String),
    /// The status is none of pending, approved or rejected.
    #[error("the callback has status {0:?}, which is not a decision")]
    UnknownStatus(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallbackWire {
    approval_id: Option<String>,
    id: Option<String>,
    status: Option<String>,
    modified_details: Option<Value>,
    details: Option<Value>,
    decision_note: Option<String>,
    response_notes: Option<String>,
}

impl Callback {
    /// Reads a callback body without checking who sent it.
    pub fn parse(body: &[u8]) -> Result<Callback, CallbackError> {
        let wire: CallbackWire =
            serde_json::from_slice(body).map_err(|e| CallbackError::InvalidBody(e.to_string()))?;
        let approval_id = response::decision_id(wire.approval_id, wire.id)
            .ok_or_else(|| CallbackError::InvalidBody("no `approvalId` or `id`".into()))?;
        let raw_status = wire
            .status
            .ok_or_else(|| CallbackError::InvalidBody("no `status`".into()))?;
        let status = Status::parse(&raw_status).ok_or(CallbackError::UnknownStatus(raw_status))?;
        let modified_details = response::optional_object(wire.modified_details, "modifiedDetails")
            .map_err(CallbackError::InvalidBody)?;
        let details = response::optional_object(wire.details, "details")
            .map_err(CallbackError::InvalidBody)?;
        Ok(Callback {
            approval_id,
            status,
            modified_details,
            details,
            note: wire.decision_note.or(wire.response_notes),
            verified: false,
        })
    }

    /// True when the callback was read by [`Callback::verify`]: its signature matched.
    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// Checks the body's signature against each of `secrets` (several during a rotation), then
    /// reads it.
    ///
    /// ```
    /// use cheqpoint::Callback;
    ///
    /// let body = br#"{"approvalId":"req_1","status":"approved","modifiedDetails":null}"#;
    /// let signature = cheqpoint::sign_callback(body, "whsec_new");
    /// let callback = Callback::verify(body, Some(&signature), &["whsec_old", "whsec_new"])?;
    /// assert!(callback.status == cheqpoint::Status::Approved);
    /// # Ok::<(), cheqpoint::CallbackError>(())
    /// ```
    pub fn verify<S: AsRef<[u8]>>(
        body: &[u8],
        signature: Option<&str>,
        secrets: &[S],
    ) -> Result<Callback, CallbackError> {
        verify_signature(
            body,
            signature.ok_or(CallbackError::MissingSignature)?,
            secrets,
        )?;
        Ok(Callback {
            verified: true,
            ..Callback::parse(body)?
        })
    }
}

/// Checks that `signature` (lower- or upper-case hex, optionally `sha256=`-prefixed) is the
/// HMAC-SHA256 of `body` under one of `secrets`, in constant time.
pub fn verify_signature<S: AsRef<[u8]>>(
    body: &[u8],
    signature: &str,
    secrets: &[S],
) -> Result<(), CallbackError> {
    if secrets.is_empty() {
        return Err(CallbackError::NoSecret);
    }
    if secrets.iter().any(|secret| secret.as_ref().is_empty()) {
        return Err(CallbackError::EmptySecret);
    }
    let hex_digest = signature.trim();
    let hex_digest = hex_digest.strip_prefix("sha256=").unwrap_or(hex_digest);
    let digest = hex::decode(hex_digest).map_err(|_| CallbackError::MalformedSignature)?;
    if digest.len() != 32 {
        return Err(CallbackError::MalformedSignature);
    }
    let matches = |secret: &S| hmac::verify(&key(secret.as_ref()), body, &digest).is_ok();
    // Every secret is tried, so the time taken does not tell which one matched.
    let matched = secrets
        .iter()
        .fold(false, |found, secret| matches(secret) | found);
    if matched {
        Ok(())
    } else {
        Err(CallbackError::SignatureMismatch)
    }
}

/// The lower-case hex HMAC-SHA256 of `body` under `secret`: the value of
/// [`SIGNATURE_HEADER`] a signed callback carries.
pub fn sign_callback(body: &[u8], secret: impl AsRef<[u8]>) -> String {
    hex::encode(hmac::sign(&key(secret.as_ref()), body))
}

fn key(secret: &[u8]) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        br#"{"id":"req_9","status":"APPROVED","details":{"a":1},"decisionNote":"ok"}"#;

    #[test]
    fn reads_upper_case_and_the_id_variant() {
        let callback = Callback::parse(BODY).unwrap();
        assert_eq!(callback.approval_id, "req_9");
        assert_eq!(callback.status, Status::Approved);
        assert_eq!(callback.details, Some(serde_json::json!({"a": 1})));
        assert_eq!(callback.note.as_deref(), Some("ok"));
    }

    #[test]
    fn accepts_a_prefixed_signature_and_any_secret_of_a_rotation() {
        let signature = format!("sha256={}", sign_callback(BODY, "two"));
        assert!(Callback::verify(BODY, Some(&signature), &["one", "two"]).is_ok());
        let upper = sign_callback(BODY, "one").to_uppercase();
        assert!(Callback::verify(BODY, Some(&upper), &["one"]).is_ok());
    }

    #[test]
    fn refuses_each_kind_of_bad_signature() {
        let good = sign_callback(BODY, "s");
        assert_eq!(
            Callback::verify(BODY, None, &["s"]),
            Err(CallbackError::MissingSignature)
        );
        assert_eq!(
            Callback::verify(BODY, Some("zz"), &["s"]),
            Err(CallbackError::MalformedSignature)
        );
        assert_eq!(
            Callback::verify(BODY, Some("abcd"), &["s"]),
            Err(CallbackError::MalformedSignature)
        );
        assert_eq!(
            Callback::verify(BODY, Some(&good), &["other"]),
            Err(CallbackError::SignatureMismatch)
        );
        let tampered =
            br#"{"id":"req_9","status":"APPROVED","details":{"a":2},"decisionNote":"ok"}"#;
        assert_eq!(
            Callback::verify(tampered, Some(&good), &["s"]),
            Err(CallbackError::SignatureMismatch)
        );
        assert_eq!(
            Callback::verify(BODY, Some(&sign_callback(BODY, "")), &["s", ""]),
            Err(CallbackError::EmptySecret)
        );
        let none: [&str; 0] = [];
        assert_eq!(
            Callback::verify(BODY, Some(&good), &none),
            Err(CallbackError::NoSecret)
        );
    }

    #[test]
    fn refuses_bodies_that_are_not_decisions() {
        assert!(matches!(
            Callback::parse(b"{"),
            Err(CallbackError::InvalidBody(_))
        ));
        assert!(matches!(
            Callback::parse(br#"{"status":"approved"}"#),
            Err(CallbackError::InvalidBody(_))
        ));
        assert_eq!(
            Callback::parse(br#"{"id":"r","status":"expired"}"#),
            Err(CallbackError::UnknownStatus("expired".into()))
        );
        assert!(matches!(
            Callback::parse(br#"{"id":"r","status":"approved","modifiedDetails":"x"}"#),
            Err(CallbackError::InvalidBody(_))
        ));
    }
}
