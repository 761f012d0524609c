//! A counting global allocator: live heap bytes, their peak since the last reset, and the
//! number of allocations.
//!
//! It lives in this crate because this is the one crate of fivedreg that holds `unsafe` code.
//! Nothing in fivedreg installs it: a measuring program (xtask's benchmark workers, the
//! allocation-free training test) opts in with
//! `#[global_allocator] static A: CountingAllocator = CountingAllocator;`.
//! The peak is what the seed system's `tracemalloc` reported: the most heap that was live at
//! once during a phase, counted from the reset at the phase's start.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting live bytes and their peak.
pub struct CountingAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

/// Counts a new allocation of `bytes` at `ptr` (none when the allocation failed), and
/// returns `ptr`.
fn counted(ptr: *mut u8, bytes: usize) -> *mut u8 {
    if !ptr.is_null() {
        grew(bytes);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
    ptr
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counters only observe sizes and never touch the memory, and they are atomics,
// so they allocate nothing and never unwind.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same layout contract as the caller's, forwarded to the system allocator.
        counted(unsafe { System.alloc(layout) }, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same layout contract as the caller's, forwarded to the system allocator.
        counted(unsafe { System.alloc_zeroed(layout) }, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was returned by this allocator (hence by `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was returned by this allocator with `layout`; the caller guarantees
        // `new_size` is valid for `layout.align()`.
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        new_ptr
    }
}

/// Allocations (and reallocations) made by the process so far, when [`CountingAllocator`] is
/// the global allocator (0 otherwise).
pub fn total_allocations() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Heap use observed over one phase.
#[derive(Debug, Clone, Copy)]
pub struct HeapMark {
    live_at_start: usize,
    allocations_at_start: usize,
}

impl HeapMark {
    /// Starts a phase: the peak is reset to what is live now.
    pub fn start() -> HeapMark {
        let live = LIVE.load(Ordering::Relaxed);
        PEAK.store(live, Ordering::Relaxed);
        HeapMark {
            live_at_start: live,
            allocations_at_start: ALLOCATIONS.load(Ordering::Relaxed),
        }
    }

    /// The most heap bytes live at once since [`HeapMark::start`], above what was live then.
    pub fn peak_above_start(&self) -> usize {
        PEAK.load(Ordering::Relaxed)
            .saturating_sub(self.live_at_start)
    }

    /// Allocations (and reallocations) made since [`HeapMark::start`].
    pub fn allocations(&self) -> usize {
        ALLOCATIONS
            .load(Ordering::Relaxed)
            .saturating_sub(self.allocations_at_start)
    }
}
