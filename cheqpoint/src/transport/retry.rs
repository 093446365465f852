//! The whole retry policy: which failures may be retried, which creates may be sent again, how
//! long to pause between attempts, and the server's `Retry-After`.
//!
//! - A **create** is sent again only when the service cannot have seen it ([`may_resend_create`]):
//!   the connection was refused, or it answered 429. Every attempt of one call carries the same
//!   `Idempotency-Key`.
//! - A **status read** is idempotent: it rides out whatever may pass, and stops on what will not
//!   ([`may_retry_read`]).
//! - Pauses grow exponentially with jitter ([`Backoff`]) and are never shorter than the server's
//!   `Retry-After` ([`parse_retry_after`]).

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

/// How far a failed request got, which decides whether sending it again is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// The connection was never made: the server cannot have seen the request.
    NotSent,
    /// 429: the service says it did not process the request.
    NotProcessed,
    /// Anything else that may pass (a reset, a 502, a 503, a read timeout); the server may have
    /// acted. (A 503 is not taken for "not processed": proxies answer it after forwarding.)
    Transient,
    /// Retrying will not help (4xx, an unreadable 2xx body).
    Permanent,
}

/// The kind of a non-2xx answer.
pub(crate) fn kind_of_status(status: StatusCode) -> FailureKind {
    match status {
        StatusCode::TOO_MANY_REQUESTS => FailureKind::NotProcessed,
        s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => FailureKind::Transient,
        _ => FailureKind::Permanent,
    }
}

/// The kind of a request that got no answer: not sent when no connection was made.
pub(crate) fn kind_of_transport(error: &reqwest::Error) -> FailureKind {
    if error.is_connect() {
        FailureKind::NotSent
    } else {
        FailureKind::Transient
    }
}

/// True when a create that failed this way may be sent again: the service cannot have seen it.
pub(crate) fn may_resend_create(kind: FailureKind) -> bool {
    matches!(kind, FailureKind::NotSent | FailureKind::NotProcessed)
}

/// True when a status read that failed this way may be tried again.
pub(crate) fn may_retry_read(kind: FailureKind) -> bool {
    kind != FailureKind::Permanent
}

/// Exponential backoff with "equal" jitter: attempt `n` (from 0) waits between half of and the
/// whole of `base × 2ⁿ`, capped at `max`; a server's `Retry-After` takes precedence when it is
/// longer. Half of each pause is random, so that clients failed together do not retry in step;
/// half is not, so that a few attempts always span some time (full jitter can spend every
/// attempt within milliseconds of a refusal, while a server restarts).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Backoff {
    pub base: Duration,
    pub max: Duration,
}
impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(200),
            max: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// How long to wait before attempt `attempt + 1`.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX))
            .min(self.max);
        let jittered = ceiling.mul_f64(0.5 + 0.5 * fastrand::f64());
        retry_after.map_or(jittered, |server| server.max(jittered))
    }
}

/// Reads `Retry-After` as seconds or as an HTTP-date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        let later = SystemTime::now() + Duration::from_secs(30);
        let parsed = parse_retry_after(&httpdate::fmt_http_date(later)).unwrap();
        assert!(parsed > Duration::from_secs(28) && parsed <= Duration::from_secs(30));
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60));
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("1.5"), None);
        assert_eq!(parse_retry_after("99999999999999999999999"), None);
        assert_eq!(
            parse_retry_after(&u64::MAX.to_string()),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn delays_grow_stay_under_the_cap_and_honour_the_server() {
        let backoff = Backoff::default();
        for attempt in 0..40 {
            let delay = backoff.delay(attempt, None);
            let ceiling = (backoff.base * 2u32.pow(attempt.min(16))).min(backoff.max);
            assert!(delay <= ceiling, "attempt {attempt}: {delay:?}");
            assert!(delay >= ceiling / 2, "attempt {attempt}: {delay:?}");
        }
        assert!(backoff.delay(0, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
    }
}
