//! Dense f64 linear algebra for the kernel (RBF) models: a product-and-subtract on blocks of
//! row-major matrices (matrixmultiply's dgemm behind a checked, safe API) and a blocked LU
//! factorisation with partial pivoting built on it, and a blocked Cholesky factorisation with
//! its solve, log-determinant and inverse.

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

/// Why [`Lu::factor_until`] gave no factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FactorEnd {
    /// The matrix is singular (to working precision).
    Singular(Singular),
    /// The caller's `stop` asked it to end.
    Stopped,
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
    pub fn factor(a: Vec<f64>, n: usize) -> Result<Lu, Singular> {
        match Lu::factor_until(a, n, &|| false) {
            Ok(lu) => Ok(lu),
            Err(FactorEnd::Singular(singular)) => Err(singular),
            // `stop` never says so.
            Err(FactorEnd::Stopped) => Err(Singular { column: 0 }),
        }
    }

    /// [`factor`](Self::factor), asking `stop` before each block of 64 columns (about
    /// 1/30 of the work at 2,000 rows) and giving up with [`FactorEnd::Stopped`] when it
    /// says so: a long factorization ends soon after it is asked to.
    pub fn factor_until(
        mut a: Vec<f64>,
        n: usize,
        stop: &dyn Fn() -> bool,
    ) -> Result<Lu, FactorEnd> {
        assert_eq!(a.len(), n * n, "an n × n matrix needs n² values");
        let mut perm: Vec<usize> = (0..n).collect();
        let scale = a
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(f64::MIN_POSITIVE);
        let mut k0 = 0;
        while k0 < n {
            if stop() {
                return Err(FactorEnd::Stopped);
            }
            let k1 = (k0 + BLOCK).min(n);
            // The panel: columns k0..k1, all rows below k0, unblocked, with row swaps applied
            // to whole rows.
            for k in k0..k1 {
                let (pivot_row, pivot) = (k..n)
                    .map(|i| (i, a[i * n + k].abs()))
                    .fold((k, -1.0), |best, x| if x.1 > best.1 { x } else { best });
                if pivot.is_nan() || pivot <= 1e-14 * scale {
                    return Err(FactorEnd::Singular(Singular { column: k }));
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
                let l21_copy = copy_columns(bottom, n, rows, k0..k1);
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

/// The matrix handed to [`Cholesky::factor`] is not positive definite (to working
/// precision).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NotPositiveDefinite {
    /// The 0-based column whose pivot was not positive.
    pub column: usize,
}

/// `A = L·Lᵀ` of a symmetric positive-definite matrix.
#[derive(Debug, Clone)]
pub struct Cholesky {
    n: usize,
    /// L on and below the diagonal, zeros above; row-major.
    l: Vec<f64>,
}

impl Cholesky {
    /// Factors the `n × n` row-major symmetric matrix `a` (only its lower triangle is read;
    /// right-looking, in blocks of 64 columns, the panel below the diagonal and the trailing
    /// update done by blocks of 64 rows shared among `threads` threads; the result is the
    /// same for any count).
    pub fn factor(
        mut a: Vec<f64>,
        n: usize,
        threads: usize,
    ) -> Result<Cholesky, NotPositiveDefinite> {
        assert_eq!(a.len(), n * n, "an n × n matrix needs n² values");
        let mut k0 = 0;
        while k0 < n {
            let k1 = (k0 + BLOCK).min(n);
            // The diagonal block, unblocked.
            for k in k0..k1 {
                let row = &a[k * n + k0..k * n + k];
                let pivot = a[k * n + k] - row.iter().map(|v| v * v).sum::<f64>();
                if !(pivot.is_finite() && pivot > 0.0) {
                    return Err(NotPositiveDefinite { column: k });
                }
                let diagonal = pivot.sqrt();
                a[k * n + k] = diagonal;
                for i in k + 1..k1 {
                    let s: f64 = (k0..k).map(|p| a[i * n + p] * a[k * n + p]).sum::<f64>();
                    a[i * n + k] = (a[i * n + k] - s) / diagonal;
                }
            }
            if k1 < n {
                let width = k1 - k0;
                let rows = n - k1;
                let (top, bottom) = a.split_at_mut(k1 * n);
                let top = &*top;
                // L21 = A21 · L11⁻ᵀ: each row by forward substitution.
                deal(
                    threads,
                    bottom.chunks_mut(BLOCK * n).collect(),
                    &|block: &mut [f64]| {
                        for row in block.chunks_mut(n) {
                            for k in k0..k1 {
                                let s: f64 = (k0..k).map(|p| row[p] * top[k * n + p]).sum::<f64>();
                                row[k] = (row[k] - s) / top[k * n + k];
                            }
                        }
                    },
                );
                // A22 −= L21 · L21ᵀ, lower triangle only: block row by block row, each up to
                // its own last column.
                let l21 = copy_columns(bottom, n, rows, k0..k1);
                let mut l21_t = vec![0.0; width * rows];
                for (r, row) in l21.chunks(width).enumerate() {
                    for (c, &v) in row.iter().enumerate() {
                        l21_t[c * rows + r] = v;
                    }
                }
                let (l21, l21_t) = (&l21, &l21_t);
                let blocks: Vec<(usize, &mut [f64])> = bottom
                    .chunks_mut(BLOCK * n)
                    .enumerate()
                    .map(|(b, block)| (k1 + b * BLOCK, block))
                    .collect();
                deal(threads, blocks, &|(r0, block): (usize, &mut [f64])| {
                    let height = block.len() / n;
                    sub_product(
                        height,
                        width,
                        r0 + height - k1,
                        &l21[(r0 - k1) * width..],
                        width,
                        l21_t,
                        rows,
                        &mut block[k1..],
                        n,
                    );
                });
            }
            k0 = k1;
        }
        for i in 0..n {
            a[i * n + i + 1..(i + 1) * n].fill(0.0);
        }
        Ok(Cholesky { n, l: a })
    }

    /// Solves `A·x = b` in place (`b` becomes `x`).
    pub fn solve(&self, b: &mut [f64]) {
        let n = self.n;
        assert_eq!(b.len(), n, "the right-hand side needs n values");
        for i in 0..n {
            let row = &self.l[i * n..i * n + i];
            let s: f64 = row.iter().zip(&b[..i]).map(|(l, v)| l * v).sum();
            b[i] = (b[i] - s) / self.l[i * n + i];
        }
        // Lᵀ·x = z, by columns of L (rows of Lᵀ are columns of L).
        for i in (0..n).rev() {
            b[i] /= self.l[i * n + i];
            let xi = b[i];
            for (bj, l) in b[..i].iter_mut().zip(&self.l[i * n..i * n + i]) {
                *bj -= l * xi;
            }
        }
    }

    /// `ln det A` (twice the sum of the logarithms of L's diagonal).
    pub fn log_determinant(&self) -> f64 {
        2.0 * (0..self.n)
            .map(|i| self.l[i * self.n + i].ln())
            .sum::<f64>()
    }

    /// `A⁻¹`, row-major `n × n` (symmetric): `L⁻ᵀ·L⁻¹`, with `L⁻¹` by blocked forward
    /// substitution. About ⅔ n³ floating-point operations, nearly all in matrix products
    /// shared among `threads` threads in pieces of a fixed size, so that the result is the
    /// same for any count.
    pub fn inverse(&self, threads: usize) -> Vec<f64> {
        let n = self.n;
        let z = self.lower_inverse(threads);
        // A⁻¹ = Zᵀ·Z, lower triangle by block rows (row block i of Zᵀ is non-zero from
        // column i0 on, Z being lower triangular), then mirrored.
        let mut zt = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                zt[j * n + i] = z[i * n + j];
            }
        }
        let mut inverse = vec![0.0; n * n];
        let (z, zt) = (&z, &zt);
        let blocks: Vec<(usize, &mut [f64])> = inverse
            .chunks_mut(BLOCK * n)
            .enumerate()
            .map(|(b, rows)| (b * BLOCK, rows))
            .collect();
        deal(threads, blocks, &|(r0, rows): (usize, &mut [f64])| {
            let height = rows.len() / n;
            sub_product(
                height,
                n - r0,
                r0 + height,
                &zt[r0 * n + r0..],
                n,
                &z[r0 * n..],
                n,
                rows,
                n,
            );
        });
        for i in 0..n {
            for j in 0..=i {
                let v = -inverse[i * n + j];
                inverse[i * n + j] = v;
                inverse[j * n + i] = v;
            }
        }
        inverse
    }

    /// `L⁻¹`, row-major `n × n`, lower triangular (zeros above the diagonal), by blocked
    /// forward substitution on up to `threads` threads (the same result for any count).
    /// `‖L⁻¹v‖² = vᵀA⁻¹v` without the cancellation an explicit `A⁻¹` suffers when `A` is
    /// ill-conditioned.
    pub fn lower_inverse(&self, threads: usize) -> Vec<f64> {
        let n = self.n;
        let l = &self.l;
        // Z = L⁻¹ (lower triangular), block row by block row:
        // Z_i = L_ii⁻¹ · (E_i − Σ_{k<i} L_ik · Z_k), where only columns < i0 of the sum are
        // non-zero; the sum in pieces of COLUMNS columns. Rows of Z above a piece's first
        // column c0 are zero in it (Z is lower triangular), so its sum runs over k ≥ c0:
        // half the operations of the full sum.
        const COLUMNS: usize = 128;
        let mut z = vec![0.0; n * n];
        let mut i0 = 0;
        while i0 < n {
            let i1 = (i0 + BLOCK).min(n);
            let height = i1 - i0;
            if i0 > 0 {
                let (done, block) = z.split_at_mut(i0 * n);
                let done = &*done;
                let starts: Vec<usize> = (0..i0).step_by(COLUMNS).collect();
                let mut pieces: Vec<Vec<f64>> = starts
                    .iter()
                    .map(|&c0| vec![0.0; height * COLUMNS.min(i0 - c0)])
                    .collect();
                let jobs: Vec<(usize, &mut Vec<f64>)> =
                    starts.iter().copied().zip(pieces.iter_mut()).collect();
                deal(threads, jobs, &|(c0, piece): (usize, &mut Vec<f64>)| {
                    let width = COLUMNS.min(i0 - c0);
                    sub_product(
                        height,
                        i0 - c0,
                        width,
                        &l[i0 * n + c0..],
                        n,
                        &done[c0 * n + c0..],
                        n,
                        piece,
                        width,
                    );
                });
                for (&c0, piece) in starts.iter().zip(&pieces) {
                    let width = COLUMNS.min(i0 - c0);
                    for (r, src) in piece.chunks(width).enumerate() {
                        block[r * n + c0..r * n + c0 + width].copy_from_slice(src);
                    }
                }
            }
            for i in i0..i1 {
                z[i * n + i] = 1.0;
            }
            // Forward substitution with L_ii on columns 0..i1 of the block's rows.
            for r in i0..i1 {
                for p in i0..r {
                    let factor = l[r * n + p];
                    if factor != 0.0 {
                        let (upper, lower) = z.split_at_mut(r * n);
                        let src = &upper[p * n..p * n + i1];
                        for (dst, s) in lower[..i1].iter_mut().zip(src) {
                            *dst -= factor * s;
                        }
                    }
                }
                let diagonal = l[r * n + r];
                z[r * n..r * n + i1].iter_mut().for_each(|v| *v /= diagonal);
            }
            i0 = i1;
        }
        z
    }
}

/// Columns `columns` of the first `rows` rows of row-major `a` (stride `ld`), packed.
fn copy_columns(a: &[f64], ld: usize, rows: usize, columns: std::ops::Range<usize>) -> Vec<f64> {
    let width = columns.len();
    let mut out = vec![0.0; rows * width];
    for (r, dst) in out.chunks_mut(width).enumerate() {
        dst.copy_from_slice(&a[r * ld + columns.start..r * ld + columns.end]);
    }
    out
}

/// Runs `work` on each job, the jobs dealt out in turn to `threads` threads (the calling
/// thread one of them).
fn deal<T: Send>(threads: usize, jobs: Vec<T>, work: &(dyn Fn(T) + Sync)) {
    let threads = threads.clamp(1, jobs.len().max(1));
    if threads == 1 {
        jobs.into_iter().for_each(work);
        return;
    }
    let mut shares: Vec<Vec<T>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, job) in jobs.into_iter().enumerate() {
        shares[i % threads].push(job);
    }
    std::thread::scope(|scope| {
        let mut shares = shares.into_iter();
        let first = shares.next();
        for share in shares {
            scope.spawn(move || share.into_iter().for_each(work));
        }
        if let Some(share) = first {
            share.into_iter().for_each(work);
        }
    });
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

    /// Largest error of `solve` on `A·x = b` for a known `x` (`a` row-major, `n × n`).
    fn solve_error(a: &[f64], n: usize, solve: impl Fn(&mut [f64])) -> f64 {
        let x_true: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut x: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| a[i * n + j] * x_true[j]).sum())
            .collect();
        solve(&mut x);
        x.iter()
            .zip(&x_true)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
    }

    #[test]
    fn lu_solves_systems_of_every_block_shape() {
        for n in [1, 2, 5, 63, 64, 65, 130, 200] {
            let a = matrix(n, n as u64);
            let lu = Lu::factor(a.clone(), n).unwrap();
            let err = solve_error(&a, n, |x| lu.solve(x));
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

    /// A symmetric positive-definite matrix: `M·Mᵀ + n·I`.
    fn spd(n: usize, seed: u64) -> Vec<f64> {
        let m = matrix(n, seed);
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..n).map(|k| m[i * n + k] * m[j * n + k]).sum::<f64>();
            }
            a[i * n + i] += n as f64;
        }
        a
    }

    /// Plain reference: the textbook unblocked Cholesky–Banachiewicz loop.
    fn plain_cholesky(a: &[f64], n: usize) -> Vec<f64> {
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
                l[i * n + j] = if i == j {
                    (a[i * n + i] - s).sqrt()
                } else {
                    (a[i * n + j] - s) / l[j * n + j]
                };
            }
        }
        l
    }

    #[test]
    fn cholesky_matches_the_plain_loop_solves_inverts_and_gives_the_determinant() {
        for n in [1, 2, 5, 63, 64, 65, 130, 200] {
            let a = spd(n, 7 + n as u64);
            let chol = Cholesky::factor(a.clone(), n, 1).unwrap();
            assert_eq!(chol.l, Cholesky::factor(a.clone(), n, 3).unwrap().l);
            let reference = plain_cholesky(&a, n);
            let err = chol
                .l
                .iter()
                .zip(&reference)
                .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
            assert!(err < 1e-10, "n {n}: factor error {err}");
            let log_det: f64 = 2.0 * (0..n).map(|i| reference[i * n + i].ln()).sum::<f64>();
            assert!((chol.log_determinant() - log_det).abs() < 1e-9 * log_det.abs().max(1.0));
            let err = solve_error(&a, n, |x| chol.solve(x));
            assert!(err < 1e-10, "n {n}: solve error {err}");
            // A · A⁻¹ = I.
            let inverse = chol.inverse(1);
            assert_eq!(
                inverse,
                chol.inverse(3),
                "n {n}: the thread count changed the bits"
            );
            for i in 0..n {
                for j in 0..n {
                    let v: f64 = (0..n).map(|k| a[i * n + k] * inverse[k * n + j]).sum();
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((v - want).abs() < 1e-9, "n {n}: (A·A⁻¹)[{i},{j}] = {v}");
                }
            }
            // L⁻¹ · L = I against the plain factor, zeros above the diagonal.
            let z = chol.lower_inverse(1);
            assert_eq!(
                z,
                chol.lower_inverse(3),
                "n {n}: the thread count changed the bits"
            );
            for i in 0..n {
                for j in 0..n {
                    let v: f64 = (0..n).map(|k| z[i * n + k] * reference[k * n + j]).sum();
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((v - want).abs() < 1e-9, "n {n}: (L⁻¹·L)[{i},{j}] = {v}");
                    if j > i {
                        assert_eq!(z[i * n + j], 0.0);
                    }
                }
            }
        }
    }

    /// A stop asked before the factorization gives no factor; one asked after some blocks
    /// ends it at the next block; one never asked gives the same factor as `factor`.
    #[test]
    fn a_factorization_stops_when_asked() {
        let n = 300;
        let a = spd(n, 11);
        assert_eq!(
            Lu::factor_until(a.clone(), n, &|| true).err(),
            Some(FactorEnd::Stopped)
        );
        let asked = std::cell::Cell::new(0);
        let stop_at_third = || {
            asked.set(asked.get() + 1);
            asked.get() >= 3
        };
        assert_eq!(
            Lu::factor_until(a.clone(), n, &stop_at_third).err(),
            Some(FactorEnd::Stopped)
        );
        assert_eq!(asked.get(), 3);
        let whole = Lu::factor_until(a.clone(), n, &|| false).unwrap();
        assert_eq!(whole.lu, Lu::factor(a, n).unwrap().lu);
    }

    #[test]
    fn an_indefinite_matrix_is_refused_with_its_column() {
        // [[1, 2], [2, 1]] has eigenvalues 3 and −1.
        assert_eq!(
            Cholesky::factor(vec![1.0, 2.0, 2.0, 1.0], 2, 1).unwrap_err(),
            NotPositiveDefinite { column: 1 }
        );
        assert!(Cholesky::factor(vec![f64::NAN], 1, 2).is_err());
    }
}
