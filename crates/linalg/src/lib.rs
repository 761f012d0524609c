//! Numeric f32 kernels (issue #3).
