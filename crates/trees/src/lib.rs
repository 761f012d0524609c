//! Gradient-boosted oblivious regression trees: fit, predict, and a checked serde form.
//!
//! An oblivious (symmetric) tree of depth `d` asks the same question — "is input `f` above
//! border `b`?" — of every row at each level, so its `2^d` leaves are indexed by the `d`
//! answers as bits. CatBoost grows such trees by default: on small tables they overfit less
//! than trees grown leaf by leaf, and they predict without branches.
//!
//! Fitting follows the usual histogram method for the squared error:
//! - each input is cut at up to [`MAX_BORDERS`] borders (midpoints between distinct values,
//!   at quantiles of the training rows when there are more), and each row's input becomes
//!   its bin's index;
//! - each tree fits the residuals `y − prediction` of a subsample of the rows (drawn from
//!   the seed): level by level, the (input, border) that most reduces the L2-regularized
//!   squared error summed over all current leaves is chosen, ties going to the lower input
//!   and border;
//! - a leaf's value is the learning rate times its rows' residual sum over (count + `l2`).
//!
//! Everything is sequential and seeded: the same rows, parameters and seed give the same
//! trees, bit for bit, on any machine and thread count.
//!
//! Prediction converts each row's inputs to bin indices once (a binary search per input)
//! and then evaluates every tree on blocks of rows, column by column, which compilers turn
//! into vector instructions.

use serde::{Deserialize, Serialize};

/// Deepest tree accepted (256 leaves; a leaf index fits in a byte).
pub const MAX_DEPTH: usize = 8;
/// Most trees a model may hold.
pub const MAX_TREES: usize = 20_000;
/// Most borders per input (bins are indexed by a byte).
pub const MAX_BORDERS: usize = 254;
/// Most inputs a model may take.
pub const MAX_FEATURES: usize = 1 << 16;

/// Rows predicted together: the inputs' bins of a block fit in the first-level cache.
const BLOCK_ROWS: usize = 256;
/// Histogram slots per input (one per possible bin).
const SLOTS: usize = MAX_BORDERS + 1;

/// Errors of this crate.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TreesError {
    /// A parameter is out of its valid range.
    #[error("{name} = {value} is invalid: it must be {valid}")]
    InvalidParam {
        /// The parameter.
        name: &'static str,
        /// Its value, as given.
        value: String,
        /// Its valid range, in words.
        valid: &'static str,
    },
    /// The training data cannot be fitted (no rows, or sizes that disagree).
    #[error("cannot fit trees: {0}")]
    BadData(String),
    /// A deserialized model is inconsistent.
    #[error("inconsistent trees: {0}")]
    Inconsistent(String),
    /// [`BoostedTrees::fit_until`] was asked to stop.
    #[error("the fit was stopped before it finished")]
    Stopped,
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, TreesError>;

/// Unchecked boosting parameters; [`BoostParams::check`] validates them.
///
/// | field | default | meaning | valid |
/// |---|---|---|---|
/// | `trees` | 1000 | trees grown (an ensemble's cross-validation may keep fewer) | 1..=20,000 |
/// | `learning_rate` | 0.05 | factor on each tree's leaf values | (0, 1] |
/// | `depth` | 6 | levels of each tree (`2^depth` leaves) | 1..=8 |
/// | `l2` | 3 | added to a leaf's row count in its value's denominator | finite, ≥ 0 |
/// | `subsample` | 0.8 | share of the rows each tree is grown on (drawn from the seed) | (0, 1] |
/// | `max_borders` | 254 | most borders (bins − 1) per input | 1..=254 |
/// | `seed` | 42 | seeds the rows each tree is grown on | any |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoostParams {
    /// Trees grown.
    pub trees: usize,
    /// Factor on each tree's leaf values.
    pub learning_rate: f64,
    /// Levels per tree.
    pub depth: usize,
    /// L2 regularization of the leaf values.
    pub l2: f64,
    /// Share of the rows each tree is grown on.
    pub subsample: f64,
    /// Most borders per input.
    pub max_borders: usize,
    /// Seed of the row subsamples.
    pub seed: u64,
}

impl Default for BoostParams {
    fn default() -> Self {
        BoostParams {
            trees: 1000,
            learning_rate: 0.05,
            depth: 6,
            l2: 3.0,
            subsample: 0.8,
            max_borders: MAX_BORDERS,
            seed: 42,
        }
    }
}

/// Checked boosting parameters: the only way to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidBoostParams(BoostParams);

impl ValidBoostParams {
    /// The checked parameters.
    pub fn params(&self) -> &BoostParams {
        &self.0
    }
}

impl BoostParams {
    /// Validates every parameter, naming the first out of range.
    pub fn check(self) -> Result<ValidBoostParams> {
        let bad = |name, value: String, valid| Err(TreesError::InvalidParam { name, value, valid });
        if self.trees == 0 || self.trees > MAX_TREES {
            return bad("trees", self.trees.to_string(), "in 1..=20000");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return bad("learning_rate", self.learning_rate.to_string(), "in (0, 1]");
        }
        if self.depth == 0 || self.depth > MAX_DEPTH {
            return bad("depth", self.depth.to_string(), "in 1..=8");
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return bad("l2", self.l2.to_string(), "finite and >= 0");
        }
        if !(self.subsample > 0.0 && self.subsample <= 1.0) {
            return bad("subsample", self.subsample.to_string(), "in (0, 1]");
        }
        if self.max_borders == 0 || self.max_borders > MAX_BORDERS {
            return bad("max_borders", self.max_borders.to_string(), "in 1..=254");
        }
        Ok(ValidBoostParams(self))
    }
}

/// Rough operations of one fit of `rows` rows and `features` inputs (for `--auto`'s
/// budget, which counts work rather than seconds): per tree and level, a histogram pass over
/// the subsampled rows and a scan of every leaf's bins, then the leaf updates.
pub fn fit_operations(rows: usize, features: usize, params: &BoostParams) -> f64 {
    let sampled = rows as f64 * params.subsample;
    let levels = params.depth as f64;
    let bins = (params.max_borders + 1).min(rows.max(2)) as f64;
    let leaves_scanned: f64 = (0..params.depth).map(|l| (1u64 << l) as f64).sum();
    let per_tree = levels * (sampled * features as f64 * 2.0 + rows as f64)
        + leaves_scanned * features as f64 * bins * 6.0
        + rows as f64 * 3.0;
    per_tree * params.trees as f64
}

/// One oblivious tree: at level `l`, a row's bit `l` is whether its bin of input
/// `features[l]` is above `bins[l]`; the bits index `leaves`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObliviousTree {
    /// The input asked at each level.
    pub features: Vec<u32>,
    /// The border index at each level: a row goes to the upper half when its input is above
    /// that border.
    pub bins: Vec<u8>,
    /// `2^depth` leaf values.
    pub leaves: Vec<f64>,
}

/// A fitted model: the borders of each input, a base value, and the trees.
///
/// Deserializing checks every size and index ([`BoostedTreesParts`]), so a model file
/// cannot hold trees that would index out of bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "BoostedTreesParts", into = "BoostedTreesParts")]
pub struct BoostedTrees {
    borders: Vec<Vec<f64>>,
    base: f64,
    trees: Vec<ObliviousTree>,
}

/// [`BoostedTrees`] as stored, before it is checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoostedTreesParts {
    /// Sorted, finite borders of each input.
    pub borders: Vec<Vec<f64>>,
    /// The prediction before any tree (the training rows' mean).
    pub base: f64,
    /// The trees, in the order they were grown.
    pub trees: Vec<ObliviousTree>,
}

impl From<BoostedTrees> for BoostedTreesParts {
    fn from(m: BoostedTrees) -> Self {
        BoostedTreesParts {
            borders: m.borders,
            base: m.base,
            trees: m.trees,
        }
    }
}

impl TryFrom<BoostedTreesParts> for BoostedTrees {
    type Error = TreesError;
    fn try_from(p: BoostedTreesParts) -> Result<BoostedTrees> {
        let bad = |what: String| Err(TreesError::Inconsistent(what));
        let n_features = p.borders.len();
        if n_features == 0 || n_features > MAX_FEATURES {
            return bad(format!("{n_features} inputs"));
        }
        for (f, b) in p.borders.iter().enumerate() {
            if b.len() > MAX_BORDERS
                || b.iter().any(|v| !v.is_finite())
                || b.windows(2).any(|w| w[0] >= w[1])
            {
                return bad(format!(
                    "the borders of input {} are not sorted finite values",
                    f + 1
                ));
            }
        }
        if !p.base.is_finite() {
            return bad("a non-finite base value".into());
        }
        if p.trees.len() > MAX_TREES {
            return bad(format!("{} trees", p.trees.len()));
        }
        for (t, tree) in p.trees.iter().enumerate() {
            let depth = tree.features.len();
            let fits = depth > 0
                && depth <= MAX_DEPTH
                && tree.bins.len() == depth
                && tree.leaves.len() == 1 << depth;
            if !fits {
                return bad(format!("tree {} has inconsistent sizes", t + 1));
            }
            for (&f, &b) in tree.features.iter().zip(&tree.bins) {
                let in_range =
                    (f as usize) < n_features && (b as usize) < p.borders[f as usize].len();
                if !in_range {
                    return bad(format!(
                        "tree {} splits on a border that does not exist",
                        t + 1
                    ));
                }
            }
            if tree.leaves.iter().any(|v| !v.is_finite()) {
                return bad(format!("tree {} has a non-finite leaf", t + 1));
            }
        }
        Ok(BoostedTrees {
            borders: p.borders,
            base: p.base,
            trees: p.trees,
        })
    }
}

/// Borders of one input's values: midpoints between consecutive distinct values, at most
/// `max` of them, taken at evenly spaced ranks of the sorted values when there are more.
fn borders_of(mut values: Vec<f64>, max: usize) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values.dedup();
    if values.len() < 2 {
        return Vec::new();
    }
    let gaps = values.len() - 1;
    let mut borders: Vec<f64> = if gaps <= max {
        values.windows(2).map(|w| midpoint(w[0], w[1])).collect()
    } else {
        // The gap after every (gaps / max)-th distinct value: evenly spaced quantiles of
        // the distinct values.
        (1..=max)
            .map(|k| {
                let i = (k * gaps) / (max + 1);
                midpoint(values[i], values[i + 1])
            })
            .collect()
    };
    borders.dedup();
    borders
}

/// The midpoint of `a < b`, never equal to `b` (so that `b` lies above the border).
fn midpoint(a: f64, b: f64) -> f64 {
    let m = a + (b - a) / 2.0;
    if m < b {
        m
    } else {
        a
    }
}

/// The bin of `value` among sorted `borders`: how many borders lie below it.
fn bin_of(borders: &[f64], value: f64) -> u8 {
    borders.partition_point(|&b| b < value) as u8
}

impl BoostedTrees {
    /// Fits trees to row-major `x` (`n × n_features`) and targets `y`.
    pub fn fit(
        x: &[f64],
        y: &[f64],
        n_features: usize,
        params: &ValidBoostParams,
    ) -> Result<BoostedTrees> {
        BoostedTrees::fit_until(x, y, n_features, params, &|| false)
    }

    /// [`fit`](Self::fit), asking `stop` before every tree: once it says true, the fit
    /// ends with [`TreesError::Stopped`].
    pub fn fit_until(
        x: &[f64],
        y: &[f64],
        n_features: usize,
        params: &ValidBoostParams,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<BoostedTrees> {
        let p = params.params();
        let n = y.len();
        if n == 0 || n_features == 0 || x.len() != n * n_features {
            return Err(TreesError::BadData(format!(
                "{} values for {n} rows of {n_features} inputs",
                x.len()
            )));
        }
        if n_features > MAX_FEATURES {
            return Err(TreesError::BadData(format!("{n_features} inputs")));
        }
        if x.iter().chain(y).any(|v| !v.is_finite()) {
            return Err(TreesError::BadData("a value is not finite".into()));
        }
        let borders: Vec<Vec<f64>> = (0..n_features)
            .map(|f| {
                borders_of(
                    (0..n).map(|r| x[r * n_features + f]).collect(),
                    p.max_borders,
                )
            })
            .collect();
        let bins: Vec<u8> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| bin_of(&borders[i % n_features], v))
            .collect();
        let base = y.iter().sum::<f64>() / n as f64;
        let mut prediction = vec![base; n];
        let mut residual = vec![0.0; n];
        let mut leaf_of = vec![0u8; n];
        let mut sampled: Vec<usize> = Vec::with_capacity(n);
        let mut rng = fivedreg_rng::rng(p.seed, fivedreg_rng::Stream::Trees);
        let mut grower = Grower::new(n_features, p.depth, &borders);
        let mut trees = Vec::with_capacity(p.trees);
        for _ in 0..p.trees {
            if stop() {
                return Err(TreesError::Stopped);
            }
            for ((r, &t), &pr) in residual.iter_mut().zip(y).zip(&prediction) {
                *r = t - pr;
            }
            sampled.clear();
            if p.subsample >= 1.0 {
                sampled.extend(0..n);
            } else {
                sampled.extend((0..n).filter(|_| fivedreg_rng::unit_f64(&mut rng) < p.subsample));
                if sampled.is_empty() {
                    sampled.push(fivedreg_rng::below(&mut rng, n as u64) as usize);
                }
            }
            // None: no input has two values, so no tree can tell rows apart.
            let Some(tree) = grower.grow(&bins, &residual, &sampled, &mut leaf_of, p) else {
                break;
            };
            for (pr, &leaf) in prediction.iter_mut().zip(&leaf_of) {
                *pr += tree.leaves[leaf as usize];
            }
            trees.push(tree);
        }
        Ok(BoostedTrees {
            borders,
            base,
            trees,
        })
    }

    /// Inputs the model takes.
    pub fn n_features(&self) -> usize {
        self.borders.len()
    }

    /// Trees held.
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// The trees.
    pub fn trees(&self) -> &[ObliviousTree] {
        &self.trees
    }

    /// The borders of each input.
    pub fn borders(&self) -> &[Vec<f64>] {
        &self.borders
    }

    /// The prediction before any tree.
    pub fn base(&self) -> f64 {
        self.base
    }

    /// Stored numbers: borders, base and leaf values (what `inspect` calls parameters).
    pub fn parameter_count(&self) -> usize {
        let borders: usize = self.borders.iter().map(Vec::len).sum();
        borders
            + 1
            + self
                .trees
                .iter()
                .map(|t| t.leaves.len() + 2 * t.features.len())
                .sum::<usize>()
    }

    /// Keeps the first `trees` trees (an ensemble's cross-validation chooses how many).
    pub fn truncate(&mut self, trees: usize) {
        self.trees.truncate(trees);
    }

    /// Predicts row-major `x` (`out.len()` rows of [`n_features`](Self::n_features)) into
    /// `out`.
    pub fn predict(&self, x: &[f64], out: &mut [f64]) {
        let f = self.n_features();
        let mut bins = vec![0u8; f * BLOCK_ROWS];
        let mut leaf = [0u8; BLOCK_ROWS];
        for (rows, block) in x.chunks(f * BLOCK_ROWS).zip(out.chunks_mut(BLOCK_ROWS)) {
            let b = block.len();
            // Column-major bins of the block, so that each level reads one contiguous run.
            for (c, borders) in self.borders.iter().enumerate() {
                let column = &mut bins[c * BLOCK_ROWS..c * BLOCK_ROWS + b];
                for (r, slot) in column.iter_mut().enumerate() {
                    *slot = bin_of(borders, rows[r * f + c]);
                }
            }
            block.fill(self.base);
            for tree in &self.trees {
                let leaf = &mut leaf[..b];
                leaf.fill(0);
                for (level, (&c, &border)) in tree.features.iter().zip(&tree.bins).enumerate() {
                    let c = c as usize;
                    let column = &bins[c * BLOCK_ROWS..c * BLOCK_ROWS + b];
                    let bit = 1u8 << level;
                    // A select rather than a shift by `level`: the loop becomes byte-wide
                    // vector compares and masks.
                    for (l, &v) in leaf.iter_mut().zip(column) {
                        *l |= if v > border { bit } else { 0 };
                    }
                }
                for (o, &l) in block.iter_mut().zip(leaf.iter()) {
                    *o += tree.leaves[l as usize];
                }
            }
        }
    }

    /// The squared error summed over `x`'s rows (`y.len()` of them) after each number of
    /// trees: entry `t` is that of the first `t + 1` trees (for choosing how many to keep).
    pub fn staged_squared_errors(&self, x: &[f64], y: &[f64]) -> Vec<f64> {
        let f = self.n_features();
        let bins: Vec<u8> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| bin_of(&self.borders[i % f], v))
            .collect();
        let mut prediction = vec![self.base; y.len()];
        let mut errors = Vec::with_capacity(self.trees.len());
        for tree in &self.trees {
            let mut total = 0.0;
            for (r, (p, &t)) in prediction.iter_mut().zip(y).enumerate() {
                let row = &bins[r * f..(r + 1) * f];
                let mut leaf = 0usize;
                for (level, (&c, &border)) in tree.features.iter().zip(&tree.bins).enumerate() {
                    leaf |= usize::from(row[c as usize] > border) << level;
                }
                *p += tree.leaves[leaf];
                total += (t - *p) * (t - *p);
            }
            errors.push(total);
        }
        errors
    }
}

/// The histograms and scratch space of tree growing, reused from tree to tree.
struct Grower {
    n_features: usize,
    /// Bins each input has (its borders + 1).
    n_bins: Vec<usize>,
    /// Residual sums and row counts per (leaf, input, bin).
    sums: Vec<f64>,
    counts: Vec<f64>,
}

impl Grower {
    fn new(n_features: usize, depth: usize, borders: &[Vec<f64>]) -> Grower {
        let slots = (1 << (depth - 1)) * n_features * SLOTS;
        Grower {
            n_features,
            n_bins: borders.iter().map(|b| b.len() + 1).collect(),
            sums: vec![0.0; slots],
            counts: vec![0.0; slots],
        }
    }

    /// Grows one tree on the `sampled` rows' residuals; leaves every row's leaf index in
    /// `leaf_of`.
    fn grow(
        &mut self,
        bins: &[u8],
        residual: &[f64],
        sampled: &[usize],
        leaf_of: &mut [u8],
        p: &BoostParams,
    ) -> Option<ObliviousTree> {
        let f = self.n_features;
        leaf_of.fill(0);
        let mut features = Vec::with_capacity(p.depth);
        let mut split_bins = Vec::with_capacity(p.depth);
        for level in 0..p.depth {
            let leaves = 1usize << level;
            let used = leaves * f * SLOTS;
            self.sums[..used].fill(0.0);
            self.counts[..used].fill(0.0);
            for &r in sampled {
                let at = leaf_of[r] as usize * f * SLOTS;
                for (c, &b) in bins[r * f..(r + 1) * f].iter().enumerate() {
                    let slot = at + c * SLOTS + b as usize;
                    self.sums[slot] += residual[r];
                    self.counts[slot] += 1.0;
                }
            }
            // The (input, border) with the best total score over all leaves (none only
            // when no input has a border).
            let mut best: Option<(f64, usize, usize)> = None;
            let mut scores = vec![0.0; SLOTS];
            for c in 0..f {
                let borders = self.n_bins[c] - 1;
                if borders == 0 {
                    continue;
                }
                scores[..borders].fill(0.0);
                for leaf in 0..leaves {
                    let at = (leaf * f + c) * SLOTS;
                    let sums = &self.sums[at..at + borders + 1];
                    let counts = &self.counts[at..at + borders + 1];
                    let (total_sum, total_count): (f64, f64) =
                        (sums.iter().sum(), counts.iter().sum());
                    let (mut left_sum, mut left_count) = (0.0, 0.0);
                    for b in 0..borders {
                        left_sum += sums[b];
                        left_count += counts[b];
                        let (right_sum, right_count) =
                            (total_sum - left_sum, total_count - left_count);
                        scores[b] += left_sum * left_sum / (left_count + p.l2)
                            + right_sum * right_sum / (right_count + p.l2);
                    }
                }
                for (b, &s) in scores[..borders].iter().enumerate() {
                    if best.is_none_or(|(top, _, _)| s > top) {
                        best = Some((s, c, b));
                    }
                }
            }
            let (_, c, b) = best?;
            features.push(c as u32);
            split_bins.push(b as u8);
            for (r, leaf) in leaf_of.iter_mut().enumerate() {
                *leaf |= u8::from(bins[r * f + c] as usize > b) << level;
            }
        }
        let mut sums = vec![0.0; 1 << p.depth];
        let mut counts = vec![0.0; 1 << p.depth];
        for &r in sampled {
            sums[leaf_of[r] as usize] += residual[r];
            counts[leaf_of[r] as usize] += 1.0;
        }
        let leaves = sums
            .iter()
            .zip(&counts)
            .map(|(s, c)| p.learning_rate * s / (c + p.l2).max(f64::MIN_POSITIVE))
            .collect();
        Some(ObliviousTree {
            features,
            bins: split_bins,
            leaves,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = fivedreg_rng::rng(seed, fivedreg_rng::Stream::Generate);
        let mut x = Vec::with_capacity(n * 3);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let a = fivedreg_rng::unit_f64(&mut rng) * 4.0 - 2.0;
            let b = fivedreg_rng::unit_f64(&mut rng) * 4.0 - 2.0;
            let c = (fivedreg_rng::below(&mut rng, 4)) as f64;
            x.extend([a, b, c]);
            y.push(a * a + if b > 0.5 { 2.0 } else { 0.0 } + 0.5 * c);
        }
        (x, y)
    }

    fn r2(y: &[f64], p: &[f64]) -> f64 {
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let ss: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
        1.0 - y.iter().zip(p).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / ss
    }

    /// A plain reference: every tree walked row by row on the raw values, its leaf added
    /// to the base in the trees' order (the order the block predictor adds them in).
    fn naive_predict(m: &BoostedTrees, x: &[f64]) -> Vec<f64> {
        let f = m.n_features();
        x.chunks(f)
            .map(|row| {
                let mut total = m.base;
                for t in &m.trees {
                    let mut leaf = 0;
                    for (l, (&c, &b)) in t.features.iter().zip(&t.bins).enumerate() {
                        let border = m.borders[c as usize][b as usize];
                        if row[c as usize] > border {
                            leaf |= 1 << l;
                        }
                    }
                    total += t.leaves[leaf];
                }
                total
            })
            .collect()
    }

    fn params(trees: usize) -> ValidBoostParams {
        BoostParams {
            trees,
            ..BoostParams::default()
        }
        .check()
        .unwrap()
    }

    #[test]
    fn fits_a_step_and_a_curve_and_predicts_as_the_naive_walk() {
        let (x, y) = data(2000, 1);
        let model = BoostedTrees::fit(&x, &y, 3, &params(300)).unwrap();
        let (xt, yt) = data(1000, 2);
        let mut p = vec![0.0; yt.len()];
        model.predict(&xt, &mut p);
        assert!(r2(&yt, &p) > 0.98, "R² {}", r2(&yt, &p));
        // Block boundaries (256 rows) and a partial last block agree with the reference.
        assert_eq!(p, naive_predict(&model, &xt));
    }

    #[test]
    fn the_same_seed_gives_the_same_trees_and_another_seed_others() {
        let (x, y) = data(500, 3);
        let a = BoostedTrees::fit(&x, &y, 3, &params(50)).unwrap();
        let b = BoostedTrees::fit(&x, &y, 3, &params(50)).unwrap();
        assert_eq!(a, b);
        let other = BoostParams {
            trees: 50,
            seed: 7,
            ..BoostParams::default()
        }
        .check()
        .unwrap();
        assert_ne!(a, BoostedTrees::fit(&x, &y, 3, &other).unwrap());
    }

    #[test]
    fn staged_errors_end_at_the_full_models_and_truncation_keeps_a_prefix() {
        let (x, y) = data(400, 4);
        let mut model = BoostedTrees::fit(&x, &y, 3, &params(40)).unwrap();
        let (xt, yt) = data(300, 5);
        let staged = model.staged_squared_errors(&xt, &yt);
        assert_eq!(staged.len(), 40);
        let mut p = vec![0.0; yt.len()];
        model.predict(&xt, &mut p);
        let full: f64 = yt.iter().zip(&p).map(|(a, b)| (a - b).powi(2)).sum();
        assert!((staged[39] - full).abs() <= 1e-9 * full.max(1.0));
        model.truncate(10);
        model.predict(&xt, &mut p);
        let ten: f64 = yt.iter().zip(&p).map(|(a, b)| (a - b).powi(2)).sum();
        assert!((staged[9] - ten).abs() <= 1e-9 * ten.max(1.0));
    }

    #[test]
    fn borders_split_distinct_values_and_bins_count_borders_below() {
        assert_eq!(borders_of(vec![3.0, 1.0, 2.0, 2.0], 10), vec![1.5, 2.5]);
        assert_eq!(borders_of(vec![5.0; 4], 10), Vec::<f64>::new());
        let many: Vec<f64> = (0..1000).map(f64::from).collect();
        let b = borders_of(many, 254);
        assert_eq!(b.len(), 254);
        assert!(b.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(bin_of(&[1.5, 2.5], 1.0), 0);
        assert_eq!(bin_of(&[1.5, 2.5], 2.0), 1);
        assert_eq!(bin_of(&[1.5, 2.5], 2.5), 1);
        assert_eq!(bin_of(&[1.5, 2.5], 9.0), 2);
        // Adjacent floats: the border stays below the upper value.
        let a = 1.0f64;
        let next = f64::from_bits(a.to_bits() + 1);
        assert_eq!(borders_of(vec![a, next], 4), vec![a]);
        assert_eq!(bin_of(&[a], next), 1);
    }

    #[test]
    fn constant_inputs_and_a_constant_target_fit_and_predict_the_constant() {
        let x = vec![1.0; 30];
        let y = vec![4.0; 10];
        let model = BoostedTrees::fit(&x, &y, 3, &params(5)).unwrap();
        let mut p = vec![0.0; 10];
        model.predict(&x, &mut p);
        assert!(p.iter().all(|&v| v == 4.0));
    }

    #[test]
    fn bad_parameters_and_data_are_refused_by_name() {
        let cases = [
            BoostParams {
                trees: 0,
                ..BoostParams::default()
            },
            BoostParams {
                learning_rate: 0.0,
                ..BoostParams::default()
            },
            BoostParams {
                depth: 9,
                ..BoostParams::default()
            },
            BoostParams {
                l2: f64::NAN,
                ..BoostParams::default()
            },
            BoostParams {
                subsample: 1.5,
                ..BoostParams::default()
            },
            BoostParams {
                max_borders: 255,
                ..BoostParams::default()
            },
        ];
        let names: Vec<&str> = cases
            .into_iter()
            .map(|c| match c.check() {
                Err(TreesError::InvalidParam { name, .. }) => name,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            names,
            [
                "trees",
                "learning_rate",
                "depth",
                "l2",
                "subsample",
                "max_borders"
            ]
        );
        let p = params(3);
        assert!(BoostedTrees::fit(&[1.0, 2.0], &[1.0], 3, &p).is_err());
        assert!(BoostedTrees::fit(&[f64::NAN], &[1.0], 1, &p).is_err());
    }

    #[test]
    fn round_trips_through_serde_and_refuses_bad_indices() {
        let (x, y) = data(200, 6);
        let model = BoostedTrees::fit(&x, &y, 3, &params(5)).unwrap();
        let bytes = postcard::to_allocvec(&model).unwrap();
        let back: BoostedTrees = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, model);
        assert_eq!(postcard::to_allocvec(&back).unwrap(), bytes);
        let mut parts = BoostedTreesParts::from(model.clone());
        parts.trees[0].features[0] = 3;
        assert!(BoostedTrees::try_from(parts).is_err());
        let mut parts = BoostedTreesParts::from(model.clone());
        parts.trees[0].bins[0] = 254;
        assert!(BoostedTrees::try_from(parts).is_err());
        let mut parts = BoostedTreesParts::from(model.clone());
        parts.trees[1].leaves.pop();
        assert!(BoostedTrees::try_from(parts).is_err());
        let mut parts = BoostedTreesParts::from(model);
        parts.borders[0].reverse();
        assert!(BoostedTrees::try_from(parts).is_err());
    }
}
