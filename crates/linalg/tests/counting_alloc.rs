//! The counting allocator, installed as this test binary's global allocator, sees what is
//! allocated and freed within a phase.

use fivedreg_linalg::counting_alloc::{total_allocations, CountingAllocator, HeapMark};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn peak_counts_a_large_allocation_made_and_freed_within_the_phase() {
    let mark = HeapMark::start();
    let before = total_allocations();
    let block = vec![7u8; 3 << 20];
    std::hint::black_box(&block);
    drop(block);
    let peak = mark.peak_above_start();
    // Other test threads may allocate too, so only lower bounds are exact.
    assert!(peak >= 3 << 20, "peak {peak}");
    assert!(mark.allocations() >= 1);
    assert!(total_allocations() > before);
}
