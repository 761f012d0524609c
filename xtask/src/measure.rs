//! Timing and memory of one phase of a measurement (in a bench worker process).

use crate::alloc_counter::HeapMark;
use crate::machine;
use crate::model::Memory;
use anyhow::Result;
use std::time::Instant;

/// Runs `f`, returning its value and wall-clock seconds.
pub fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, f64)> {
    let start = Instant::now();
    let value = f()?;
    Ok((value, start.elapsed().as_secs_f64()))
}

/// Runs `f` as one measured phase: resets the heap peak and the RSS high-water mark, then
/// returns its value, wall-clock seconds and memory.
pub fn measure<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, f64, Memory)> {
    let rss_reset = machine::reset_peak_rss();
    let mark = HeapMark::start();
    let (value, seconds) = timed(f)?;
    let memory = Memory {
        heap_peak_bytes: mark.peak_above_start() as u64,
        heap_allocations: mark.allocations() as u64,
        rss_peak_kib: machine::peak_rss_kib().unwrap_or(0),
        rss_reset,
    };
    Ok((value, seconds, memory))
}
