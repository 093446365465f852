//! How often a wait reads the request's status.

use std::time::Duration;

/// The pace of status reads while a request is pending.
///
/// The first read happens at once (workspace rules decide at creation). After it, the gap starts
/// at `first` and grows by `factor` after each read up to `max`, and to `late_max` once the wait
/// is `late_after` old, each gap varied by ±10 % so that many waits started together do not read
/// in step. The default, 250 ms growing ×1.5 to 3 s and 3.5 s after the first minute, reads at
/// about 0, 0.25, 0.6, 1.2, 2.0, 3.3, 5.2 and 8 s, then every 3 s, then every 3.5 s: decisions of
/// the first minute are seen sooner than by the official client's fixed 3 s (no gap longer than
/// its, but for the jitter), and a wait that runs its whole 5 minutes costs about 94 reads, fewer
/// than its 100.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    first: Duration,
    factor: f64,
    max: Duration,
    late_after: Duration,
    late_max: Duration,
}

/// When the default policy's gaps grow past the official client's 3 s, and to what.
const LATE_AFTER: Duration = Duration::from_secs(60);
const LATE_MAX: Duration = Duration::from_millis(3500);

/// The push safety net's pace ([`PollPolicy::push_safety_net`]), one for every wait to read.
const SAFETY_NET: PollPolicy = PollPolicy {
    first: Duration::from_secs(15),
    factor: 2.0,
    max: Duration::from_secs(60),
    late_after: Duration::MAX,
    late_max: Duration::from_secs(60),
};

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            late_after: LATE_AFTER,
            late_max: LATE_MAX,
            ..PollPolicy::backoff(Duration::from_millis(250), Duration::from_secs(3))
        }
    }
}

impl PollPolicy {
    /// Gaps growing ×1.5 from `first` up to `max`.
    pub fn backoff(first: Duration, max: Duration) -> Self {
        PollPolicy {
            first: first.min(max),
            factor: 1.5,
            max,
            late_after: Duration::MAX,
            late_max: max,
        }
    }

    /// The pace of a wait that expects its decision by callback: the first read after 15 s, then
    /// gaps doubling to a minute. A callback cuts any gap short. A push client keeps to it only
    /// while callbacks are seen to reach it (a verified callback came, and no decision since was
    /// found without one); otherwise its waits poll on their usual schedule.
    pub fn push_safety_net() -> Self {
        SAFETY_NET
    }

    /// The same gap every time.
    pub fn fixed(interval: Duration) -> Self {
        PollPolicy {
            first: interval,
            factor: 1.0,
            max: interval,
            late_after: Duration::MAX,
            late_max: interval,
        }
    }

    /// True when a gap could be zero, which would read without pause.
    pub(crate) fn is_zero(self) -> bool {
        self.first.is_zero()
    }

    /// The gaps between reads, without end. Saturates instead of overflowing, whatever the
    /// durations (`PollPolicy::fixed(Duration::MAX)` waits as long as it can).
    pub(crate) fn gaps(&self) -> Gaps<'_> {
        Gaps {
            policy: self,
            next: self.first,
            elapsed: Duration::ZERO,
        }
    }
}

/// The gaps of one [`PollPolicy`], each varied by ±10 %. It reads the policy where it is (the
/// client's settings) rather than holding a copy: every pending wait holds two of these.
pub(crate) struct Gaps<'a> {
    policy: &'a PollPolicy,
    next: Duration,
    /// The sum of the gaps given so far, unvaried.
    elapsed: Duration,
}

impl Gaps<'_> {
    /// The next gap.
    pub(crate) fn next_gap(&mut self) -> Duration {
        let gap = self.next;
        self.elapsed = self.elapsed.saturating_add(gap);
        let max = if self.elapsed >= self.policy.late_after {
            self.policy.late_max
        } else {
            self.policy.max
        };
        self.next = scaled(gap, self.policy.factor).min(max);
        scaled(gap, 0.9 + 0.2 * fastrand::f64())
    }
}

/// The gaps of one wait: its client's polling schedule, or the push safety net while callbacks
/// are trusted. Each keeps its own place, so a wait that goes back to polling resumes it where
/// it left it.
pub(crate) struct Schedule<'a> {
    polling: Gaps<'a>,
    safety_net: Gaps<'static>,
}

impl<'a> Schedule<'a> {
    pub(super) fn new(polling: &'a PollPolicy) -> Schedule<'a> {
        Schedule {
            polling: polling.gaps(),
            safety_net: SAFETY_NET.gaps(),
        }
    }

    /// The next gap: the safety net's when `trusting` callbacks, else the polling schedule's.
    pub(super) fn next_gap(&mut self, trusting: bool) -> Duration {
        if trusting {
            self.safety_net.next_gap()
        } else {
            self.polling.next_gap()
        }
    }
}

/// `duration × factor`, saturating at `Duration::MAX`.
fn scaled(duration: Duration, factor: f64) -> Duration {
    Duration::try_from_secs_f64(duration.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_gaps_grow_to_three_seconds_and_stay_there() {
        let policy = PollPolicy::default();
        let mut gaps = policy.gaps();
        let gaps: Vec<Duration> = (0..12).map(|_| gaps.next_gap()).collect();
        assert!(gaps[0] >= Duration::from_millis(225) && gaps[0] <= Duration::from_millis(275));
        assert!(gaps[3] > gaps[1]);
        for gap in &gaps[8..] {
            assert!(*gap >= Duration::from_millis(2700) && *gap <= Duration::from_millis(3300));
        }
    }

    #[test]
    fn huge_gaps_saturate_instead_of_panicking() {
        for policy in [
            PollPolicy::fixed(Duration::MAX),
            PollPolicy::backoff(Duration::from_secs(1), Duration::MAX),
        ] {
            let mut gaps = policy.gaps();
            assert!((0..200).all(|_| gaps.next_gap() > Duration::ZERO));
        }
    }

    /// The official client reads at 0, 3, … 297 s: 100 reads. The default reads at 0, before
    /// the deadline, and once more at it; the most over many draws of the jitter.
    #[test]
    fn five_minutes_cost_fewer_reads_than_fixed_three_seconds() {
        let most = (0..500)
            .map(|_| {
                let mut elapsed = Duration::ZERO;
                let mut reads = 2;
                let policy = PollPolicy::default();
                let mut gaps = policy.gaps();
                loop {
                    elapsed += gaps.next_gap();
                    if elapsed >= Duration::from_secs(300) {
                        break reads;
                    }
                    reads += 1;
                }
            })
            .max();
        assert!(most < Some(100), "{most:?} reads");
    }

    #[test]
    fn default_gaps_grow_to_three_and_a_half_seconds_after_a_minute() {
        let policy = PollPolicy::default();
        let mut gaps = policy.gaps();
        let mut elapsed = Duration::ZERO;
        while elapsed < Duration::from_secs(58) {
            let gap = gaps.next_gap();
            assert!(gap <= Duration::from_millis(3300), "{gap:?} at {elapsed:?}");
            elapsed += gap;
        }
        // Past the minute by the unvaried gaps too (the jitter may have put them 10 % behind).
        for _ in 0..4 {
            gaps.next_gap();
        }
        for gap in (0..20).map(|_| gaps.next_gap()) {
            assert!(gap >= Duration::from_millis(3150) && gap <= Duration::from_millis(3850));
        }
    }
}
