//! When to ask again: the backoff between attempts and the server's `Retry-After`.

use std::time::{Duration, SystemTime};

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
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
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
