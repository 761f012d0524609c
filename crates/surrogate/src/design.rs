//! Space-filling designs for the first runs, before there is a model: Latin hypercubes
//! optimised for spread, and scrambled Sobol' points.
//!
//! | parameter | default | meaning | valid |
//! |---|---|---|---|
//! | `n` | — | points | 1 to [`MAX_DESIGN_POINTS`] |
//! | `seed` | 42 | seed of the permutations, jitter and swaps (or the scrambling) | any `u64` |
//! | `swaps` (LHS) | `20·n`, capped so that the work stays near 2·10⁸ operations | column swaps tried | derived |

use crate::error::check;
use crate::sobol::SobolSequence;
use crate::{Bounds, Result};
use fivedreg_rng::Stream;

/// The most points a design has.
pub const MAX_DESIGN_POINTS: usize = 1_000_000;

/// A design's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesignKind {
    /// A Latin hypercube: each of the `n` equal intervals of each input holds one point.
    Lhs,
    /// Scrambled Sobol' points (balanced when `n` is a power of 2).
    Sobol,
}

impl DesignKind {
    /// The kind and size of `--lhs N` or `--sobol N`: exactly one of them.
    pub fn choose(lhs: Option<usize>, sobol: Option<usize>) -> Result<(DesignKind, usize)> {
        match (lhs, sobol) {
            (Some(n), None) => Ok((DesignKind::Lhs, n)),
            (None, Some(n)) => Ok((DesignKind::Sobol, n)),
            _ => Err(crate::SurrogateError::OneOf {
                first: "--lhs",
                second: "--sobol",
            }),
        }
    }

    /// `lhs` or `sobol`.
    pub fn name(self) -> &'static str {
        match self {
            DesignKind::Lhs => "lhs",
            DesignKind::Sobol => "sobol",
        }
    }
}

/// The Morris–Mitchell exponent of the spread criterion φ_p = Σ_{i<j} d_ij^(−p): large
/// enough that the closest pairs dominate (maximin), small enough to stay finite in f64.
const PHI_P: i32 = 15;

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The pair term d^(−p) of φ_p from a squared distance (a floor keeps coincident points
/// finite: they are then the worst pair by far).
fn pair_term(sq: f64) -> f64 {
    sq.max(1e-24).powf(-f64::from(PHI_P) / 2.0)
}

/// The sum of `pair_term` between row `i` and every other row.
fn row_phi(points: &[f64], d: usize, i: usize) -> f64 {
    let row = &points[i * d..(i + 1) * d];
    points
        .chunks_exact(d)
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(_, other)| pair_term(sq_dist(row, other)))
        .sum()
}

/// A Latin hypercube of `n` points in [0, 1)^d, row-major: a random permutation of the
/// intervals per input, a uniform jitter within each, then column swaps (of the values of
/// one input between two points) kept when they lower φ_15, i.e. push the closest points
/// apart. Swaps keep the hypercube's stratification.
pub fn lhs_unit(n: usize, d: usize, seed: u64) -> Result<Vec<f64>> {
    check(
        "--lhs",
        n,
        (1..=MAX_DESIGN_POINTS).contains(&n),
        "1 to 1000000",
    )?;
    check("inputs", d, d >= 1, "at least 1")?;
    let mut rng = fivedreg_rng::rng(seed, Stream::Design);
    let mut points = vec![0.0; n * d];
    for j in 0..d {
        let mut perm: Vec<usize> = (0..n).collect();
        fivedreg_rng::shuffle(&mut perm, &mut rng);
        for (i, cell) in perm.into_iter().enumerate() {
            let u = fivedreg_rng::unit_f64(&mut rng);
            points[i * d + j] = (cell as f64 + u) / n as f64;
        }
    }
    if n < 3 {
        return Ok(points);
    }
    // Each swap costs O(n·d): the total is kept near 2·10⁸ operations.
    let swaps = (20 * n).min(200_000_000 / (n * d)).max(1);
    let mut trial = vec![0.0; n * d];
    for _ in 0..swaps {
        let j = fivedreg_rng::below(&mut rng, d as u64) as usize;
        let a = fivedreg_rng::below(&mut rng, n as u64) as usize;
        let b = fivedreg_rng::below(&mut rng, n as u64) as usize;
        if a == b {
            continue;
        }
        // φ changes only in the pairs that involve a or b; the pair (a, b) is counted in
        // both rows' sums before and after, so it cancels out of the comparison alike.
        let before = row_phi(&points, d, a) + row_phi(&points, d, b);
        trial.copy_from_slice(&points);
        trial.swap(a * d + j, b * d + j);
        let after = row_phi(&trial, d, a) + row_phi(&trial, d, b);
        if after < before {
            points.swap(a * d + j, b * d + j);
        }
    }
    Ok(points)
}

/// `n` scrambled Sobol' points in [0, 1)^d, row-major.
pub fn sobol_unit(n: usize, d: usize, seed: u64) -> Result<Vec<f64>> {
    check(
        "--sobol",
        n,
        (1..=MAX_DESIGN_POINTS).contains(&n),
        "1 to 1000000",
    )?;
    SobolSequence::scrambled(d, seed)?.points(n)
}

/// A design of `n` points over `bounds`, row-major in the user's units.
pub fn design(kind: DesignKind, n: usize, bounds: &Bounds, seed: u64) -> Result<Vec<f64>> {
    let mut unit = match kind {
        DesignKind::Lhs => lhs_unit(n, bounds.dim(), seed)?,
        DesignKind::Sobol => sobol_unit(n, bounds.dim(), seed)?,
    };
    bounds.scale(&mut unit);
    Ok(unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sobol::centered_l2_discrepancy;

    fn stratified(points: &[f64], n: usize, d: usize) -> bool {
        (0..d).all(|j| {
            let mut hit = vec![0; n];
            for row in points.chunks_exact(d) {
                hit[(row[j] * n as f64) as usize] += 1;
            }
            hit.iter().all(|&h| h == 1)
        })
    }

    /// φ_p recomputed over all pairs, the plain way.
    fn phi(points: &[f64], d: usize) -> f64 {
        let rows: Vec<&[f64]> = points.chunks_exact(d).collect();
        let mut s = 0.0;
        for i in 0..rows.len() {
            for j in i + 1..rows.len() {
                s += pair_term(sq_dist(rows[i], rows[j]));
            }
        }
        s
    }

    #[test]
    fn lhs_is_stratified_spread_and_seeded() {
        for (n, d) in [(1, 3), (2, 2), (50, 3), (128, 5)] {
            let p = lhs_unit(n, d, 3).unwrap();
            assert!(stratified(&p, n, d), "n {n} d {d}");
            assert_eq!(p, lhs_unit(n, d, 3).unwrap());
        }
        // The swaps lower φ and the discrepancy against the unswapped start (same seed,
        // same permutations: swaps = 0 is the first stage alone).
        let (n, d) = (64, 4);
        let optimised = lhs_unit(n, d, 11).unwrap();
        let mut rng = fivedreg_rng::rng(11, Stream::Design);
        let mut start = vec![0.0; n * d];
        for j in 0..d {
            let mut perm: Vec<usize> = (0..n).collect();
            fivedreg_rng::shuffle(&mut perm, &mut rng);
            for (i, cell) in perm.into_iter().enumerate() {
                start[i * d + j] = (cell as f64 + fivedreg_rng::unit_f64(&mut rng)) / n as f64;
            }
        }
        assert!(phi(&optimised, d) < phi(&start, d));
        assert!(centered_l2_discrepancy(&optimised, d) < centered_l2_discrepancy(&start, d));
    }

    #[test]
    fn designs_are_scaled_into_the_box_and_sizes_checked() {
        let bounds =
            Bounds::from_specs(&crate::RangeSpec::parse_list("a=-5:10,b=0:15").unwrap()).unwrap();
        for kind in [DesignKind::Lhs, DesignKind::Sobol] {
            let p = design(kind, 32, &bounds, 1).unwrap();
            assert_eq!(p.len(), 64);
            for row in p.chunks_exact(2) {
                assert!((-5.0..10.0).contains(&row[0]) && (0.0..15.0).contains(&row[1]));
            }
        }
        assert!(design(DesignKind::Lhs, 0, &bounds, 1).is_err());
        assert!(design(DesignKind::Sobol, MAX_DESIGN_POINTS + 1, &bounds, 1).is_err());
    }
}
