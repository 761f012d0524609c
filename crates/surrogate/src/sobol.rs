//! Sobol' points (Joe and Kuo's direction numbers, up to [`MAX_DIMS`] dimensions), with
//! the linear matrix scrambling and digital shift that SciPy's `qmc.Sobol(scramble=True)`
//! applies, and the centred L2 discrepancy that judges a design.

use crate::error::check;
use crate::Result;
use fivedreg_rng::{RngCore, Stream};

/// The most dimensions a Sobol' sequence has here (the rows of the direction-number table).
pub const MAX_DIMS: usize = 64;

/// The most points a sequence gives (its 32 bits of resolution).
pub const MAX_POINTS: u64 = 1 << 32;

/// Primitive polynomials of Joe and Kuo's `new-joe-kuo-6.21201`, first 64 dimensions
/// (coefficients as bits, leading and trailing 1 included; the first dimension is the
/// van der Corput sequence), as SciPy's `qmc.Sobol` stores them.
const POLY: [u32; 64] = [
    1, 3, 7, 11, 13, 19, 25, 37, 41, 47, 55, 59, 61, 67, 91, 97, 103, 109, 115, 131, 137, 143, 145,
    157, 167, 171, 185, 191, 193, 203, 211, 213, 229, 239, 241, 247, 253, 285, 299, 301, 333, 351,
    355, 357, 361, 369, 391, 397, 425, 451, 463, 487, 501, 529, 539, 545, 557, 563, 601, 607, 617,
    623, 631, 637,
];
/// Their initial direction numbers m_1..m_s (zero past the degree s).
const M_INIT: [[u32; 9]; 64] = [
    [1, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 3, 0, 0, 0, 0, 0, 0, 0],
    [1, 3, 1, 0, 0, 0, 0, 0, 0],
    [1, 1, 1, 0, 0, 0, 0, 0, 0],
    [1, 1, 3, 3, 0, 0, 0, 0, 0],
    [1, 3, 5, 13, 0, 0, 0, 0, 0],
    [1, 1, 5, 5, 17, 0, 0, 0, 0],
    [1, 1, 5, 5, 5, 0, 0, 0, 0],
    [1, 1, 7, 11, 19, 0, 0, 0, 0],
    [1, 1, 5, 1, 1, 0, 0, 0, 0],
    [1, 1, 1, 3, 11, 0, 0, 0, 0],
    [1, 3, 5, 5, 31, 0, 0, 0, 0],
    [1, 3, 3, 9, 7, 49, 0, 0, 0],
    [1, 1, 1, 15, 21, 21, 0, 0, 0],
    [1, 3, 1, 13, 27, 49, 0, 0, 0],
    [1, 1, 1, 15, 7, 5, 0, 0, 0],
    [1, 3, 1, 15, 13, 25, 0, 0, 0],
    [1, 1, 5, 5, 19, 61, 0, 0, 0],
    [1, 3, 7, 11, 23, 15, 103, 0, 0],
    [1, 3, 7, 13, 13, 15, 69, 0, 0],
    [1, 1, 3, 13, 7, 35, 63, 0, 0],
    [1, 3, 5, 9, 1, 25, 53, 0, 0],
    [1, 3, 1, 13, 9, 35, 107, 0, 0],
    [1, 3, 1, 5, 27, 61, 31, 0, 0],
    [1, 1, 5, 11, 19, 41, 61, 0, 0],
    [1, 3, 5, 3, 3, 13, 69, 0, 0],
    [1, 1, 7, 13, 1, 19, 1, 0, 0],
    [1, 3, 7, 5, 13, 19, 59, 0, 0],
    [1, 1, 3, 9, 25, 29, 41, 0, 0],
    [1, 3, 5, 13, 23, 1, 55, 0, 0],
    [1, 3, 7, 3, 13, 59, 17, 0, 0],
    [1, 3, 1, 3, 5, 53, 69, 0, 0],
    [1, 1, 5, 5, 23, 33, 13, 0, 0],
    [1, 1, 7, 7, 1, 61, 123, 0, 0],
    [1, 1, 7, 9, 13, 61, 49, 0, 0],
    [1, 3, 3, 5, 3, 55, 33, 0, 0],
    [1, 3, 1, 15, 31, 13, 49, 245, 0],
    [1, 3, 5, 15, 31, 59, 63, 97, 0],
    [1, 3, 1, 11, 11, 11, 77, 249, 0],
    [1, 3, 1, 11, 27, 43, 71, 9, 0],
    [1, 1, 7, 15, 21, 11, 81, 45, 0],
    [1, 3, 7, 3, 25, 31, 65, 79, 0],
    [1, 3, 1, 1, 19, 11, 3, 205, 0],
    [1, 1, 5, 9, 19, 21, 29, 157, 0],
    [1, 3, 7, 11, 1, 33, 89, 185, 0],
    [1, 3, 3, 3, 15, 9, 79, 71, 0],
    [1, 3, 7, 11, 15, 39, 119, 27, 0],
    [1, 1, 3, 1, 11, 31, 97, 225, 0],
    [1, 1, 1, 3, 23, 43, 57, 177, 0],
    [1, 3, 7, 7, 17, 17, 37, 71, 0],
    [1, 3, 1, 5, 27, 63, 123, 213, 0],
    [1, 1, 3, 5, 11, 43, 53, 133, 0],
    [1, 3, 5, 5, 29, 17, 47, 173, 479],
    [1, 3, 3, 11, 3, 1, 109, 9, 69],
    [1, 1, 1, 5, 17, 39, 23, 5, 343],
    [1, 3, 1, 5, 25, 15, 31, 103, 499],
    [1, 1, 1, 11, 11, 17, 63, 105, 183],
    [1, 1, 5, 11, 9, 29, 97, 231, 363],
    [1, 1, 5, 15, 19, 45, 41, 7, 383],
    [1, 3, 7, 7, 31, 19, 83, 137, 221],
    [1, 1, 1, 3, 23, 15, 111, 223, 83],
    [1, 1, 5, 13, 31, 15, 55, 25, 161],
    [1, 1, 3, 13, 25, 47, 39, 87, 257],
];

/// A Sobol' sequence of `dims` dimensions, scrambled or not.
#[derive(Debug, Clone)]
pub struct SobolSequence {
    /// Direction numbers per dimension: `v[j][k]` is bit k's, most significant bit first.
    v: Vec<[u32; 32]>,
    /// The digital shift per dimension (0 unscrambled).
    shift: Vec<u32>,
}

/// The 32 direction numbers of dimension `j` (Bratley and Fox's recurrence, as SciPy's
/// `_initialize_v`).
fn directions(j: usize) -> [u32; 32] {
    let mut v = [0u32; 32];
    if j == 0 {
        for (k, vk) in v.iter_mut().enumerate() {
            *vk = 1 << (31 - k);
        }
        return v;
    }
    let p = POLY[j];
    let m = (32 - p.leading_zeros() - 1) as usize;
    for k in 0..m {
        v[k] = M_INIT[j][k] << (31 - k);
    }
    for k in m..32 {
        let mut new = v[k - m] ^ (v[k - m] >> m);
        for i in 1..m {
            if (p >> (m - i)) & 1 == 1 {
                new ^= v[k - i];
            }
        }
        v[k] = new;
    }
    v
}

/// Parity of the set bits of `x`.
fn parity(x: u32) -> u32 {
    x.count_ones() & 1
}

impl SobolSequence {
    /// The unscrambled sequence (its first point is the origin).
    pub fn new(dims: usize) -> Result<SobolSequence> {
        check(
            "Sobol' dimensions",
            dims,
            (1..=MAX_DIMS).contains(&dims),
            "1 to 64",
        )?;
        Ok(SobolSequence {
            v: (0..dims).map(directions).collect(),
            shift: vec![0; dims],
        })
    }

    /// The sequence scrambled by `seed` ([`Stream::Design`]): each dimension's direction
    /// numbers multiplied by a random unit lower-triangular bit matrix, then a random
    /// digital shift (Matoušek's linear matrix scrambling, as SciPy's). The points keep the
    /// sequence's stratification, and are uniform over the cube as a whole.
    pub fn scrambled(dims: usize, seed: u64) -> Result<SobolSequence> {
        let mut seq = SobolSequence::new(dims)?;
        let mut rng = fivedreg_rng::rng(seed, Stream::Design);
        for (v, shift) in seq.v.iter_mut().zip(seq.shift.iter_mut()) {
            // Row p of the matrix (output bit p, most significant first): its own bit and
            // random bits of the more significant positions.
            let rows: Vec<u32> = (0..32)
                .map(|p: u32| {
                    let own = 1u32 << (31 - p);
                    let above = if p == 0 { 0 } else { !0u32 << (32 - p) };
                    own | (rng.next_u32() & above)
                })
                .collect();
            for vk in v.iter_mut() {
                let x = *vk;
                *vk = rows
                    .iter()
                    .enumerate()
                    .fold(0, |acc, (p, row)| acc | (parity(row & x) << (31 - p)));
            }
            *shift = rng.next_u32();
        }
        Ok(seq)
    }

    /// Number of dimensions.
    pub fn dims(&self) -> usize {
        self.v.len()
    }

    /// Point `index` (Gray-code order, as SciPy draws them), as 32-bit integers.
    pub fn point_bits(&self, index: u64, out: &mut [u32]) {
        let gray = index ^ (index >> 1);
        for ((o, v), shift) in out.iter_mut().zip(&self.v).zip(&self.shift) {
            let mut x = *shift;
            for (k, vk) in v.iter().enumerate() {
                if (gray >> k) & 1 == 1 {
                    x ^= vk;
                }
            }
            *o = x;
        }
    }

    /// The first `n` points in [0, 1)^dims, row-major. Balanced when `n` is a power of 2.
    pub fn points(&self, n: usize) -> Result<Vec<f64>> {
        check(
            "number of Sobol' points",
            n,
            (n as u64) <= MAX_POINTS,
            "at most 2^32",
        )?;
        let d = self.dims();
        let mut bits = vec![0u32; d];
        let mut out = Vec::with_capacity(n * d);
        for i in 0..n as u64 {
            self.point_bits(i, &mut bits);
            out.extend(bits.iter().map(|&b| f64::from(b) * (1.0 / 4_294_967_296.0)));
        }
        Ok(out)
    }
}

/// The centred L2 discrepancy of row-major points in [0, 1]^d (Hickernell 1998; SciPy's
/// `qmc.discrepancy(method="CD")`): lower is more uniform.
pub fn centered_l2_discrepancy(points: &[f64], d: usize) -> f64 {
    let n = points.len() / d;
    if n == 0 {
        return f64::NAN;
    }
    let rows: Vec<&[f64]> = points.chunks_exact(d).collect();
    let mut single = 0.0;
    for row in &rows {
        let mut prod = 1.0;
        for &x in row.iter() {
            let a = (x - 0.5).abs();
            prod *= 1.0 + 0.5 * a - 0.5 * a * a;
        }
        single += prod;
    }
    let mut pairs = 0.0;
    for ri in &rows {
        for rj in &rows {
            let mut prod = 1.0;
            for (&x, &y) in ri.iter().zip(rj.iter()) {
                prod *= 1.0 + 0.5 * (x - 0.5).abs() + 0.5 * (y - 0.5).abs() - 0.5 * (x - y).abs();
            }
            pairs += prod;
        }
    }
    let n = n as f64;
    (13.0f64 / 12.0).powi(d as i32) - 2.0 / n * single + pairs / (n * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Integer points of SciPy 1.17's `qmc.Sobol(64, scramble=False, bits=32)`: for points
    /// 1000, 4095 and 123457, the XOR and the sum (mod 2^61 - 1) of all 64 coordinates, and
    /// the last coordinate.
    #[test]
    fn unscrambled_points_are_scipys() {
        let seq = SobolSequence::new(64).unwrap();
        let mut bits = [0u32; 64];
        for (i, xor, sum, last) in [
            (1000u64, 2919235584u32, 141482262528u64, 1916796928u32),
            (4095, 3724541952, 132472897536, 2377121792),
            (123457, 1249312768, 147472580608, 1941929984),
        ] {
            seq.point_bits(i, &mut bits);
            assert_eq!(bits.iter().fold(0, |a, b| a ^ b), xor, "point {i}");
            let s: u64 = bits.iter().map(|&b| u64::from(b)).sum();
            assert_eq!(s % ((1 << 61) - 1), sum, "point {i}");
            assert_eq!(bits[63], last, "point {i}");
        }
        // The first dimensions' first points, as tabulated by Joe and Kuo.
        let p = seq.points(4).unwrap();
        assert_eq!(&p[..2], &[0.0, 0.0]);
        assert_eq!(&p[64..66], &[0.5, 0.5]);
        assert_eq!(&p[128..130], &[0.75, 0.25]);
    }

    /// Scrambling keeps the (0, m, d)-net's stratification: with 2^m points, every interval
    /// [k/2^m, (k+1)/2^m) of each dimension holds exactly one point.
    #[test]
    fn scrambled_points_stay_stratified_and_depend_on_the_seed() {
        let n = 256;
        let a = SobolSequence::scrambled(10, 7).unwrap().points(n).unwrap();
        for j in 0..10 {
            let mut hit = vec![0; n];
            for row in a.chunks_exact(10) {
                hit[(row[j] * n as f64) as usize] += 1;
            }
            assert!(hit.iter().all(|&h| h == 1), "dimension {j}");
        }
        let b = SobolSequence::scrambled(10, 7).unwrap().points(n).unwrap();
        let c = SobolSequence::scrambled(10, 8).unwrap().points(n).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    /// The discrepancy against its definition's plain form in one dimension, where
    /// CD² = 13/12 − (2/n) Σ (1 + |x−½|/2 − |x−½|²/2) + (1/n²) ΣΣ (1 + |x−½|/2 + |y−½|/2 − |x−y|/2),
    /// evaluated by hand for the points {0.25, 0.75}: 13/12 − (1 + 1/8 − 1/32)·2·2/2/1·… .
    #[test]
    fn discrepancy_of_two_points() {
        // single: each point gives 1 + 1/8 - 1/32 = 35/32; sum 70/32; times 2/n = 1: 70/32.
        // pairs: (a,a),(b,b): 1 + 1/4 = 5/4 each; (a,b),(b,a): 1 + 1/4 - 1/4 = 1 each:
        // total 9/2, over n² = 4: 9/8.
        let expected = 13.0 / 12.0 - 70.0 / 32.0 + 9.0 / 8.0;
        let got = centered_l2_discrepancy(&[0.25, 0.75], 1);
        assert!((got - expected).abs() < 1e-15, "{got} vs {expected}");
    }
}
