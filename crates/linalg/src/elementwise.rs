//! Element-wise kernels: Adam's update, gradient sums and scalings, bias gradients, sums of
//! squares. Each is plain Rust compiled three times (AVX-512, AVX2, baseline) and picked at
//! run time; they use no fused multiply-add, so every path gives the same bits.

#[cfg_attr(not(target_arch = "x86_64"), allow(unused_imports))]
use crate::gemm::{active_simd, Simd};

/// Defines `pub fn $name` whose body is compiled for AVX-512F, AVX2 and the baseline and
/// dispatched on [`active_simd`].
macro_rules! multiversion {
    ($(#[$meta:meta])* pub fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        pub fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                /// # Safety
                /// The CPU must support AVX-512F, AVX2 and FMA.
                #[cfg(fivedreg_avx512)]
                #[clippy::msrv = "1.89"]
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                /// # Safety
                /// The CPU must support AVX2 and FMA.
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                match active_simd() {
                    // SAFETY: `active_simd` never exceeds what the CPU supports, so it has
                    // the AVX-512F, AVX2 and FMA that `avx512` is compiled for.
                    #[cfg(fivedreg_avx512)]
                    Simd::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: `active_simd` never exceeds what the CPU supports, so it has
                    // the AVX2 and FMA that `avx2` is compiled for.
                    Simd::Avx2 => return unsafe { avx2($($arg),*) },
                    _ => {}
                }
            }
            body($($arg),*)
        }
    };
}

/// Gradients smaller than this (2⁻⁶³) are treated as 0, so that their square is not subnormal.
const TINY_GRADIENT: f32 = f32::from_bits(64 << 23);

/// `x`, or 0 when `|x| < tiny` (the comparison and select vectorize).
#[inline(always)]
fn flush(x: f32, tiny: f32) -> f32 {
    if x.abs() < tiny {
        0.0
    } else {
        x
    }
}

/// The scalars of one Adam step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    /// Bias-corrected step size: `lr · sqrt(1 − β₂ᵗ) / (1 − β₁ᵗ)`.
    pub lr_t: f32,
    /// First-moment decay β₁.
    pub beta1: f32,
    /// Second-moment decay β₂.
    pub beta2: f32,
    /// Added to the uncorrected `sqrt(v)` (scikit-learn's placement, not PyTorch's).
    pub epsilon: f32,
}

multiversion! {
    /// One Adam step over parallel slices:
    /// `m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; p −= lr_t · m / (sqrt(v) + ε)`.
    ///
    /// Subnormal numbers are kept out: a gradient below 2⁻⁶³ in magnitude counts as 0 (its
    /// square would be subnormal), and `m` or `v` below `f32::MIN_POSITIVE` become 0. On x86 a
    /// subnormal result costs a ~100-cycle microcode assist, and `m` of a dead unit decays
    /// through the subnormal range for ~150 steps; the values flushed move no weight by more
    /// than ~1e-30.
    ///
    /// # Panics
    /// When the slices differ in length.
    pub fn adam_update(params: &mut [f32], grads: &[f32], m: &mut [f32], v: &mut [f32], step: AdamStep) {
        let n = params.len();
        assert!(
            grads.len() == n && m.len() == n && v.len() == n,
            "adam_update: slices differ in length"
        );
        let (b1, b2) = (step.beta1, step.beta2);
        let (c1, c2) = (1.0 - b1, 1.0 - b2);
        for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(m.iter_mut()).zip(v.iter_mut()) {
            let g = flush(g, TINY_GRADIENT);
            *m = flush(b1 * *m + c1 * g, f32::MIN_POSITIVE);
            *v = flush(b2 * *v + c2 * (g * g), f32::MIN_POSITIVE);
            *p -= step.lr_t * *m / (v.sqrt() + step.epsilon);
        }
    }
}

/// Points per block of [`any_within`]'s column layout.
pub const WITHIN_LANES: usize = 16;

multiversion! {
    /// Whether some point lies within squared distance `limit` of `query`. The points are
    /// `blocks` blocks of [`WITHIN_LANES`], stored coordinate by coordinate:
    /// `columns[j * blocks * WITHIN_LANES + b * WITHIN_LANES + lane]` is coordinate `j` of
    /// point `b * WITHIN_LANES + lane` (padding NaN is near nothing). A point's squared
    /// distance is summed over the coordinates in order, `(q − p)·(q − p)` unfused, so every
    /// path gives the same answer as a plain loop; blocks are scanned in order until a hit.
    ///
    /// # Panics
    /// When `columns` is shorter than `query.len() * blocks * WITHIN_LANES`.
    pub fn any_within(columns: &[f32], blocks: usize, query: &[f32], limit: f32) -> bool {
        let stride = blocks * WITHIN_LANES;
        assert!(columns.len() >= query.len() * stride, "any_within: columns too short");
        // Plain loops: an iterator adaptor that is not inlined would be compiled without
        // the caller's target features.
        for b in 0..blocks {
            let mut sums = [0.0f32; WITHIN_LANES];
            for (j, &q) in query.iter().enumerate() {
                let start = j * stride + b * WITHIN_LANES;
                let column = &columns[start..start + WITHIN_LANES];
                for lane in 0..WITHIN_LANES {
                    let diff = q - column[lane];
                    sums[lane] += diff * diff;
                }
            }
            let mut hit = false;
            for sum in sums {
                hit |= sum <= limit;
            }
            if hit {
                return true;
            }
        }
        false
    }
}

multiversion! {
    /// `dst[i] += src[i]`.
    ///
    /// # Panics
    /// When the slices differ in length.
    pub fn add_assign(dst: &mut [f32], src: &[f32]) {
        assert_eq!(dst.len(), src.len(), "add_assign: slices differ in length");
        for (d, s) in dst.iter_mut().zip(src) {
            *d += s;
        }
    }
}

multiversion! {
    /// Finishes a summed weight gradient as scikit-learn does: `g = (g + alpha·w) / n`.
    ///
    /// # Panics
    /// When the slices differ in length.
    pub fn l2_mean_grad(g: &mut [f32], w: &[f32], alpha: f32, n: f32) {
        assert_eq!(g.len(), w.len(), "l2_mean_grad: slices differ in length");
        for (g, &w) in g.iter_mut().zip(w) {
            *g = (*g + alpha * w) / n;
        }
    }
}

multiversion! {
    /// `g[i] /= n`.
    pub fn div_assign(g: &mut [f32], n: f32) {
        for g in g.iter_mut() {
            *g /= n;
        }
    }
}

multiversion! {
    /// Σ x², in f64, over eight interleaved partial sums added pairwise at the end (a fixed
    /// order, so the same bits on every path).
    pub fn sum_squares(x: &[f32]) -> f64 {
        let mut acc = [0.0f64; 8];
        let chunks = x.chunks_exact(8);
        let tail = chunks.remainder();
        for c in chunks {
            for l in 0..8 {
                let v = f64::from(c[l]);
                acc[l] += v * v;
            }
        }
        for (l, &t) in tail.iter().enumerate() {
            acc[l] += f64::from(t) * f64::from(t);
        }
        ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
    }
}

multiversion! {
    /// Bias gradient: column sums of `delta` (`rows × n_out`) into `out` (`n_out`), rows summed
    /// in order.
    ///
    /// # Panics
    /// When a slice is shorter than its shape says.
    pub fn bias_grad(delta: &[f32], rows: usize, n_out: usize, out: &mut [f32]) {
        assert!(delta.len() >= rows * n_out && out.len() >= n_out, "bias_grad: slice too short");
        // Sixteen columns at a time summed in registers over all rows, then stored once
        // (accumulating into `out` row by row was bound by store-to-load forwarding).
        let delta = &delta[..rows * n_out];
        let mut j = 0;
        while j + 16 <= n_out {
            let mut acc = [0.0f32; 16];
            for row in delta.chunks_exact(n_out) {
                for (a, d) in acc.iter_mut().zip(&row[j..j + 16]) {
                    *a += d;
                }
            }
            out[j..j + 16].copy_from_slice(&acc);
            j += 16;
        }
        for (c, o) in out.iter_mut().enumerate().take(n_out).skip(j) {
            let mut acc = 0.0f32;
            for row in delta.chunks_exact(n_out) {
                acc += row[c];
            }
            *o = acc;
        }
    }
}
