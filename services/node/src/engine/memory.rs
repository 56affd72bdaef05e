//! How much memory the node has allocated, for `maxmemory` and INFO's `used_memory`.
//!
//! Like Redis's zmalloc, every allocation is counted as it happens, so eviction sees the real
//! figure rather than an estimate. The binary installs [`Counting`] around mimalloc as its
//! global allocator; where it is not installed (unit tests), the count stays at zero.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

/// Bytes currently allocated through the global allocator.
pub fn used() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

/// A global allocator that counts the bytes its inner allocator hands out.
pub struct Counting<A>(pub A);

// SAFETY: every method forwards to the inner allocator with the caller's own arguments and
// returns its result unchanged; the counter is only arithmetic on the side.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = self.0.alloc(layout);
        if !ptr.is_null() {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = self.0.alloc_zeroed(layout);
        if !ptr.is_null() {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.0.dealloc(ptr, layout);
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_ptr = self.0.realloc(ptr, layout, new_size);
        if !new_ptr.is_null() {
            ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
            ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        new_ptr
    }
}

/// The resident set size of this process, from /proc (0 where it cannot be read).
pub fn rss() -> usize {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}
