//! One clock for two processes: `CLOCK_MONOTONIC`, read with `clock_gettime`.
//!
//! The decider (in the bench process, beside the emulator) stamps the moment `approve` returns;
//! the agent (a separate process, Rust or Python) stamps the first line of the gated body. Those
//! two stamps are compared, so both must come from the same system-wide clock. Rust's `Instant`
//! is opaque and Python's `time.monotonic()` is not specified to be any particular clock, so
//! neither is used for that: Rust calls `clock_gettime(CLOCK_MONOTONIC)` through `libc`, Python
//! calls `time.clock_gettime_ns(time.CLOCK_MONOTONIC)`, and both print nanoseconds. On Linux
//! this clock is shared by every process on the machine (it counts from boot, not from process
//! start), which is what makes the difference of two stamps from two processes meaningful.

/// Nanoseconds on `CLOCK_MONOTONIC`.
pub fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec, and CLOCK_MONOTONIC always exists on Linux.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_MONOTONIC) failed");
    let seconds = u64::try_from(now.tv_sec).expect("the monotonic clock is never negative");
    let nanos = u64::try_from(now.tv_nsec).expect("the monotonic clock is never negative");
    seconds * 1_000_000_000 + nanos
}

/// Turns wall-clock moments (the emulator's logs stamp `SystemTime`) into `CLOCK_MONOTONIC`
/// nanoseconds, by the two clocks' difference read once when made: right within a run, since
/// the wall clock is only slewed, never stepped, on a machine whose time is kept.
#[derive(Debug, Clone, Copy)]
pub struct WallToMonotonic {
    /// Wall-clock nanoseconds since the Unix epoch minus monotonic nanoseconds.
    offset: i128,
}

impl WallToMonotonic {
    pub fn now() -> WallToMonotonic {
        let monotonic = i128::from(monotonic_ns());
        WallToMonotonic {
            offset: unix_ns(std::time::SystemTime::now()) - monotonic,
        }
    }

    /// `at` on `CLOCK_MONOTONIC`, in nanoseconds (0 before boot).
    pub fn monotonic_ns(self, at: std::time::SystemTime) -> u64 {
        u64::try_from(unix_ns(at) - self.offset).unwrap_or(0)
    }
}

fn unix_ns(at: std::time::SystemTime) -> i128 {
    match at.duration_since(std::time::UNIX_EPOCH) {
        Ok(since) => since.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

#[cfg(test)]
mod tests {
    use super::{WallToMonotonic, monotonic_ns};

    #[test]
    fn wall_clock_moments_map_onto_the_monotonic_clock() {
        let clocks = WallToMonotonic::now();
        let (wall, monotonic) = (std::time::SystemTime::now(), monotonic_ns());
        let mapped = clocks.monotonic_ns(wall);
        assert!(
            mapped.abs_diff(monotonic) < 2_000_000,
            "{mapped} against {monotonic}"
        );
    }

    #[test]
    fn advances_with_std_instant() {
        let (a, started) = (monotonic_ns(), std::time::Instant::now());
        std::thread::sleep(std::time::Duration::from_millis(5));
        let (b, elapsed) = (monotonic_ns(), started.elapsed());
        assert!(b > a);
        // Same clock underneath on Linux: the two measures of one sleep agree closely.
        let diff = (b - a).abs_diff(u64::try_from(elapsed.as_nanos()).unwrap());
        assert!(diff < 2_000_000, "{diff} ns apart");
    }
}
