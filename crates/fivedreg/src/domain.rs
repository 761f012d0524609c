//! The domain of validity: where the training rows lie, so that a prediction far from
//! them can be flagged rather than trusted.
//!
//! Two tests, both in the features' own units: the box (each feature's training minimum
//! and maximum) and the cloud (the distance from a query to its nearest kept training row,
//! each feature divided by its training standard deviation, against the 99th percentile of
//! the same distance between the kept training rows themselves). A query inside the box can
//! still lie in a hole of the cloud (a corner of a ball of data, a gap between clusters).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Most training rows kept in the model file for the nearest-row test: 1,000 rows of 5
/// features add 20 KB (f32); more rows make the test finer but every prediction slower.
pub const MAX_DOMAIN_ROWS: usize = 1000;

/// The quantile of the kept rows' nearest-row distances beyond which a query is outside.
pub const NEAREST_QUANTILE: f64 = 0.99;

/// Where the training rows lie (see the module's documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DomainParts")]
pub struct Domain {
    /// Each feature's smallest training value.
    min: Vec<f64>,
    /// Each feature's largest training value.
    max: Vec<f64>,
    /// Each feature's training mean, the centre of the scaled units.
    center: Vec<f64>,
    /// Each feature's training standard deviation (1 where it is 0), the scaled unit.
    scale: Vec<f64>,
    /// Up to [`MAX_DOMAIN_ROWS`] training rows, evenly spaced through the training split,
    /// in scaled units, row-major.
    rows: Vec<f32>,
    /// The [`NEAREST_QUANTILE`] quantile of each kept row's distance to its nearest other
    /// kept row, in scaled units.
    nearest_distance: f64,
}

/// [`Domain`] as stored, before its checks.
#[derive(Deserialize)]
struct DomainParts {
    min: Vec<f64>,
    max: Vec<f64>,
    center: Vec<f64>,
    scale: Vec<f64>,
    rows: Vec<f32>,
    nearest_distance: f64,
}

impl TryFrom<DomainParts> for Domain {
    type Error = Error;
    fn try_from(p: DomainParts) -> Result<Domain> {
        let d = p.min.len();
        let bad = |what: &str| Err(Error::Inconsistent(format!("the domain's {what}")));
        if d == 0 || p.max.len() != d || p.center.len() != d || p.scale.len() != d {
            return bad("sizes differ");
        }
        if !p.rows.len().is_multiple_of(d) || p.rows.len() / d > MAX_DOMAIN_ROWS {
            return bad("kept rows are not whole rows");
        }
        let finite = p
            .min
            .iter()
            .chain(&p.max)
            .chain(&p.center)
            .all(|v| v.is_finite());
        if !finite || p.min.iter().zip(&p.max).any(|(a, b)| a > b) {
            return bad("ranges are not finite intervals");
        }
        if p.scale.iter().any(|s| !(s.is_finite() && *s > 0.0))
            || p.rows.iter().any(|v| !v.is_finite())
            || !(p.nearest_distance.is_finite() && p.nearest_distance >= 0.0)
        {
            return bad("scale or distances are not finite and positive");
        }
        Ok(Domain {
            min: p.min,
            max: p.max,
            center: p.center,
            scale: p.scale,
            rows: p.rows,
            nearest_distance: p.nearest_distance,
        })
    }
}

impl Domain {
    /// The domain of `rows` (row-major, `n_features` a row; at least one row, all finite).
    pub fn of_rows(rows: &[f64], n_features: usize) -> Result<Domain> {
        let d = n_features;
        if d == 0 || rows.is_empty() || !rows.len().is_multiple_of(d) {
            return Err(Error::Inconsistent(
                "no training rows for the domain".into(),
            ));
        }
        let n = rows.len() / d;
        let mut min = vec![f64::INFINITY; d];
        let mut max = vec![f64::NEG_INFINITY; d];
        let mut sum = vec![0.0f64; d];
        for row in rows.chunks_exact(d) {
            for j in 0..d {
                min[j] = min[j].min(row[j]);
                max[j] = max[j].max(row[j]);
                sum[j] += row[j];
            }
        }
        let center: Vec<f64> = sum.iter().map(|s| s / n as f64).collect();
        let mut squares = vec![0.0f64; d];
        for row in rows.chunks_exact(d) {
            for j in 0..d {
                squares[j] += (row[j] - center[j]).powi(2);
            }
        }
        let scale: Vec<f64> = squares
            .iter()
            .map(|s| {
                let sd = (s / n as f64).sqrt();
                if sd.is_finite() && sd > 0.0 {
                    sd
                } else {
                    1.0
                }
            })
            .collect();
        // Evenly spaced rather than random: deterministic without a seed, and it spans
        // the file even when its rows are sorted.
        let kept = n.min(MAX_DOMAIN_ROWS);
        let mut kept_rows = Vec::with_capacity(kept * d);
        for k in 0..kept {
            let i = k * n / kept;
            let row = &rows[i * d..(i + 1) * d];
            kept_rows.extend((0..d).map(|j| ((row[j] - center[j]) / scale[j]) as f32));
        }
        let mut nearest: Vec<f64> = (0..kept)
            .filter_map(|k| {
                let row = &kept_rows[k * d..(k + 1) * d];
                (0..kept)
                    .filter(|&o| o != k)
                    .map(|o| squared_distance(row, &kept_rows[o * d..(o + 1) * d]))
                    .min_by(f32::total_cmp)
                    .map(|s| f64::from(s).sqrt())
            })
            .collect();
        nearest.sort_by(f64::total_cmp);
        let nearest_distance = match nearest.len() {
            0 => 0.0,
            m => nearest[((m - 1) as f64 * NEAREST_QUANTILE).ceil() as usize],
        };
        Ok(Domain {
            min,
            max,
            center,
            scale,
            rows: kept_rows,
            nearest_distance,
        })
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.min.len()
    }

    /// Each feature's smallest training value.
    pub fn min(&self) -> &[f64] {
        &self.min
    }

    /// Each feature's largest training value.
    pub fn max(&self) -> &[f64] {
        &self.max
    }

    /// Training rows kept for the nearest-row test.
    pub fn kept_rows(&self) -> usize {
        self.rows.len() / self.n_features()
    }

    /// The distance (scaled units) beyond which a query is outside the cloud.
    pub fn nearest_distance(&self) -> f64 {
        self.nearest_distance
    }

    /// Whether one row of features (the model's order) lies outside the domain: outside
    /// the box, or farther from every kept training row than
    /// [`nearest_distance`](Self::nearest_distance). A row of the wrong length is outside.
    pub fn is_outside(&self, row: &[f64]) -> bool {
        let d = self.n_features();
        if row.len() != d {
            return true;
        }
        let in_box = row
            .iter()
            .zip(self.min.iter().zip(&self.max))
            .all(|(v, (lo, hi))| lo <= v && v <= hi);
        if !in_box {
            return true;
        }
        let scaled: Vec<f32> = (0..d)
            .map(|j| ((row[j] - self.center[j]) / self.scale[j]) as f32)
            .collect();
        let limit = (self.nearest_distance * self.nearest_distance) as f32;
        // Inside as soon as one kept row is near enough.
        !self
            .rows
            .chunks_exact(d)
            .any(|kept| squared_distance(&scaled, kept) <= limit)
    }

    /// For each row of `rows` (row-major, the model's feature order), whether it lies
    /// outside the domain: the same answers as [`is_outside`](Self::is_outside), found
    /// `LANES` (16) kept rows at a time from their columns (the same sums in the same order,
    /// which the compiler vectorises).
    pub fn outside(&self, rows: &[f64]) -> Vec<bool> {
        let d = self.n_features().max(1);
        let kept = self.kept_rows();
        let blocks = kept.div_ceil(LANES);
        // Column j of the kept rows at columns[j * blocks * LANES ..], padded with NaN,
        // which is near nothing.
        let mut columns = vec![f32::NAN; d * blocks * LANES];
        for (k, row) in self.rows.chunks_exact(d).enumerate() {
            for (j, &v) in row.iter().enumerate() {
                columns[j * blocks * LANES + k] = v;
            }
        }
        let limit = (self.nearest_distance * self.nearest_distance) as f32;
        let mut scaled = vec![0.0f32; d];
        rows.chunks_exact(d)
            .map(|row| {
                if row.len() != self.n_features() {
                    return true;
                }
                let in_box = row
                    .iter()
                    .zip(self.min.iter().zip(&self.max))
                    .all(|(v, (lo, hi))| lo <= v && v <= hi);
                if !in_box {
                    return true;
                }
                for (j, s) in scaled.iter_mut().enumerate() {
                    *s = ((row[j] - self.center[j]) / self.scale[j]) as f32;
                }
                !fivedreg_linalg::any_within(&columns, blocks, &scaled, limit)
            })
            .collect()
    }
}

/// Kept rows compared with a query at once by [`Domain::outside`].
const LANES: usize = fivedreg_linalg::WITHIN_LANES;

fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 20×20 grid on the ring 0.5 ≤ r ≤ 1 of the square [-1, 1]².
    fn ring() -> Vec<f64> {
        let mut rows = Vec::new();
        for i in 0..40 {
            for j in 0..40 {
                let (x, y) = (i as f64 / 19.5 - 1.0, j as f64 / 19.5 - 1.0);
                let r = (x * x + y * y).sqrt();
                if (0.5..=1.0).contains(&r) {
                    rows.extend([x, y]);
                }
            }
        }
        rows
    }

    #[test]
    fn box_and_cloud_tell_near_from_far() {
        let rows = ring();
        let domain = Domain::of_rows(&rows, 2).unwrap();
        assert!(domain.kept_rows() <= MAX_DOMAIN_ROWS);
        assert_eq!(
            domain.min()[0],
            rows.iter()
                .step_by(2)
                .cloned()
                .fold(f64::INFINITY, f64::min)
        );
        // Every training row is inside; near ones too.
        assert!(domain.outside(&rows).iter().all(|o| !o));
        assert!(!domain.is_outside(&[0.75, 0.0]));
        assert!(!domain.is_outside(&[0.0, -0.8]));
        // Outside the box, and inside the box but in the hole of the ring.
        assert!(domain.is_outside(&[5.0, 0.0]));
        assert!(domain.is_outside(&[0.0, 0.0]));
        assert!(domain.is_outside(&[0.0]));
    }

    #[test]
    fn outside_answers_as_is_outside_row_by_row() {
        // A ring, and a 5-D cloud of more rows than are kept (not a multiple of the lanes).
        let mut cloud = Vec::new();
        let mut state = 1u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        for _ in 0..1500 * 5 {
            let v = next();
            cloud.push(v * v * v);
        }
        for (rows, d) in [(ring(), 2), (cloud, 5)] {
            let domain = Domain::of_rows(&rows, d).unwrap();
            let queries: Vec<f64> = (0..20_000 * d).map(|_| next() * 1.3).collect();
            let expected: Vec<bool> = queries
                .chunks_exact(d)
                .map(|q| domain.is_outside(q))
                .collect();
            assert_eq!(domain.outside(&queries), expected);
            let inside = expected.iter().filter(|&&o| !o).count();
            assert!(
                inside > 100 && inside < 19_900,
                "{inside} inside: a weak test"
            );
        }
    }

    #[test]
    fn a_constant_feature_and_one_row_work() {
        let domain = Domain::of_rows(&[1.0, 2.0], 2).unwrap();
        assert_eq!(domain.nearest_distance(), 0.0);
        assert!(!domain.is_outside(&[1.0, 2.0]));
        assert!(domain.is_outside(&[1.0, 2.5]));
    }

    #[test]
    fn a_stored_domain_is_checked() {
        let domain = Domain::of_rows(&ring(), 2).unwrap();
        let bytes = postcard::to_allocvec(&domain).unwrap();
        assert_eq!(postcard::from_bytes::<Domain>(&bytes).unwrap(), domain);
        let mut broken = domain.clone();
        broken.scale[0] = 0.0;
        let bytes = postcard::to_allocvec(&broken).unwrap();
        assert!(postcard::from_bytes::<Domain>(&bytes).is_err());
    }
}
