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

/// Side of the tiles [`transpose`] moves at once.
const TILE: usize = 8;

/// Writes the transpose of row-major `src` (`rows × cols`) into `dst` (`cols × rows`).
///
/// By 8 × 8 tiles (with AVX2: eight loads, 24 shuffles, eight stores a tile); element by
/// element, the stores strided by `rows` cost about a nanosecond each, and the layers'
/// transposed weights are refreshed after every minibatch. A transpose only moves values,
/// so every path gives the same result.
///
/// # Panics
/// When a slice is shorter than its shape says.
pub fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
    assert!(
        src.len() >= rows * cols && dst.len() >= rows * cols,
        "transpose: slice too short"
    );
    let (full_rows, full_cols) = (rows - rows % TILE, cols - cols % TILE);
    #[cfg(target_arch = "x86_64")]
    let tiles_done = if active_simd() >= Simd::Avx2 {
        for r0 in (0..full_rows).step_by(TILE) {
            for c0 in (0..full_cols).step_by(TILE) {
                // SAFETY: `active_simd` never exceeds what the CPU supports, so it has AVX2.
                // The tile's rows `r0..r0 + 8` are below `full_rows <= rows` and its columns
                // `c0..c0 + 8` below `full_cols <= cols`, so every element read,
                // `src[(r0 + i) * cols + c0 + j]`, is below `rows * cols <= src.len()`, and
                // every element written, `dst[(c0 + j) * rows + r0 + i]`, below
                // `cols * rows <= dst.len()` (both checked above).
                unsafe {
                    x86::transpose_tile(
                        src.as_ptr().add(r0 * cols + c0),
                        cols,
                        dst.as_mut_ptr().add(c0 * rows + r0),
                        rows,
                    );
                }
            }
        }
        true
    } else {
        false
    };
    #[cfg(not(target_arch = "x86_64"))]
    let tiles_done = false;
    if !tiles_done {
        for r0 in (0..full_rows).step_by(TILE) {
            for c0 in (0..full_cols).step_by(TILE) {
                for i in 0..TILE {
                    for j in 0..TILE {
                        dst[(c0 + j) * rows + r0 + i] = src[(r0 + i) * cols + c0 + j];
                    }
                }
            }
        }
    }
    // The columns right of the last full tile, then the rows below it.
    for r in 0..full_rows {
        for c in full_cols..cols {
            dst[c * rows + r] = src[r * cols + c];
        }
    }
    for r in full_rows..rows {
        for c in 0..cols {
            dst[c * rows + r] = src[r * cols + c];
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// Transposes the 8 × 8 tile at `src` (rows `src_stride` apart) into `dst` (rows
    /// `dst_stride` apart).
    ///
    /// # Safety
    /// The CPU must support AVX2; `src + i * src_stride + j` must be readable and
    /// `dst + j * dst_stride + i` writable for every `i, j < 8`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn transpose_tile(
        src: *const f32,
        src_stride: usize,
        dst: *mut f32,
        dst_stride: usize,
    ) {
        // SAFETY: row `i` of the tile is the eight readable floats at `src + i * src_stride`
        // (the caller's contract).
        let row = |i: usize| unsafe { _mm256_loadu_ps(src.add(i * src_stride)) };
        let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
        let (r4, r5, r6, r7) = (row(4), row(5), row(6), row(7));
        // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves swapped:
        // the standard 8 × 8 transpose.
        let t0 = _mm256_unpacklo_ps(r0, r1);
        let t1 = _mm256_unpackhi_ps(r0, r1);
        let t2 = _mm256_unpacklo_ps(r2, r3);
        let t3 = _mm256_unpackhi_ps(r2, r3);
        let t4 = _mm256_unpacklo_ps(r4, r5);
        let t5 = _mm256_unpackhi_ps(r4, r5);
        let t6 = _mm256_unpacklo_ps(r6, r7);
        let t7 = _mm256_unpackhi_ps(r6, r7);
        let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        let columns = [
            _mm256_permute2f128_ps::<0x20>(s0, s4),
            _mm256_permute2f128_ps::<0x20>(s1, s5),
            _mm256_permute2f128_ps::<0x20>(s2, s6),
            _mm256_permute2f128_ps::<0x20>(s3, s7),
            _mm256_permute2f128_ps::<0x31>(s0, s4),
            _mm256_permute2f128_ps::<0x31>(s1, s5),
            _mm256_permute2f128_ps::<0x31>(s2, s6),
            _mm256_permute2f128_ps::<0x31>(s3, s7),
        ];
        for (j, column) in columns.into_iter().enumerate() {
            // SAFETY: column `j` goes to the eight writable floats at `dst + j * dst_stride`
            // (the caller's contract).
            unsafe { _mm256_storeu_ps(dst.add(j * dst_stride), column) };
        }
    }
}
