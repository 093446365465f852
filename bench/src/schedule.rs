//! Requests per wait, from the two clients' poll schedules rather than from a 5-minute run.
//!
//! This crate's schedule is read from `PollPolicy::default()` itself (its `Debug` form: the gap
//! after the first read, the factor, the longest gap), and played with the ±10 % jitter its docs
//! describe; the official client's is its code: a read at once, then one every 3 s while before
//! its deadline.

use std::time::Duration;

use cheqpoint::PollPolicy;

/// The default policy's numbers: first gap, growth factor, longest gap, and the longest gap
/// once the wait is `late_after` old.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub first: Duration,
    pub factor: f64,
    pub max: Duration,
    pub late_after: Duration,
    pub late_max: Duration,
}

/// The official client's fixed gap.
pub const PYTHON_GAP: Duration = Duration::from_secs(3);

impl Schedule {
    /// The numbers of `PollPolicy::default()`, read from its `Debug` form.
    pub fn of_default() -> Option<Schedule> {
        Schedule::parse(&format!("{:?}", PollPolicy::default()))
    }

    fn parse(debug: &str) -> Option<Schedule> {
        let field = |name: &str| {
            let start = debug.find(&format!("{name}: "))? + name.len() + 2;
            let rest = &debug[start..];
            let end = rest.find([',', ' ', '}']).unwrap_or(rest.len());
            Some(rest[..end].to_owned())
        };
        Some(Schedule {
            first: parse_duration(&field("first")?)?,
            factor: field("factor")?.parse().ok()?,
            max: parse_duration(&field("max")?)?,
            late_after: parse_duration(&field("late_after")?)?,
            late_max: parse_duration(&field("late_max")?)?,
        })
    }

    /// The times of the reads after the first (which is at 0), with each gap scaled by
    /// `jitter()` (1.0 for none).
    fn read_times(self, mut jitter: impl FnMut() -> f64) -> impl Iterator<Item = f64> {
        let mut gap = self.first.as_secs_f64();
        let (mut at, mut unvaried) = (0.0, 0.0);
        std::iter::from_fn(move || {
            at += gap * jitter();
            unvaried += gap;
            let max = if unvaried >= self.late_after.as_secs_f64() {
                self.late_max
            } else {
                self.max
            };
            gap = (gap * self.factor).min(max.as_secs_f64());
            Some(at)
        })
    }

    /// How long after a decision `age` into the wait the schedule reads it: the wait between the
    /// decision and the first read at or after it, with ±10 % jitter drawn from `rng`.
    pub fn delay_after(self, age: f64, rng: &mut fastrand::Rng) -> f64 {
        if age <= 0.0 {
            return 0.0;
        }
        let read = self
            .read_times(|| 0.9 + 0.2 * rng.f64())
            .find(|at| *at >= age)
            .expect("the reads never end");
        read - age
    }

    /// Requests (the create and every read) of a wait decided `decided_at` after it started, or
    /// that ran to its `timeout` when `decided_at` is `None`.
    pub fn requests(
        self,
        decided_at: Option<f64>,
        timeout: f64,
        jitter: impl FnMut() -> f64,
    ) -> u32 {
        let end = decided_at.unwrap_or(timeout).min(timeout);
        if end <= 0.0 {
            return 2;
        }
        // A read at 0, then each read before the end; then the read that sees the decision, or
        // the last read, made at the deadline.
        let before = self.read_times(jitter).take_while(|at| *at < end).count() as u32;
        1 + 1 + before + 1
    }

    /// The mean of [`requests`](Self::requests) over `runs` runs with ±10 % jitter.
    pub fn mean_requests(self, decided_at: Option<f64>, timeout: f64, runs: u32, seed: u64) -> f64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let total: u64 = (0..runs)
            .map(|_| u64::from(self.requests(decided_at, timeout, || 0.9 + 0.2 * rng.f64())))
            .sum();
        total as f64 / f64::from(runs)
    }
}

/// The official client's requests for the same wait: the create, a read at once, then one every
/// 3 s while before its deadline (`while time.monotonic() < deadline`); when decided, its reads
/// end with the first at or after the decision.
pub fn python_requests(decided_at: Option<f64>, timeout: f64) -> u32 {
    let gap = PYTHON_GAP.as_secs_f64();
    let reads = match decided_at {
        Some(at) if at < timeout => (at / gap).ceil() as u32 + 1,
        _ => (timeout / gap).ceil() as u32,
    };
    1 + reads
}

/// The same for the official client: its next read, on its 3 s beat.
pub fn python_delay_after(age: f64) -> f64 {
    let gap = PYTHON_GAP.as_secs_f64();
    (age / gap).ceil() * gap - age
}

/// `250ms`, `3s`, `1.5s`, `400µs` as `Debug` prints a `Duration`.
fn parse_duration(text: &str) -> Option<Duration> {
    let units = [
        ("ns", 1e-9),
        ("µs", 1e-6),
        ("us", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
    ];
    let (number, scale) = units
        .iter()
        .find_map(|(unit, scale)| Some((text.strip_suffix(unit)?, *scale)))?;
    let value: f64 = number.parse().ok()?;
    Some(Duration::from_secs_f64(value * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_default_policy() {
        let schedule = Schedule::of_default().expect("PollPolicy's Debug form changed");
        assert_eq!(
            schedule,
            Schedule {
                first: Duration::from_millis(250),
                factor: 1.5,
                max: Duration::from_secs(3),
                late_after: Duration::from_secs(60),
                late_max: Duration::from_millis(3500),
            }
        );
    }

    #[test]
    fn python_reads_every_three_seconds() {
        // Reads at 0, 3, …, 297 s: 100 reads and the create.
        assert_eq!(python_requests(None, 300.0), 101);
        // Decided at 4 s: reads at 0, 3, 6.
        assert_eq!(python_requests(Some(4.0), 300.0), 4);
        assert_eq!(python_requests(Some(0.0), 300.0), 2);
    }

    #[test]
    fn counts_reads_of_the_growing_schedule() {
        let schedule = Schedule {
            first: Duration::from_secs(1),
            factor: 2.0,
            max: Duration::from_secs(4),
            late_after: Duration::from_secs(8),
            late_max: Duration::from_secs(5),
        };
        // Reads at 0, 1, 3, 7, 11, 16: decided at 5 s, the read at 7 sees it.
        assert_eq!(schedule.requests(Some(5.0), 300.0, || 1.0), 1 + 4);
        // Times out at 10 s: reads at 0, 1, 3, 7 and at the deadline.
        assert_eq!(schedule.requests(None, 10.0, || 1.0), 1 + 5);
        // Past 8 s the gaps grow to 5 s: decided at 12 s, the read at 16 sees it.
        assert_eq!(schedule.requests(Some(12.0), 300.0, || 1.0), 1 + 6);
    }
}
