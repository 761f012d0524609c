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

/// One product `out = epilogue(init + lhs · rhs)`: everything but the output.
#[derive(Clone, Copy)]
pub(crate) struct Product<'a> {
    /// Rows of the left operand and of the output.
    pub(crate) m: usize,
    /// Columns of the left operand, rows of the right one.
    pub(crate) k: usize,
    /// Columns of the right operand and of the output.
    pub(crate) n: usize,
    /// The `m × k` left operand.
    pub(crate) lhs: Lhs<'a>,
    /// The `k × n` right operand, row-major.
    pub(crate) rhs: &'a [f32],
    /// What each output row starts from (the bias, `n` values), else 0.
    pub(crate) init: Option<&'a [f32]>,
    /// What happens to each element as it is stored.
    pub(crate) epilogue: Epilogue<'a>,
}

/// Checks every shape, then runs the fastest kernel this CPU supports; `out` is `m × n`,
/// row-major.
pub(crate) fn gemm(product: Product<'_>, out: &mut [f32]) {
    let Product {
        m,
        k,
        n,
        lhs,
        rhs,
        init,
        epilogue,
    } = product;
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
            let ops = x86::Ops::new(product, out);
            // SAFETY: `active_simd` never exceeds `detected_simd`, so the CPU has AVX-512F,
            // AVX2 and FMA; every element the kernel reads or writes is inside the lengths
            // asserted above (lhs up to `last`, rhs below k*n, out and mask below m*n, init
            // below n), and `ops` was made from those slices just now.
            unsafe { x86::gemm_avx512(ops) }
        }
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => {
            let ops = x86::Ops::new(product, out);
            // SAFETY: `active_simd` never exceeds `detected_simd`, so the CPU has AVX2 and
            // FMA; every element the kernel reads or writes is inside the lengths asserted
            // above, and `ops` was made from those slices just now.
            unsafe { x86::gemm_avx2(ops) }
        }
        _ => portable(product, out),
    }
}

/// Plain loops (vectorized over `j` by the compiler): multiply then add, no FMA.
fn portable(product: Product<'_>, out: &mut [f32]) {
    let (m, k, n, lhs, rhs) = (product.m, product.k, product.n, product.lhs, product.rhs);
    for i in 0..m {
        let row = &mut out[i * n..(i + 1) * n];
        match product.init {
            Some(init) => row.copy_from_slice(&init[..n]),
            None => row.fill(0.0),
        }
        for p in 0..k {
            let a = lhs.data[i * lhs.row_stride + p * lhs.col_stride];
            for (o, b) in row.iter_mut().zip(&rhs[p * n..(p + 1) * n]) {
                *o += a * b;
            }
        }
        match product.epilogue {
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

/// The AVX2 and AVX-512 kernels: one tiled body, generic over the vector register (the
/// `Register` trait), compiled inside each instruction set's `#[target_feature]` entry point.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Epilogue, Product};
    use std::arch::x86_64::*;

    /// Raw view of the operands of one product, made from the slices `super::gemm` checked.
    #[derive(Clone, Copy)]
    pub(super) struct Ops {
        m: usize,
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
        pub(super) fn new(product: Product<'_>, out: &mut [f32]) -> Ops {
            Ops {
                m: product.m,
                k: product.k,
                n: product.n,
                a: product.lhs.data.as_ptr(),
                a_rs: product.lhs.row_stride,
                a_cs: product.lhs.col_stride,
                b: product.rhs.as_ptr(),
                init: product.init.map_or(std::ptr::null(), <[f32]>::as_ptr),
                mask: match product.epilogue {
                    Epilogue::ReluMask(mask) => mask.as_ptr(),
                    _ => std::ptr::null(),
                },
                relu: matches!(product.epilogue, Epilogue::Relu),
                out: out.as_mut_ptr(),
            }
        }
    }

    /// An f32 vector register and the few instructions a tile needs, so that one tile body
    /// serves AVX2 (`__m256`, 8 lanes) and AVX-512 (`__m512`, 16 lanes). Each method is one
    /// instruction (two for the mask) and always inlined, so it compiles to that instruction
    /// inside the `#[target_feature]` function that calls it.
    ///
    /// Safety of every method: the CPU must support the register's instruction set (with FMA
    /// for `mul_add`), and a pointer must have `LANES` readable (or, for `store`, writable)
    /// f32 behind it.
    trait Register: Copy {
        /// f32 lanes in one register.
        const LANES: usize;
        /// All lanes 0.
        unsafe fn zero() -> Self;
        /// All lanes `x`.
        unsafe fn splat(x: f32) -> Self;
        /// `LANES` values from `p` (unaligned).
        unsafe fn load(p: *const f32) -> Self;
        /// Writes the lanes to `p` (unaligned).
        unsafe fn store(self, p: *mut f32);
        /// `self · b + acc` with one rounding (fused multiply-add).
        unsafe fn mul_add(self, b: Self, acc: Self) -> Self;
        /// `max(0, self)`, keeping NaN lanes (so a divergence stays visible), as the scalar
        /// path does.
        unsafe fn relu(self) -> Self;
        /// `self` where `mask > 0`, else 0; a NaN in the mask gives 0, as the scalar path does.
        unsafe fn where_positive(self, mask: Self) -> Self;
        /// [`tile_body`] compiled as a function of this register's instruction set, which
        /// LLVM optimizes on its own before inlining it, as it did when each instruction set
        /// had its own copy of the tile. (Inlining the generic body straight into the kernel
        /// cost up to 2% more instructions on some layer shapes: docs/performance.md, step 14.)
        ///
        /// # Safety
        /// As [`tile_body`].
        unsafe fn tile<const R: usize, const V: usize>(ops: Ops, i: usize, j: usize);
    }

    /// Implements [`Register`] for one register type from its instructions: a table, one
    /// instruction per method.
    macro_rules! register {
        (
            $(#[$attr:meta])*
            $reg:ty, lanes: $lanes:literal, target_feature: $features:literal,
            zero: $zero:ident, splat: $splat:ident, load: $load:ident, store: $store:ident,
            mul_add: $fmadd:ident, max: $max:ident,
            where_positive: |$x:ident, $mask:ident, $zero_v:ident| $where_positive:expr $(,)?
        ) => {
            $(#[$attr])*
            impl Register for $reg {
                const LANES: usize = $lanes;
                #[inline(always)]
                unsafe fn zero() -> Self {
                    // SAFETY: the method's contract: the CPU has the register's instructions.
                    unsafe { $zero() }
                }
                #[inline(always)]
                unsafe fn splat(x: f32) -> Self {
                    // SAFETY: the method's contract: the CPU has the register's instructions.
                    unsafe { $splat(x) }
                }
                #[inline(always)]
                unsafe fn load(p: *const f32) -> Self {
                    // SAFETY: the method's contract: the CPU has the register's instructions
                    // and LANES values are readable at p.
                    unsafe { $load(p) }
                }
                #[inline(always)]
                unsafe fn store(self, p: *mut f32) {
                    // SAFETY: the method's contract: the CPU has the register's instructions
                    // and LANES values are writable at p.
                    unsafe { $store(p, self) }
                }
                #[inline(always)]
                unsafe fn mul_add(self, b: Self, acc: Self) -> Self {
                    // SAFETY: the method's contract: the CPU has the register's instructions
                    // and FMA.
                    unsafe { $fmadd(self, b, acc) }
                }
                #[inline(always)]
                unsafe fn relu(self) -> Self {
                    // SAFETY: the method's contract: the CPU has the register's instructions.
                    // (max returns its second operand when either is NaN.)
                    unsafe { $max($zero(), self) }
                }
                #[inline(always)]
                unsafe fn where_positive(self, mask: Self) -> Self {
                    // SAFETY: the method's contract: the CPU has the register's instructions.
                    unsafe {
                        let ($x, $mask, $zero_v) = (self, mask, $zero());
                        $where_positive
                    }
                }
                #[target_feature(enable = $features)]
                #[inline]
                unsafe fn tile<const R: usize, const V: usize>(ops: Ops, i: usize, j: usize) {
                    // SAFETY: the caller guarantees what `tile_body` needs (this function's
                    // contract), and the register's instructions and FMA are enabled here.
                    unsafe { tile_body::<Self, R, V>(ops, i, j) }
                }
            }
        };
    }

    register! {
        __m256, lanes: 8, target_feature: "avx2,fma",
        zero: _mm256_setzero_ps, splat: _mm256_set1_ps, load: _mm256_loadu_ps,
        store: _mm256_storeu_ps, mul_add: _mm256_fmadd_ps, max: _mm256_max_ps,
        where_positive: |x, mask, zero| _mm256_and_ps(_mm256_cmp_ps::<_CMP_GT_OQ>(mask, zero), x),
    }

    #[cfg(fivedreg_avx512)]
    register! {
        #[clippy::msrv = "1.89"] // only built by compilers that have AVX-512 (build.rs)
        __m512, lanes: 16, target_feature: "avx512f,avx2,fma",
        zero: _mm512_setzero_ps, splat: _mm512_set1_ps, load: _mm512_loadu_ps,
        store: _mm512_storeu_ps, mul_add: _mm512_fmadd_ps, max: _mm512_max_ps,
        where_positive: |x, mask, zero| {
            _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_GT_OQ>(mask, zero), x)
        },
    }

    /// # Safety
    /// The CPU must support AVX-512F, AVX2 and FMA, and `ops` must come from slices that hold
    /// its shapes (checked by the caller, `super::gemm`).
    #[cfg(fivedreg_avx512)]
    #[clippy::msrv = "1.89"] // only built by compilers that have AVX-512 (build.rs)
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn gemm_avx512(ops: Ops) {
        // 32 registers: tiles of 8 (or 10) rows × 2 registers leave room for the right
        // operand's two registers and the broadcast.
        // SAFETY: this function's contract, which is `tiles`'s.
        unsafe { tiles::<__m512, 8, true>(ops) }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA, and `ops` must come from slices that hold its shapes
    /// (checked by the caller, `super::gemm`).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn gemm_avx2(ops: Ops) {
        // 16 registers: 6 rows × 2 registers of accumulators, 2 of the right operand, 1
        // broadcast.
        // SAFETY: this function's contract, which is `tiles`'s.
        unsafe { tiles::<__m256, 6, false>(ops) }
    }

    /// The whole product in tiles of `MR` rows (ten rows when `TEN_ROW_TILES` and the rows
    /// come in tens but not in `MR`s, as 100-row shards do: no ragged last block), or one dot
    /// product per row for a one-column output.
    ///
    /// # Safety
    /// The CPU supports `L`'s instruction set, AVX2 and FMA, and `ops` comes from slices that
    /// hold its shapes.
    #[inline(always)]
    unsafe fn tiles<L: Register, const MR: usize, const TEN_ROW_TILES: bool>(ops: Ops) {
        const { assert!(MR <= 8, "the row tail below covers fewer than 8 rows") };
        let m = ops.m;
        if ops.n == 1 && ops.a_cs == 1 && ops.k >= 8 {
            // A matrix-vector product (the output layer).
            for i in 0..m {
                // SAFETY: row i < m; the caller's contract covers the rest.
                unsafe { dot_row(ops, i) };
            }
            return;
        }
        let mut i = 0;
        if TEN_ROW_TILES && !m.is_multiple_of(MR) && m >= 10 {
            while i + 10 <= m {
                // SAFETY: rows i..i+10 are below m; the caller's contract covers the rest.
                unsafe { row_block::<L, 10>(ops, i) };
                i += 10;
            }
        }
        while i + MR <= m {
            // SAFETY: rows i..i+MR are below m; the caller's contract covers the rest.
            unsafe { row_block::<L, MR>(ops, i) };
            i += MR;
        }
        // SAFETY: each arm covers exactly the m - i (< MR) rows left, all below m; the
        // caller's contract covers the rest.
        unsafe {
            match m - i {
                1 => row_block::<L, 1>(ops, i),
                2 => row_block::<L, 2>(ops, i),
                3 => row_block::<L, 3>(ops, i),
                4 => row_block::<L, 4>(ops, i),
                5 => row_block::<L, 5>(ops, i),
                6 if MR > 6 => row_block::<L, 6>(ops, i),
                7 if MR > 7 => row_block::<L, 7>(ops, i),
                _ => {} // no row left
            }
        }
    }

    /// Rows `i..i+R`, every column: tiles of two registers, then one, then (with AVX-512) an
    /// AVX2 register, then single elements; every element gets the same chain, so the bits
    /// do not depend on which of these computes it.
    ///
    /// # Safety
    /// As [`tiles`], and rows `i..i+R` are below m.
    #[inline(always)]
    unsafe fn row_block<L: Register, const R: usize>(ops: Ops, i: usize) {
        let mut j = 0;
        while j + 2 * L::LANES <= ops.n {
            // SAFETY: columns j..j+2·LANES are below n; the caller's contract covers the rest.
            unsafe { L::tile::<R, 2>(ops, i, j) };
            j += 2 * L::LANES;
        }
        if j + L::LANES <= ops.n {
            // SAFETY: columns j..j+LANES are below n; the caller's contract covers the rest.
            unsafe { L::tile::<R, 1>(ops, i, j) };
            j += L::LANES;
        }
        if L::LANES > 8 && j + 8 <= ops.n {
            // SAFETY: columns j..j+8 are below n, and the AVX-512 caller has AVX2 too.
            unsafe { __m256::tile::<R, 1>(ops, i, j) };
            j += 8;
        }
        while j < ops.n {
            for r in 0..R {
                // SAFETY: row i+r < m and column j < n; the CPU has AVX2 and FMA.
                unsafe { scalar(ops, i + r, j) };
            }
            j += 1;
        }
    }

    /// One tile of `R` rows × `V` registers at rows `i..`, columns `j..`: the accumulators
    /// start at the bias (or 0), take one fused multiply-add per `p` in order, and pass
    /// through the epilogue as they are stored.
    ///
    /// # Safety
    /// As [`tiles`], rows `i..i+R` are below m and columns `j..j+V·LANES` below n.
    #[inline(always)]
    unsafe fn tile_body<L: Register, const R: usize, const V: usize>(ops: Ops, i: usize, j: usize) {
        // SAFETY: the CPU supports L's instructions and FMA (the caller's contract). Every pointer
        // stays inside the checked operands: the bias is read at columns j..j+V·LANES <= n;
        // row i+r < m of the left operand at p < k; row p < k of the right operand at the
        // same columns; out and mask at rows < m and columns < n.
        unsafe {
            let mut acc = [[L::zero(); V]; R];
            if !ops.init.is_null() {
                for v in 0..V {
                    let bias = L::load(ops.init.add(j + L::LANES * v));
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
                let mut bv = [L::zero(); V];
                for (v, x) in bv.iter_mut().enumerate() {
                    *x = L::load(b.add(L::LANES * v));
                }
                for r in 0..R {
                    let a = L::splat(*a_ptrs[r].add(p * ops.a_cs));
                    for v in 0..V {
                        acc[r][v] = a.mul_add(bv[v], acc[r][v]);
                    }
                }
                b = b.add(ops.n);
            }
            for (r, row) in acc.iter().enumerate() {
                for (v, &x) in row.iter().enumerate() {
                    let at = (i + r) * ops.n + j + L::LANES * v;
                    let y = if ops.relu {
                        x.relu()
                    } else if !ops.mask.is_null() {
                        x.where_positive(L::load(ops.mask.add(at)))
                    } else {
                        x
                    };
                    y.store(ops.out.add(at));
                }
            }
        }
    }

    /// Output `(i, 0)` of a one-column product with a row-major left operand: eight lanes
    /// of FMA chains over `p`, summed pairwise, then the tail, then the bias. Every row takes
    /// this same path, on AVX2 and AVX-512 alike.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA, `ops` comes from slices that hold its shapes, i < m,
    /// and the left operand is row-major.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn dot_row(ops: Ops, i: usize) {
        // SAFETY: the CPU has AVX2 and FMA; row i < m of the row-major left operand and the
        // right operand's one column both hold k values, and p < k at every read; the bias
        // has one value; out and mask are used at row i < m (n = 1).
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
            store_scalar(ops, i, sum);
        }
    }

    /// One element `(i, j)`, the same operation chain as a tile lane.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA, `ops` comes from slices that hold its shapes, i < m and
    /// j < n.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn scalar(ops: Ops, i: usize, j: usize) {
        // SAFETY: i < m and j < n: the bias is read at column j, the left operand at row i and
        // p < k, the right operand at row p < k and column j, out and mask at (i, j); the CPU
        // has FMA.
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
            store_scalar(ops, i * ops.n + j, acc);
        }
    }

    /// Stores one accumulated element at `out[at]` through the epilogue, as a tile lane does:
    /// ReLU keeps NaN, and the mask keeps the value only where it is `> 0` (not NaN).
    ///
    /// # Safety
    /// `ops` comes from slices that hold its shapes and `at < m·n`.
    #[inline(always)]
    unsafe fn store_scalar(ops: Ops, at: usize, acc: f32) {
        // SAFETY: at < m·n, inside the output and the mask (the caller's contract).
        unsafe {
            let y = if ops.relu {
                if acc < 0.0 {
                    0.0
                } else {
                    acc
                }
            } else if ops.mask.is_null() || *ops.mask.add(at) > 0.0 {
                acc
            } else {
                0.0
            };
            *ops.out.add(at) = y;
        }
    }
}
