//! Percentiles and the small formatting helpers of the table.

use std::time::Duration;

/// Latencies, sorted, for percentiles.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    sorted: Vec<Duration>,
}

impl Sample {
    pub fn new(mut values: Vec<Duration>) -> Sample {
        values.sort_unstable();
        Sample { sorted: values }
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// The nearest-rank percentile `p` (0–100); `None` for an empty sample.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        if self.sorted.is_empty() {
            return None;
        }
        let rank = (p / 100.0 * self.sorted.len() as f64).ceil() as usize;
        Some(self.sorted[rank.clamp(1, self.sorted.len()) - 1])
    }

    pub fn p50(&self) -> Option<Duration> {
        self.percentile(50.0)
    }

    pub fn p99(&self) -> Option<Duration> {
        self.percentile(99.0)
    }

    pub fn max(&self) -> Option<Duration> {
        self.sorted.last().copied()
    }
}

/// A latency for the table: µs below 1 ms, ms below 10 s, else s.
pub fn duration(value: Option<Duration>) -> String {
    let Some(value) = value else {
        return "–".into();
    };
    let micros = value.as_secs_f64() * 1e6;
    if micros < 1_000.0 {
        format!("{micros:.0} µs")
    } else if micros < 10_000_000.0 {
        format!("{:.1} ms", micros / 1_000.0)
    } else {
        format!("{:.1} s", micros / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sample = Sample::new((1..=100).rev().map(Duration::from_millis).collect());
        assert_eq!(sample.p50(), Some(Duration::from_millis(50)));
        assert_eq!(sample.p99(), Some(Duration::from_millis(99)));
        assert_eq!(sample.max(), Some(Duration::from_millis(100)));
        assert_eq!(sample.percentile(0.0), Some(Duration::from_millis(1)));
        assert_eq!(Sample::default().p50(), None);
        let one = Sample::new(vec![Duration::from_millis(7)]);
        assert_eq!(one.p99(), Some(Duration::from_millis(7)));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(Some(Duration::from_micros(420))), "420 µs");
        assert_eq!(duration(Some(Duration::from_micros(1_530))), "1.5 ms");
        assert_eq!(duration(Some(Duration::from_secs(12))), "12.0 s");
        assert_eq!(duration(None), "–");
    }
}
