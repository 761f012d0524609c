//! A criterion measurement of the calling thread's CPU time (Linux: the first field of
//! `/proc/thread-self/schedstat`, in nanoseconds), for single-threaded benches on a shared
//! machine: time spent waiting for a core is not counted. The kernel refreshes the figure at
//! every scheduler tick and context switch, so each sample (≥ 100 ms here) is good to a few
//! percent. Where the file is missing it falls back to wall-clock time.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use std::time::Instant;

/// Thread CPU time in nanoseconds, formatted like wall time.
pub struct ThreadCpuTime {
    wall: WallTime,
    origin: Instant,
}

impl ThreadCpuTime {
    pub fn new() -> Self {
        ThreadCpuTime {
            wall: WallTime,
            origin: Instant::now(),
        }
    }

    fn now_ns(&self) -> f64 {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| {
                s.split_whitespace()
                    .next()
                    .and_then(|t| t.parse::<f64>().ok())
            })
            .unwrap_or_else(|| self.origin.elapsed().as_nanos() as f64)
    }
}

impl Measurement for ThreadCpuTime {
    type Intermediate = f64;
    type Value = f64;

    fn start(&self) -> f64 {
        self.now_ns()
    }
    fn end(&self, start: f64) -> f64 {
        self.now_ns() - start
    }
    fn add(&self, a: &f64, b: &f64) -> f64 {
        a + b
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn to_f64(&self, value: &f64) -> f64 {
        *value
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}
