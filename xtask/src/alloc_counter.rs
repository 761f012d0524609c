//! The counting global allocator of the benchmark workers (it lives in fivedreg-linalg, the
//! crate that holds fivedreg's `unsafe` code).

pub use fivedreg_linalg::counting_alloc::{CountingAllocator, HeapMark};
