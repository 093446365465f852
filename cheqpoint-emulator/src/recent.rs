//! A log that keeps only its most recent entries, so that a long-running emulator does not grow
//! without bound from what it records about each call (the call log, callback deliveries).

use std::collections::VecDeque;

/// The last `capacity` entries pushed, oldest first; older ones are dropped.
#[derive(Debug)]
pub(crate) struct Recent<T> {
    entries: VecDeque<T>,
    capacity: usize,
}

impl<T: Clone> Recent<T> {
    /// An empty log that keeps at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Recent {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Appends `entry`, dropping the oldest one when the log is full.
    pub(crate) fn push(&mut self, entry: T) {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// The entries kept, oldest first.
    pub(crate) fn to_vec(&self) -> Vec<T> {
        self.entries.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Recent;

    #[test]
    fn keeps_the_last_entries_only() {
        let mut log = Recent::new(3);
        for n in 0..5 {
            log.push(n);
        }
        assert_eq!(log.to_vec(), [2, 3, 4]);
        log.push(5);
        assert_eq!(log.to_vec(), [3, 4, 5]);
    }

    #[test]
    fn a_zero_capacity_keeps_one() {
        let mut log = Recent::new(0);
        log.push('a');
        log.push('b');
        assert_eq!(log.to_vec(), ['b']);
    }
}
