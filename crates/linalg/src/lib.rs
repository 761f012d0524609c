//! Numeric f32 kernels of fivedreg: the dense-layer products a small multilayer perceptron
//! needs, with their bias and ReLU work fused in, and the Adam update.
//!
//! # Why hand-written kernels
//! The network's matrices are tiny (a minibatch shard of ~100 rows times widths 5, 64, 32,
//! 16, 1). A general GEMM (nalgebra → matrixmultiply) packs its operands into panels before
//! multiplying, which costs as much as the product itself at these shapes, and it cannot fuse
//! the bias, the ReLU or the ReLU mask. So the products here are register-tiled loops written
//! for these shapes: a tile of accumulators kept in registers (8 rows × 32 columns with
//! AVX-512, 6 rows × 16 columns with AVX2), fed one broadcast element of the left operand
//! and one or two vectors of the right one per step; the output layer (one column) is a dot
//! product per row. nalgebra serves as the reference in the tests and as the machine's
//! ceiling in the benchmark (`benches/benches/kernels.rs`); `docs/performance.md` records
//! the measurements.
//!
//! # Dispatch and reproducibility
//! The instruction set is detected at run time (so the binary still runs on any x86-64 or
//! other CPU): AVX-512F, else AVX2 with FMA, else a portable loop that multiplies then adds.
//! Every output element is computed by the same sequence of operations whatever its position
//! in a tile and whichever of the two SIMD paths runs, so splitting rows across threads or
//! blocks never changes a result, and AVX2 and AVX-512 machines agree bit for bit. Only the
//! portable path (no FMA) differs in the last bits. [`set_simd_limit`] caps the path, for
//! benchmarks and tests.
//!
//! # Safety
//! Every public function is safe: it checks the lengths of its slices against the shapes it
//! is given (panicking on a mismatch, which is a bug in the caller) before the unchecked
//! inner loops run.

#![warn(missing_docs)]

pub mod counting_alloc;
pub mod dense64;
mod elementwise;
mod gemm;
mod scalar;

pub use elementwise::{
    adam_update, add_assign, any_within, bias_grad, div_assign, l2_mean_grad, sum_squares,
    transpose, AdamStep, WITHIN_LANES,
};
pub use gemm::{active_simd, detected_simd, set_simd_limit, Simd};
pub use scalar::times_power_of_two;

/// Which instruction set the products run on now, for reports.
pub fn simd_level() -> &'static str {
    match active_simd() {
        Simd::Avx512 => "avx512f+fma",
        Simd::Avx2 => "avx2+fma",
        Simd::Portable => "portable",
    }
}

/// Dense layer forward: `out = x · w + bias`, then ReLU when `relu` is true.
///
/// `x` is `rows × n_in`, `w` is `n_in × n_out`, `bias` is `n_out`, `out` is `rows × n_out`,
/// all row-major.
///
/// # Panics
/// When a slice is shorter than its shape says.
#[allow(clippy::too_many_arguments)]
pub fn dense_forward(
    x: &[f32],
    rows: usize,
    n_in: usize,
    w: &[f32],
    bias: &[f32],
    n_out: usize,
    relu: bool,
    out: &mut [f32],
) {
    assert!(
        bias.len() >= n_out,
        "bias has {} values, need {n_out}",
        bias.len()
    );
    let epilogue = if relu {
        gemm::Epilogue::Relu
    } else {
        gemm::Epilogue::Identity
    };
    gemm::gemm(
        gemm::Product {
            m: rows,
            k: n_in,
            n: n_out,
            lhs: gemm::Lhs::row_major(x, n_in),
            rhs: w,
            init: Some(bias),
            epilogue,
        },
        out,
    );
}

/// Input gradient of a ReLU layer: `out = (delta · w_t) ⊙ [activation > 0]`.
///
/// `delta` is the gradient at the layer's output, `rows × n_out`; `w_t` is the layer's weight
/// matrix transposed, `n_out × n_in`; `activation` is the layer's input after its ReLU,
/// `rows × n_in`, whose zeros mark where the gradient is cut; `out` is `rows × n_in`.
///
/// # Panics
/// When a slice is shorter than its shape says.
pub fn input_grad_relu(
    delta: &[f32],
    rows: usize,
    n_out: usize,
    w_t: &[f32],
    n_in: usize,
    activation: &[f32],
    out: &mut [f32],
) {
    assert!(
        activation.len() >= rows * n_in,
        "activation has {} values, need {}",
        activation.len(),
        rows * n_in
    );
    gemm::gemm(
        gemm::Product {
            m: rows,
            k: n_out,
            n: n_in,
            lhs: gemm::Lhs::row_major(delta, n_out),
            rhs: w_t,
            init: None,
            epilogue: gemm::Epilogue::ReluMask(activation),
        },
        out,
    );
}

/// Weight gradient: `out = aᵀ · delta` (overwritten, not accumulated).
///
/// `a` is the layer's input, `rows × n_in`; `delta` the gradient at its output,
/// `rows × n_out`; `out` is `n_in × n_out`. Rows are summed in order, first to last.
///
/// # Panics
/// When a slice is shorter than its shape says.
pub fn weight_grad(
    a: &[f32],
    delta: &[f32],
    rows: usize,
    n_in: usize,
    n_out: usize,
    out: &mut [f32],
) {
    if n_out == 1 {
        // (aᵀ·δ)ᵀ = δᵀ·a: a 1 × n_in row, the same memory as the n_in × 1 column, and
        // vectorizable along n_in. Each element is still the sum over rows in order.
        gemm::gemm(
            gemm::Product {
                m: 1,
                k: rows,
                n: n_in,
                lhs: gemm::Lhs::row_major(delta, rows),
                rhs: a,
                init: None,
                epilogue: gemm::Epilogue::Identity,
            },
            out,
        );
        return;
    }
    gemm::gemm(
        gemm::Product {
            m: n_in,
            k: rows,
            n: n_out,
            lhs: gemm::Lhs::transposed(a, rows, n_in),
            rhs: delta,
            init: None,
            epilogue: gemm::Epilogue::Identity,
        },
        out,
    );
}

/// Plain row-major product `out = a · b` (`m × k` times `k × n`) with the same kernel as the
/// layers use; for benchmarks and general use.
///
/// # Panics
/// When a slice is shorter than its shape says.
pub fn matmul(a: &[f32], b: &[f32], m: usize, k: usize, n: usize, out: &mut [f32]) {
    gemm::gemm(
        gemm::Product {
            m,
            k,
            n,
            lhs: gemm::Lhs::row_major(a, k),
            rhs: b,
            init: None,
            epilogue: gemm::Epilogue::Identity,
        },
        out,
    );
}
