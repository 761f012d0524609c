//! Dense f64 linear algebra for the kernel (RBF) models: a product-and-subtract on blocks of
//! row-major matrices (matrixmultiply's dgemm behind a checked, safe API) and a blocked LU
//! factorisation with partial pivoting built on it.

/// `C[m×n] −= A[m×k] · B[k×n]`, each a block of a row-major matrix given by its slice (which
/// starts at the block's first element) and its row stride.
///
/// # Panics
/// When a slice is too short for its block, or a stride is shorter than its block's width.
#[allow(clippy::too_many_arguments)]
pub fn sub_product(
    m: usize,
    k: usize,
    n: usize,
    a: &[f64],
    lda: usize,
    b: &[f64],
    ldb: usize,
    c: &mut [f64],
    ldc: usize,
) {
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    let need = |rows: usize, cols: usize, ld: usize| (rows - 1) * ld + cols;
    assert!(
        lda >= k && ldb >= n && ldc >= n,
        "a stride is shorter than its block"
    );
    assert!(a.len() >= need(m, k, lda), "A is shorter than its block");
    assert!(b.len() >= need(k, n, ldb), "B is shorter than its block");
    assert!(c.len() >= need(m, n, ldc), "C is shorter than its block");
    // SAFETY: the asserts above prove every element the product reads (A: m rows of k at
    // stride lda; B: k rows of n at stride ldb) and writes (C: m rows of n at stride ldc)
    // lies inside its slice; C is borrowed mutably, so it aliases neither A nor B, and its
    // strides (ldc ≥ n ≥ 1, 1) never make two elements coincide.
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            -1.0,
            a.as_ptr(),
            lda as isize,
            1,
            b.as_ptr(),
            ldb as isize,
            1,
            1.0,
            c.as_mut_ptr(),
            ldc as isize,
            1,
        );
    }
}

/// The matrix handed to [`Lu::factor`] is singular (to working precision).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Singular {
    /// The 0-based column where no usable pivot was left.
    pub column: usize,
}

/// `P·A = L·U` of a square matrix, with partial (row) pivoting.
#[derive(Debug, Clone)]
pub struct Lu {
    n: usize,
    /// L below the diagonal (unit diagonal implied), U on and above it; row-major.
    lu: Vec<f64>,
    /// Row `i` of `P·A` is row `perm[i]` of `A`.
    perm: Vec<usize>,
}

/// Columns factored at a time before the trailing block is updated by one product.
const BLOCK: usize = 64;

impl Lu {
    /// Factors the `n × n` row-major matrix `a` (right-looking, in blocks of 64 columns: the
    /// trailing update is one matrix product per block).
    pub fn factor(mut a: Vec<f64>, n: usize) -> Result<Lu, Singular> {
        assert_eq!(a.len(), n * n, "an n × n matrix needs n² values");
        let mut perm: Vec<usize> = (0..n).collect();
        let scale = a
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(f64::MIN_POSITIVE);
        let mut k0 = 0;
        while k0 < n {
            let k1 = (k0 + BLOCK).min(n);
            // The panel: columns k0..k1, all rows below k0, unblocked, with row swaps applied
            // to whole rows.
            for k in k0..k1 {
                let (pivot_row, pivot) = (k..n)
                    .map(|i| (i, a[i * n + k].abs()))
                    .fold((k, -1.0), |best, x| if x.1 > best.1 { x } else { best });
                if pivot.is_nan() || pivot <= 1e-14 * scale {
                    return Err(Singular { column: k });
                }
                if pivot_row != k {
                    for j in 0..n {
                        a.swap(k * n + j, pivot_row * n + j);
                    }
                    perm.swap(k, pivot_row);
                }
                let diagonal = a[k * n + k];
                for i in k + 1..n {
                    let factor = a[i * n + k] / diagonal;
                    a[i * n + k] = factor;
                    if factor != 0.0 {
                        // Update only the panel's columns; the rest waits for the block.
                        for j in k + 1..k1 {
                            a[i * n + j] -= factor * a[k * n + j];
                        }
                    }
                }
            }
            if k1 < n {
                // U12 = L11⁻¹ · A12 (forward substitution, unit diagonal).
                for i in k0..k1 {
                    for p in k0..i {
                        let factor = a[i * n + p];
                        if factor != 0.0 {
                            let (upper, lower) = a.split_at_mut(i * n);
                            let src = &upper[p * n + k1..p * n + n];
                            for (dst, s) in lower[k1..n].iter_mut().zip(src) {
                                *dst -= factor * s;
                            }
                        }
                    }
                }
                // A22 −= L21 · U12.
                let (top, bottom) = a.split_at_mut(k1 * n);
                let u12 = &top[k0 * n + k1..];
                // L21 lives in `bottom` (columns k0..k1 of rows k1..n) and A22 beside it in the
                // same rows: copy L21 out so the product's operands do not overlap.
                let rows = n - k1;
                let width = k1 - k0;
                let mut l21_copy = vec![0.0; rows * width];
                for (r, dst) in l21_copy.chunks_mut(width).enumerate() {
                    dst.copy_from_slice(&bottom[r * n + k0..r * n + k1]);
                }
                sub_product(
                    rows,
                    width,
                    n - k1,
                    &l21_copy,
                    width,
                    u12,
                    n,
                    &mut bottom[k1..],
                    n,
                );
            }
            k0 = k1;
        }
        Ok(Lu { n, lu: a, perm })
    }

    /// Solves `A·x = b` in place (`b` becomes `x`).
    pub fn solve(&self, b: &mut [f64]) {
        let n = self.n;
        assert_eq!(b.len(), n, "the right-hand side needs n values");
        let mut x: Vec<f64> = self.perm.iter().map(|&p| b[p]).collect();
        for i in 0..n {
            let row = &self.lu[i * n..i * n + i];
            let s: f64 = row.iter().zip(&x[..i]).map(|(l, v)| l * v).sum();
            x[i] -= s;
        }
        for i in (0..n).rev() {
            let row = &self.lu[i * n + i + 1..(i + 1) * n];
            let s: f64 = row.iter().zip(&x[i + 1..]).map(|(u, v)| u * v).sum();
            x[i] = (x[i] - s) / self.lu[i * n + i];
        }
        b.copy_from_slice(&x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible pseudo-random matrix with entries in [-1, 1).
    fn matrix(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n * n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
            })
            .collect()
    }

    #[test]
    fn sub_product_matches_a_plain_triple_loop() {
        let (m, k, n) = (7, 5, 9);
        let a = matrix(10, 1);
        let b = matrix(10, 2);
        let mut c = matrix(12, 3);
        let mut expected = c.clone();
        // Blocks at offsets with strides wider than the blocks.
        for i in 0..m {
            for j in 0..n {
                let s: f64 = (0..k).map(|p| a[1 + i * 10 + p] * b[2 + p * 10 + j]).sum();
                expected[3 + i * 12 + j] -= s;
            }
        }
        sub_product(m, k, n, &a[1..], 10, &b[2..], 10, &mut c[3..], 12);
        for (x, y) in c.iter().zip(&expected) {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
    }

    #[test]
    fn lu_solves_systems_of_every_block_shape() {
        for n in [1, 2, 5, 63, 64, 65, 130, 200] {
            let a = matrix(n, n as u64);
            let x_true: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let b: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| a[i * n + j] * x_true[j]).sum())
                .collect();
            let lu = Lu::factor(a, n).unwrap();
            let mut x = b;
            lu.solve(&mut x);
            let err = x
                .iter()
                .zip(&x_true)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            assert!(err < 1e-8, "n {n}: error {err}");
        }
    }

    #[test]
    fn a_zero_block_needs_pivoting_and_a_singular_matrix_is_refused() {
        // [[0, 1], [1, 0]] has a zero first pivot: partial pivoting must swap.
        let lu = Lu::factor(vec![0.0, 1.0, 1.0, 0.0], 2).unwrap();
        let mut x = vec![2.0, 3.0];
        lu.solve(&mut x);
        assert_eq!(x, vec![3.0, 2.0]);
        assert_eq!(
            Lu::factor(vec![1.0, 2.0, 2.0, 4.0], 2).unwrap_err(),
            Singular { column: 1 }
        );
    }
}
