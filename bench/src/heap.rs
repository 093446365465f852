//! The heap an agent holds: a global allocator that counts the bytes and blocks live, so that an
//! agent can say how much its pending waits hold. A count of allocated bytes is exact and the
//! same from run to run, where RSS moves with the allocator's arenas and the kernel's pages.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The heap a pending wait may hold, over the process's own, following the figure down (5 KiB
/// until the waits held 3,360 B polling and 3,653 B with push, 3,840 B until they held 2,884 B
/// and 3,178 B): 10,000 waits in about 50 MB of RSS needs the allocator's overhead and the
/// process's base on top of it to fit too.
pub const TARGET_BYTES_PER_WAIT: usize = 3300;

/// The system allocator, counting what is live.
pub struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static LIVE_BLOCKS: AtomicUsize = AtomicUsize::new(0);
/// The most bytes live at once so far: RSS follows it, since freed memory mostly stays mapped.
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Counts `size` more bytes live, and the peak.
fn grow(size: usize) {
    let live = LIVE_BYTES.fetch_add(size, Ordering::Relaxed) + size;
    PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is passed to the system allocator unchanged; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let block = unsafe { System.alloc(layout) };
        if !block.is_null() {
            grow(layout.size());
            LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let block = unsafe { System.alloc_zeroed(layout) };
        if !block.is_null() {
            grow(layout.size());
            LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(block, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        LIVE_BLOCKS.fetch_sub(1, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let moved = unsafe { System.realloc(block, layout, new_size) };
        if !moved.is_null() {
            grow(new_size);
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        moved
    }
}

/// What is allocated and not yet freed, now, and the most bytes ever live at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Live {
    pub bytes: usize,
    pub blocks: usize,
    pub peak_bytes: usize,
}

/// What each of a number of things holds over a base.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PerThing {
    pub bytes: f64,
    pub blocks: f64,
    /// The peak over the base's bytes, per thing.
    pub peak_bytes: f64,
}

impl Live {
    pub fn now() -> Live {
        Live {
            bytes: LIVE_BYTES.load(Ordering::Relaxed),
            blocks: LIVE_BLOCKS.load(Ordering::Relaxed),
            peak_bytes: PEAK_BYTES.load(Ordering::Relaxed),
        }
    }

    /// What `self` holds more than `base`, per one of `count` things.
    pub fn per(self, base: Live, count: u32) -> PerThing {
        let count = f64::from(count.max(1));
        let over = |now: usize, then: usize| (now as f64 - then as f64) / count;
        PerThing {
            bytes: over(self.bytes, base.bytes),
            blocks: over(self.blocks, base.blocks),
            peak_bytes: over(self.peak_bytes, base.bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_allocation_counts_until_it_is_freed() {
        // Other tests run on other threads: compare with a margin far below the block's size.
        let before = Live::now();
        let block = vec![0_u8; 1 << 20];
        let held = Live::now();
        assert!(
            held.bytes >= before.bytes + (1 << 20) - (64 << 10),
            "{before:?} → {held:?}"
        );
        assert!(held.peak_bytes >= held.bytes);
        drop(std::hint::black_box(block));
        assert!(Live::now().bytes + (1 << 20) - (64 << 10) <= held.bytes);
    }
}
