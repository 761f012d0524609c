//! The one product kernel behind every layer operation:
//! `out[i][j] = epilogue(init[j] + Σ_p lhs[i][p] · rhs[p][j])`, with `rhs` and `out` row-major
//! and `lhs` strided (so a transposed operand costs nothing).
//!
//! Each output element is the same chain `acc = init; acc = acc + lhs·rhs` over `p` in
//! order, whichever tile or tail computes it, so row blocking and thread splits never
//! change results.

use std::sync::atomic::{AtomicU8, Ordering};

/// The left operand: element `(i, p)` is `data[i * row_stride + p * col_stride]`.
#[derive(Clone, Copy)]
pub(crate) struct Lhs<'a> {
    data: &'a [f32],
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Lhs<'a> {
    /// A row-major `? × cols` matrix.
    pub(crate) fn row_major(data: &'a [f32], cols: usize) -> Self {
        Lhs {
            data,
            row_stride: cols,
            col_stride: 1,
        }
    }
    /// The transpose of a row-major `rows × cols` matrix (so it is `cols × rows`).
    pub(crate) fn transposed(data: &'a [f32], rows: usize, cols: usize) -> Self {
        let _ = rows;
        Lhs {
            data,
            row_stride: 1,
            col_stride: cols,
        }
    }
}

/// What happens to an accumulated element as it is stored.
#[derive(Clone, Copy)]
pub(crate) enum Epilogue<'a> {
    /// Stored as is.
    Identity,
    /// `max(0, x)`, keeping NaN (so a divergence is not hidden).
    Relu,
    /// Kept where the same element of this `m × n` matrix is `> 0`, else 0 (ReLU backward).
    ReluMask(&'a [f32]),
}

/// The instruction sets the products can run on, from slowest to fastest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Simd {
    /// Plain Rust loops: multiply then add (no FMA), vectorized by the compiler for the
    /// baseline target.
    Portable = 0,
    /// AVX2 with FMA: 8-lane tiles.
    Avx2 = 1,
    /// AVX-512F (with AVX2 and FMA): 16-lane tiles. Same results as [`Simd::Avx2`]: every
    /// element is the same chain of fused multiply-adds.
    Avx512 = 2,
}

/// The cap set by [`set_simd_limit`], as a `Simd` discriminant.
static LIMIT: AtomicU8 = AtomicU8::new(Simd::Avx512 as u8);

/// What this CPU supports.
pub fn detected_simd() -> Simd {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx2") && has!("fma") {
            if cfg!(fivedreg_avx512) && has!("avx512f") {
                return Simd::Avx512;
            }
            return Simd::Avx2;
        }
    }
    Simd::Portable
}

/// Caps the instruction set used from now on, process-wide (for benchmarks and tests that
/// compare the paths). The products never use more than the CPU supports.
pub fn set_simd_limit(limit: Simd) {
    LIMIT.store(limit as u8, Ordering::Relaxed);
}

/// The instruction set the products use now: the CPU's, capped by [`set_simd_limit`].
pub fn active_simd() -> Simd {
    let limit = match LIMIT.load(Ordering::Relaxed) {
        0 => Simd::Portable,
        1 => Simd::Avx2,
        _ => Simd::Avx512,
    };
    detected_simd().min(limit)
}

/// Checks every shape, then runs the fastest kernel this CPU supports.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    m: usize,
    k: usize,
    n: usize,
    lhs: Lhs<'_>,
    rhs: &[f32],
    init: Option<&[f32]>,
    epilogue: Epilogue<'_>,
    out: &mut [f32],
) {
    if m == 0 || n == 0 {
        return;
    }
    if k > 0 {
        let last = (m - 1) * lhs.row_stride + (k - 1) * lhs.col_stride;
        assert!(last < lhs.data.len(), "left operand too short for {m}x{k}");
    }
    assert!(rhs.len() >= k * n, "right operand too short for {k}x{n}");
    assert!(out.len() >= m * n, "output too short for {m}x{n}");
    if let Some(init) = init {
        assert!(init.len() >= n, "bias too short for {n} columns");
    }
    if let Epilogue::ReluMask(mask) = epilogue {
        assert!(mask.len() >= m * n, "mask too short for {m}x{n}");
    }
    match active_simd() {
        #[cfg(all(target_arch = "x86_64", fivedreg_avx512))]
        Simd::Avx512 => {
            // SAFETY: the CPU supports AVX-512F, AVX2 and FMA (`active_simd` never exceeds
            // `detected_simd`), and every index the kernel touches is below the lengths
            // asserted above: lhs up to `last`, rhs below k*n, out and mask below m*n, init
            // below n.
            unsafe { x86::gemm_avx512(m, k, n, lhs, rhs, init, epilogue, out) }
        }
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => {
            // SAFETY: as above, with AVX2 and FMA.
            unsafe { x86::gemm_avx2(m, k, n, lhs, rhs, init, epilogue, out) }
        }
        _ => portable(m, k, n, lhs, rhs, init, epilogue, out),
    }
}

/// Plain loops (vectorized over `j` by the compiler): multiply then add, no FMA.
#[allow(clippy::too_many_arguments)]
fn portable(
    m: usize,
    k: usize,
    n: usize,
    lhs: Lhs<'_>,
    rhs: &[f32],
    init: Option<&[f32]>,
    epilogue: Epilogue<'_>,
    out: &mut [f32],
) {
    for i in 0..m {
        let row = &mut out[i * n..(i + 1) * n];
        match init {
            Some(init) => row.copy_from_slice(&init[..n]),
            None => row.fill(0.0),
        }
        for p in 0..k {
            let a = lhs.data[i * lhs.row_stride + p * lhs.col_stride];
            for (o, b) in row.iter_mut().zip(&rhs[p * n..(p + 1) * n]) {
                *o += a * b;
            }
        }
        match epilogue {
            Epilogue::Identity => {}
            Epilogue::Relu => {
                for o in row.iter_mut() {
                    if *o < 0.0 {
                        *o = 0.0;
                    }
                }
            }
            Epilogue::ReluMask(mask) => {
                for (o, m) in row.iter_mut().zip(&mask[i * n..(i + 1) * n]) {
                    // NaN in the mask cuts the gradient, as the SIMD compare does.
                    if m.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                        *o = 0.0;
                    }
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Epilogue, Lhs};
    use std::arch::x86_64::*;

    /// Rows per register tile.
    const MR: usize = 6;

    /// Raw view of the operands for the tile functions.
    #[derive(Clone, Copy)]
    struct Ops {
        k: usize,
        n: usize,
        a: *const f32,
        a_rs: usize,
        a_cs: usize,
        b: *const f32,
        init: *const f32,
        mask: *const f32,
        relu: bool,
        out: *mut f32,
    }

    impl Ops {
        fn new(
            k: usize,
            n: usize,
            lhs: Lhs<'_>,
            rhs: &[f32],
            init: Option<&[f32]>,
            epilogue: Epilogue<'_>,
            out: &mut [f32],
        ) -> Ops {
            Ops {
                k,
                n,
                a: lhs.data.as_ptr(),
                a_rs: lhs.row_stride,
                a_cs: lhs.col_stride,
                b: rhs.as_ptr(),
                init: init.map_or(std::ptr::null(), <[f32]>::as_ptr),
                mask: match epilogue {
                    Epilogue::ReluMask(mask) => mask.as_ptr(),
                    _ => std::ptr::null(),
                },
                relu: matches!(epilogue, Epilogue::Relu),
                out: out.as_mut_ptr(),
            }
        }
    }

    #[cfg(fivedreg_avx512)]
    #[clippy::msrv = "1.89"] // only built by compilers that have AVX-512 (build.rs)
    /// # Safety
    /// The CPU must support AVX-512F, AVX2 and FMA, and the slices must hold the shapes
    /// (checked by the caller, `super::gemm`).
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn gemm_avx512(
        m: usize,
        k: usize,
        n: usize,
        lhs: Lhs<'_>,
        rhs: &[f32],
        init: Option<&[f32]>,
        epilogue: Epilogue<'_>,
        out: &mut [f32],
    ) {
        let ops = Ops::new(k, n, lhs, rhs, init, epilogue, out);
        if n == 1 && lhs.col_stride == 1 && k >= 8 {
            for i in 0..m {
                // SAFETY: row i < m.
                unsafe { dot_row(ops, i) };
            }
            return;
        }
        // Ten-row tiles when the rows come in tens (100-row shards), else eight (weight
        // gradients have 64, 32 or 16 rows; prediction chunks 128): no ragged last block.
        let mut i = 0;
        if m & 7 != 0 && m >= 10 {
            while i + 10 <= m {
                // SAFETY: rows i..i+10 are below m; the caller's contract covers the rest.
                unsafe { row_block512::<10>(ops, i) };
                i += 10;
            }
        }
        while i + MR512 <= m {
            // SAFETY: rows i..i+MR512 are below m; the caller's contract covers the rest.
            unsafe { row_block512::<MR512>(ops, i) };
            i += MR512;
        }
        // SAFETY (all arms): rows i..m are below m.
        match m - i {
            0 => {}
            1 => unsafe { row_block512::<1>(ops, i) },
            2 => unsafe { row_block512::<2>(ops, i) },
            3 => unsafe { row_block512::<3>(ops, i) },
            4 => unsafe { row_block512::<4>(ops, i) },
            5 => unsafe { row_block512::<5>(ops, i) },
            6 => unsafe { row_block512::<6>(ops, i) },
            _ => unsafe { row_block512::<7>(ops, i) },
        }
    }

    #[cfg(fivedreg_avx512)]
    /// Rows per AVX-512 register tile (ten-row tiles are used where they fit better).
    const MR512: usize = 8;

    #[cfg(fivedreg_avx512)]
    #[clippy::msrv = "1.89"]
    /// Rows `i..i+R`, every column: 32- and 16-column AVX-512 tiles, then the AVX2 and
    /// scalar tails (the same chains, so the same bits).
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    unsafe fn row_block512<const R: usize>(ops: Ops, i: usize) {
        let mut j = 0;
        while j + 32 <= ops.n {
            // SAFETY: columns j..j+32 are below n.
            unsafe { tile512::<R, 2>(ops, i, j) };
            j += 32;
        }
        if j + 16 <= ops.n {
            // SAFETY: columns j..j+16 are below n.
            unsafe { tile512::<R, 1>(ops, i, j) };
            j += 16;
        }
        if j + 8 <= ops.n {
            // SAFETY: columns j..j+8 are below n.
            unsafe { tile::<R, 1>(ops, i, j) };
            j += 8;
        }
        while j < ops.n {
            for r in 0..R {
                // SAFETY: row i+r < m and column j < n.
                unsafe { scalar(ops, i + r, j) };
            }
            j += 1;
        }
    }

    #[cfg(fivedreg_avx512)]
    #[clippy::msrv = "1.89"]
    /// One `R × 16V` tile at rows `i..`, columns `j..`, in 16-lane registers.
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    unsafe fn tile512<const R: usize, const V: usize>(ops: Ops, i: usize, j: usize) {
        // SAFETY (whole body): the caller guarantees rows i..i+R < m and columns
        // j..j+16V <= n, so every pointer offset stays inside the checked operands.
        unsafe {
            let mut acc = [[_mm512_setzero_ps(); V]; R];
            if !ops.init.is_null() {
                for v in 0..V {
                    let bias = _mm512_loadu_ps(ops.init.add(j + 16 * v));
                    for row in acc.iter_mut() {
                        row[v] = bias;
                    }
                }
            }
            let mut a_ptrs = [std::ptr::null::<f32>(); R];
            for (r, p) in a_ptrs.iter_mut().enumerate() {
                *p = ops.a.add((i + r) * ops.a_rs);
            }
            let mut b = ops.b.add(j);
            for p in 0..ops.k {
                let mut bv = [_mm512_setzero_ps(); V];
                for (v, x) in bv.iter_mut().enumerate() {
                    *x = _mm512_loadu_ps(b.add(16 * v));
                }
                for r in 0..R {
                    let a = _mm512_set1_ps(*a_ptrs[r].add(p * ops.a_cs));
                    for v in 0..V {
                        acc[r][v] = _mm512_fmadd_ps(a, bv[v], acc[r][v]);
                    }
                }
                b = b.add(ops.n);
            }
            let zero = _mm512_setzero_ps();
            for (r, row) in acc.iter().enumerate() {
                for (v, &x) in row.iter().enumerate() {
                    let at = (i + r) * ops.n + j + 16 * v;
                    let y = if ops.relu {
                        // max(0, x) returns x when x is NaN, like the AVX2 and scalar paths.
                        _mm512_max_ps(zero, x)
                    } else if !ops.mask.is_null() {
                        let m = _mm512_loadu_ps(ops.mask.add(at));
                        _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_GT_OQ>(m, zero), x)
                    } else {
                        x
                    };
                    _mm512_storeu_ps(ops.out.add(at), y);
                }
            }
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA, and the slices must hold the shapes (checked by
    /// the caller, `super::gemm`).
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn gemm_avx2(
        m: usize,
        k: usize,
        n: usize,
        lhs: Lhs<'_>,
        rhs: &[f32],
        init: Option<&[f32]>,
        epilogue: Epilogue<'_>,
        out: &mut [f32],
    ) {
        let ops = Ops::new(k, n, lhs, rhs, init, epilogue, out);
        if n == 1 && lhs.col_stride == 1 && k >= 8 {
            // A matrix-vector product (the output layer): one dot product per row.
            for i in 0..m {
                // SAFETY: row i < m.
                unsafe { dot_row(ops, i) };
            }
            return;
        }
        let mut i = 0;
        while i + MR <= m {
            // SAFETY: rows i..i+MR are below m; the caller's contract covers the rest.
            unsafe { row_block::<MR>(ops, i) };
            i += MR;
        }
        // SAFETY (all arms): rows i..m are below m.
        match m - i {
            0 => {}
            1 => unsafe { row_block::<1>(ops, i) },
            2 => unsafe { row_block::<2>(ops, i) },
            3 => unsafe { row_block::<3>(ops, i) },
            4 => unsafe { row_block::<4>(ops, i) },
            _ => unsafe { row_block::<5>(ops, i) },
        }
    }

    /// Rows `i..i+R`, every column.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn row_block<const R: usize>(ops: Ops, i: usize) {
        let mut j = 0;
        while j + 16 <= ops.n {
            // SAFETY: columns j..j+16 are below n.
            unsafe { tile::<R, 2>(ops, i, j) };
            j += 16;
        }
        if j + 8 <= ops.n {
            // SAFETY: columns j..j+8 are below n.
            unsafe { tile::<R, 1>(ops, i, j) };
            j += 8;
        }
        while j < ops.n {
            for r in 0..R {
                // SAFETY: row i+r < m and column j < n.
                unsafe { scalar(ops, i + r, j) };
            }
            j += 1;
        }
    }

    /// One `R × 8V` tile at rows `i..`, columns `j..`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn tile<const R: usize, const V: usize>(ops: Ops, i: usize, j: usize) {
        // SAFETY (whole body): the caller guarantees rows i..i+R < m and columns j..j+8V <= n,
        // so every pointer offset below stays inside the operands checked by `super::gemm`.
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); V]; R];
            if !ops.init.is_null() {
                for v in 0..V {
                    let bias = _mm256_loadu_ps(ops.init.add(j + 8 * v));
                    for row in acc.iter_mut() {
                        row[v] = bias;
                    }
                }
            }
            let mut a_ptrs = [std::ptr::null::<f32>(); R];
            for (r, p) in a_ptrs.iter_mut().enumerate() {
                *p = ops.a.add((i + r) * ops.a_rs);
            }
            let mut b = ops.b.add(j);
            for p in 0..ops.k {
                let mut bv = [_mm256_setzero_ps(); V];
                for (v, x) in bv.iter_mut().enumerate() {
                    *x = _mm256_loadu_ps(b.add(8 * v));
                }
                for r in 0..R {
                    let a = _mm256_set1_ps(*a_ptrs[r].add(p * ops.a_cs));
                    for v in 0..V {
                        acc[r][v] = _mm256_fmadd_ps(a, bv[v], acc[r][v]);
                    }
                }
                b = b.add(ops.n);
            }
            let zero = _mm256_setzero_ps();
            for (r, row) in acc.iter().enumerate() {
                for (v, &x) in row.iter().enumerate() {
                    let at = (i + r) * ops.n + j + 8 * v;
                    let y = if ops.relu {
                        // max(0, x) returns x when x is NaN: divergence stays visible.
                        _mm256_max_ps(zero, x)
                    } else if !ops.mask.is_null() {
                        let m = _mm256_loadu_ps(ops.mask.add(at));
                        _mm256_and_ps(_mm256_cmp_ps::<_CMP_GT_OQ>(m, zero), x)
                    } else {
                        x
                    };
                    _mm256_storeu_ps(ops.out.add(at), y);
                }
            }
        }
    }

    /// Output `(i, 0)` of a one-column product with a row-major left operand: eight lanes
    /// of FMA chains over `p`, summed pairwise, then the tail, then the bias. Every row takes
    /// this same path.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn dot_row(ops: Ops, i: usize) {
        // SAFETY (whole body): i < m, the left operand is row-major with k >= 8 columns and
        // the right operand has k rows of one column, as `gemm` checked.
        unsafe {
            let a = ops.a.add(i * ops.a_rs);
            let mut acc = _mm256_setzero_ps();
            let mut p = 0;
            while p + 8 <= ops.k {
                acc = _mm256_fmadd_ps(
                    _mm256_loadu_ps(a.add(p)),
                    _mm256_loadu_ps(ops.b.add(p)),
                    acc,
                );
                p += 8;
            }
            let quad = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps::<1>(acc));
            let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
            let mut sum = _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps::<1>(pair, pair)));
            while p < ops.k {
                sum = (*a.add(p)).mul_add(*ops.b.add(p), sum);
                p += 1;
            }
            if !ops.init.is_null() {
                sum += *ops.init;
            }
            let y = if ops.relu {
                if sum < 0.0 {
                    0.0
                } else {
                    sum
                }
            } else if !ops.mask.is_null() {
                if *ops.mask.add(i) > 0.0 {
                    sum
                } else {
                    0.0
                }
            } else {
                sum
            };
            *ops.out.add(i) = y;
        }
    }

    /// One element `(i, j)`, the same operation chain as a tile lane.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn scalar(ops: Ops, i: usize, j: usize) {
        // SAFETY (whole body): i < m and j < n, as the caller guarantees.
        unsafe {
            let mut acc = if ops.init.is_null() {
                0.0
            } else {
                *ops.init.add(j)
            };
            let a = ops.a.add(i * ops.a_rs);
            for p in 0..ops.k {
                acc = (*a.add(p * ops.a_cs)).mul_add(*ops.b.add(p * ops.n + j), acc);
            }
            let at = i * ops.n + j;
            let y = if ops.relu {
                if acc < 0.0 {
                    0.0
                } else {
                    acc
                }
            } else if !ops.mask.is_null() {
                if *ops.mask.add(at) > 0.0 {
                    acc
                } else {
                    0.0
                }
            } else {
                acc
            };
            *ops.out.add(at) = y;
        }
    }
}
