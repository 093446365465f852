//! The service's per-agent rules (docs/protocol.md §6), as switches: rate limits
//! (at most N requests from one agent in a window of time) and loop protection (the same request
//! from the same agent again within a window). A request that breaks one is stored and answered as
//! a `REJECTED` record decided by the system (`autoDecided`, `retryable`, reason code
//! `rate_limited` or `loop_detected`), as the service does; neither is on by default.
//!
//! An agent is its `agentName`, else its API key. Each agent's history keeps only what the
//! longest window can still see.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::record::{Decision, Status};

/// The configured limits, and what each agent sent recently.
#[derive(Default)]
pub(crate) struct Limits {
    /// At most `.0` requests in any `.1`.
    rates: Vec<(u32, Duration)>,
    /// Identical requests closer than this are a loop.
    loop_window: Option<Duration>,
    history: Mutex<HashMap<String, VecDeque<Sent>>>,
}

/// One request an agent sent.
struct Sent {
    at: Instant,
    /// A hash of its action and details.
    fingerprint: u64,
}

impl Limits {
    /// Limits with these rate windows and loop window.
    pub(crate) fn new(rates: Vec<(u32, Duration)>, loop_window: Option<Duration>) -> Limits {
        Limits {
            rates,
            loop_window,
            history: Mutex::default(),
        }
    }

    /// Counts a request from `agent` sent at `now` and returns the system's rejection when it
    /// breaks a limit.
    pub(crate) fn check(
        &self,
        agent: &str,
        action: &str,
        details: &Value,
        now: Instant,
    ) -> Option<Decision> {
        let longest = self
            .rates
            .iter()
            .map(|&(_, per)| per)
            .chain(self.loop_window)
            .max()?;
        let fingerprint = fingerprint(action, details);
        let mut history = self.lock();
        let sent = history.entry(agent.to_owned()).or_default();
        while sent
            .front()
            .is_some_and(|oldest| now.duration_since(oldest.at) >= longest)
        {
            sent.pop_front();
        }
        let within = |window: Duration| {
            sent.iter()
                .rev()
                .take_while(move |earlier| now.duration_since(earlier.at) < window)
        };
        let verdict = if let Some(window) = self
            .loop_window
            .filter(|&window| within(window).any(|earlier| earlier.fingerprint == fingerprint))
        {
            Some(rejection(
                "loop_detected",
                format!("loop protection: the same request within {}", human(window)),
                format!(
                    "rejected by loop protection: this agent sent the same request less than {} ago",
                    human(window)
                ),
            ))
        } else if let Some(&(count, per)) = self
            .rates
            .iter()
            .find(|&&(count, per)| within(per).count() >= count as usize)
        {
            Some(rejection(
                "rate_limited",
                format!("rate limit: {count} per {}", human(per)),
                format!(
                    "rejected by the rate limit: this agent sent {count} requests in the last {}",
                    human(per)
                ),
            ))
        } else {
            None
        };
        sent.push_back(Sent {
            at: now,
            fingerprint,
        });
        verdict
    }

    /// Forgets what every agent sent, as a restart does.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, VecDeque<Sent>>> {
        self.history.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn rejection(reason_code: &str, rule_name: String, note: String) -> Decision {
    Decision {
        reason_code: Some(reason_code.to_owned()),
        rule_name: Some(rule_name),
        retryable: true,
        ..Decision::new(Status::Rejected, None, Some(note))
    }
}

fn fingerprint(action: &str, details: &Value) -> u64 {
    let mut hasher = DefaultHasher::new();
    action.hash(&mut hasher);
    details.to_string().hash(&mut hasher);
    hasher.finish()
}

fn human(duration: Duration) -> humantime::FormattedDuration {
    humantime::format_duration(duration)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reason(decision: Option<Decision>) -> Option<String> {
        decision.and_then(|decision| decision.reason_code)
    }

    /// Checks a request from `agent` with these details, sent now.
    fn check(limits: &Limits, agent: &str, action: &str, details: Value) -> Option<Decision> {
        limits.check(agent, action, &details, Instant::now())
    }

    #[test]
    fn nothing_is_limited_by_default() {
        let limits = Limits::default();
        for _ in 0..100 {
            assert!(check(&limits, "a", "send", json!({})).is_none());
        }
    }

    #[test]
    fn the_rate_counts_per_agent() {
        let limits = Limits::new(vec![(2, Duration::from_secs(3600))], None);
        for n in 0..2 {
            assert_eq!(reason(check(&limits, "a", "send", json!({"n": n}))), None);
        }
        assert_eq!(
            reason(check(&limits, "a", "send", json!({"n": 2}))).as_deref(),
            Some("rate_limited")
        );
        assert_eq!(reason(check(&limits, "b", "send", json!({"n": 0}))), None);
    }

    #[test]
    fn the_same_request_again_is_a_loop_another_is_not() {
        let limits = Limits::new(Vec::new(), Some(Duration::from_secs(60)));
        assert_eq!(
            reason(check(&limits, "a", "send", json!({"to": "x"}))),
            None
        );
        assert_eq!(
            reason(check(&limits, "a", "send", json!({"to": "y"}))),
            None
        );
        assert_eq!(
            reason(check(&limits, "a", "refund", json!({"to": "x"}))),
            None
        );
        let again = check(&limits, "a", "send", json!({"to": "x"})).unwrap();
        assert_eq!(again.reason_code.as_deref(), Some("loop_detected"));
        assert!(again.retryable && again.rule_name.is_some());
        assert_eq!(
            reason(check(&limits, "b", "send", json!({"to": "x"}))),
            None
        );
    }

    #[test]
    fn windows_slide() {
        let minute = Duration::from_secs(60);
        let limits = Limits::new(vec![(1, minute)], Some(minute));
        let start = Instant::now();
        let details = json!({});
        assert!(limits.check("a", "send", &details, start).is_none());
        assert!(
            limits
                .check("a", "send", &details, start + minute / 2)
                .is_some()
        );
        assert!(
            limits
                .check("a", "send", &details, start + minute * 2)
                .is_none(),
            "both earlier requests are out of the window"
        );
    }
}
