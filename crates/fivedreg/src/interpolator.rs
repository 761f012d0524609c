//! The fitted model: fitting (one network or an ensemble), prediction in the user's units
//! (with the ensemble's calibrated spread), evaluation.

use crate::blend::{Blend, BlendStd};
use crate::domain::Domain;
use crate::ensemble::{self, MemberData};
use crate::error::{Error, Result};
use crate::kernel::{RbfModel, FIT_MAX_CENTERS};
use crate::options::{FitOptions, ValidFitOptions, MAX_ENSEMBLE};
use fivedreg_data::{Dataset, StandardScaler, YeoJohnson};
use fivedreg_metrics::Report;
use fivedreg_nn::{
    EpochStats, Mlp, MlpParams, PredictWorkspace, StopReason, TrainingHistory, MAX_WIDTH,
};
use fivedreg_trees::BoostedTrees;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Rows converted and pushed through the network at a time, so that predicting a large input
/// needs memory for the output and one chunk only.
pub const PREDICT_CHUNK_ROWS: usize = 4096;

/// Index of the seed derived (by [`fivedreg_rng::derive_seed`]) for drawing a kernel
/// model's centres; far above any ensemble member's index, so the streams never meet.
const CENTER_SUBSET_INDEX: u64 = 1 << 40;

/// Rows below which prediction stays on one thread (starting threads costs more).
const PARALLEL_MIN_ROWS: usize = 32_768;

/// The two-sided 95% quantile of the standard normal: `predict --std` is calibrated so that
/// about 95% of unseen rows fall within ±1.96 std of the prediction.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The share of a tree model's constant width (its held-out errors' 95th percentile /
/// 1.96) that every one of its standard deviations keeps; the rest comes from the spread.
const TREE_FLOOR_SHARE: f64 = 0.9;

/// Most per-epoch entries a training curve keeps in the model file.
pub const MAX_CURVE_POINTS: usize = 4096;

/// What fitting measured, stored in the model file. Holds nothing that varies between runs
/// of the same seed (no wall-clock time), so model files are byte-identical.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// Rows in each split.
    pub train_samples: usize,
    /// Validation rows.
    pub validation_samples: usize,
    /// Test rows.
    pub test_samples: usize,
    /// Epochs, losses, validation R² per epoch, best epoch, stop reason (of the first member
    /// of an ensemble).
    pub history: TrainingHistoryRecord,
    /// Metrics on the test split in the user's units (`None` when the test fraction is 0).
    pub test_metrics: Option<Report>,
    /// What an ensemble's fit measured (`None` for a single network).
    pub ensemble: Option<EnsembleSummary>,
    /// The configurations `--auto` compared, best first (`None` without `--auto`).
    pub leaderboard: Option<Vec<LeaderboardEntry>>,
    /// Where the training rows lie, for flagging predictions outside them (`None` in
    /// format-version-1 files, which did not keep it).
    pub domain: Option<Domain>,
    /// How `--auto`'s search spent its budget and why it stopped (`None` without `--auto`,
    /// and in files before format version 4).
    pub search: Option<SearchSummary>,
}

/// How `--auto`'s search spent its budget. The budget counts work, not wall time: each
/// candidate's work is its operation count at a fixed nominal rate, in seconds, so the same
/// data, options and seed give the same candidates on an idle machine and a busy one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchSummary {
    /// The budget, in work-seconds.
    pub budget: f64,
    /// The work the trained candidates counted, in work-seconds.
    pub spent: f64,
    /// Why the search stopped.
    pub stop: SearchStop,
}

/// Why `--auto`'s search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SearchStop {
    /// The next candidate's estimated work would have passed the budget.
    Budget,
    /// Every candidate ran, and the refinements of the leading families stopped improving
    /// the cross-validated score.
    NoGain,
    /// Every candidate and refinement ran within the budget.
    ListDone,
}

impl SearchStop {
    /// The reason in words, for the leaderboard.
    pub fn describe(self) -> &'static str {
        match self {
            SearchStop::Budget => "the next candidate would have passed the budget",
            SearchStop::NoGain => {
                "the refinements of the leading families stopped improving the cross-validated R²"
            }
            SearchStop::ListDone => "every candidate ran within the budget",
        }
    }
}

/// What an ensemble's fit measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleSummary {
    /// Each member's training history.
    pub members: Vec<TrainingHistoryRecord>,
    /// R² of each member on the fold it held out (user units).
    pub fold_r2: Vec<f64>,
    /// R² of the held-out predictions of all folds together.
    pub heldout_r2: f64,
    /// The factor that turns the members' spread (a kernel model's: its power function)
    /// into a calibrated standard deviation.
    pub std_scale: f64,
    /// Added to every standard deviation: a network ensemble's is 0, and it adds to the
    /// scaled spread. Tree and kernel models combine the two in quadrature instead:
    /// √(floor² + (scale·spread)²) (see `calibrate`). A kernel model written before its
    /// std depended on the position has scale 0 and a floor of its held-out errors' 95th
    /// percentile / 1.96.
    pub std_floor: f64,
    /// Share of the test rows within ±1.96 calibrated std of the prediction (`None` without
    /// test rows).
    pub test_coverage: Option<f64>,
}

/// One configuration `--auto` tried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardEntry {
    /// The configuration, in words (`adam 64,32,16 lr 0.001 alpha 0.0001`).
    pub config: String,
    /// Mean R² of the fold models on the folds they held out.
    pub cv_r2_mean: f64,
    /// Standard deviation of those R² across folds.
    pub cv_r2_std: f64,
    /// Seconds the cross-validation took, rounded to milliseconds (wall clock, so it is the
    /// one field that differs between runs; it is kept out of the model file's bytes).
    #[serde(skip)]
    pub seconds: f64,
}

/// The deterministic part of [`TrainingHistory`]. The per-epoch curves are kept at `f32`
/// precision (they are stored as `f32` so that the default model file stays small), and at
/// most [`MAX_CURVE_POINTS`] of them: a longer run keeps every k-th epoch and the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingHistoryRecord {
    /// Epochs run.
    pub epochs: usize,
    /// Training loss per epoch.
    #[serde(with = "f32_curve")]
    pub train_loss: Vec<f64>,
    /// Validation R² per epoch.
    #[serde(with = "f32_curve")]
    pub validation_r2: Vec<f64>,
    /// 1-based epoch whose weights were kept.
    pub best_epoch: usize,
    /// Best validation R² (for Adam members with early stopping, which stop together: the
    /// members' pooled held-out R² at the kept epoch, the same for every member).
    pub best_validation_r2: Option<f64>,
    /// Why training ended.
    pub stop_reason: StopReason,
}

impl TrainingHistoryRecord {
    /// The deterministic part of `history`, its curves rounded to `f32`.
    pub fn from_history(history: &TrainingHistory) -> TrainingHistoryRecord {
        let round = |curve: &[f64]| curve.iter().map(|&v| v as f32 as f64).collect();
        TrainingHistoryRecord {
            epochs: history.epochs,
            train_loss: round(&history.train_loss),
            validation_r2: round(&history.validation_r2),
            best_epoch: history.best_epoch,
            best_validation_r2: history.best_validation_r2,
            stop_reason: history.stop_reason,
        }
    }
}

/// Serializes an `f64` curve as `f32` values: half the bytes, and the curves are for display.
mod f32_curve {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(curve: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let narrow: Vec<f32> = curve.iter().map(|&v| v as f32).collect();
        narrow.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let narrow = Vec::<f32>::deserialize(d)?;
        Ok(narrow.into_iter().map(f64::from).collect())
    }
}

/// A fitted model: input transform, scalers, one network or an ensemble, and metadata.
///
/// Deserializing goes through the same checks as loading a model file ([`SavedModel`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SavedModel", into = "SavedModel")]
pub struct Interpolator {
    pub(crate) feature_names: Vec<String>,
    pub(crate) target_name: String,
    pub(crate) feature_transform: Option<YeoJohnson>,
    pub(crate) feature_scaler: StandardScaler,
    pub(crate) target_scaler: StandardScaler,
    pub(crate) members: Members,
    pub(crate) options: FitOptions,
    pub(crate) summary: TrainingSummary,
    /// Other models averaged with this one (`--auto`'s blend), if any.
    pub(crate) blend: Option<Blend>,
}

/// What predicts: one network, an ensemble's networks, kernel models (`--auto`'s RBF
/// candidate, one per fold), or boosted trees (one model per fold).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Members {
    /// Networks.
    Networks(Vec<Mlp>),
    /// RBF interpolants on the standardized inputs.
    Kernels(Vec<RbfModel>),
    /// Gradient-boosted trees on the standardized inputs, one per fold (format version 4
    /// on).
    Trees(Vec<BoostedTrees>),
}

impl Members {
    /// How many.
    pub fn len(&self) -> usize {
        match self {
            Members::Networks(m) => m.len(),
            Members::Kernels(k) => k.len(),
            Members::Trees(t) => t.len(),
        }
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn view(&self) -> MemberView<'_> {
        match self {
            Members::Networks(m) => MemberView::Networks(m),
            Members::Kernels(k) => MemberView::Kernels(k),
            Members::Trees(t) => MemberView::Trees(t),
        }
    }
}

/// A borrowed run of members.
#[derive(Clone, Copy)]
enum MemberView<'a> {
    Networks(&'a [Mlp]),
    Kernels(&'a [RbfModel]),
    Trees(&'a [BoostedTrees]),
}

impl<'a> MemberView<'a> {
    fn len(self) -> usize {
        match self {
            MemberView::Networks(m) => m.len(),
            MemberView::Kernels(k) => k.len(),
            MemberView::Trees(t) => t.len(),
        }
    }
    fn one(self, i: usize) -> MemberView<'a> {
        match self {
            MemberView::Networks(m) => MemberView::Networks(&m[i..i + 1]),
            MemberView::Kernels(k) => MemberView::Kernels(&k[i..i + 1]),
            MemberView::Trees(t) => MemberView::Trees(&t[i..i + 1]),
        }
    }
}

/// One model as the model file stores it, before it is checked: an [`Interpolator`]
/// without its blend (format version 2's whole payload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelParts {
    /// Feature names, in the order the networks take them.
    pub feature_names: Vec<String>,
    /// Target name.
    pub target_name: String,
    /// Yeo-Johnson transform of the features before scaling, if any.
    pub feature_transform: Option<YeoJohnson>,
    /// Feature scaler.
    pub feature_scaler: StandardScaler,
    /// Target scaler.
    pub target_scaler: StandardScaler,
    /// The networks (one, or an ensemble's members) or kernel models.
    pub members: Members,
    /// Options of the fit.
    pub options: FitOptions,
    /// What fitting measured.
    pub summary: TrainingSummary,
}

/// An [`Interpolator`] as the model file stores it (the current format version), before it is
/// checked: the model's parts and its blend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    /// The model.
    pub model: ModelParts,
    /// Other models averaged with it (`--auto`'s blend), if any.
    pub blend: Option<Blend>,
}

impl From<Interpolator> for SavedModel {
    fn from(m: Interpolator) -> SavedModel {
        SavedModel {
            model: ModelParts {
                feature_names: m.feature_names,
                target_name: m.target_name,
                feature_transform: m.feature_transform,
                feature_scaler: m.feature_scaler,
                target_scaler: m.target_scaler,
                members: m.members,
                options: m.options,
                summary: m.summary,
            },
            blend: m.blend,
        }
    }
}

impl TryFrom<SavedModel> for Interpolator {
    type Error = Error;
    /// Checks the model, then its blend against it.
    fn try_from(saved: SavedModel) -> Result<Interpolator> {
        let mut model = Interpolator::try_from(saved.model)?;
        if let Some(blend) = &saved.blend {
            blend.check(&model.feature_names, &model.target_name)?;
        }
        model.blend = saved.blend;
        Ok(model)
    }
}

fn check_scaler(scaler: &StandardScaler, columns: usize, what: &str) -> Result<()> {
    if scaler.mean().len() != columns || scaler.scale().len() != columns {
        return Err(Error::Inconsistent(format!(
            "the {what} scaler has {} means and {} scales for {columns} columns",
            scaler.mean().len(),
            scaler.scale().len()
        )));
    }
    let finite = scaler.mean().iter().all(|v| v.is_finite());
    if !finite || !scaler.scale().iter().all(|s| s.is_finite() && *s > 0.0) {
        return Err(Error::Inconsistent(format!(
            "the {what} scaler holds a non-finite or non-positive value"
        )));
    }
    Ok(())
}

fn check_history(history: &TrainingHistoryRecord) -> Result<()> {
    let curve_ok = |len: usize| {
        len == history.epochs
            || (history.epochs > MAX_CURVE_POINTS && len > 0 && len <= MAX_CURVE_POINTS)
    };
    if !curve_ok(history.train_loss.len())
        || !(history.validation_r2.is_empty() || curve_ok(history.validation_r2.len()))
        || history.best_epoch > history.epochs
    {
        return Err(Error::Inconsistent(
            "the training history is inconsistent".into(),
        ));
    }
    Ok(())
}

impl TryFrom<ModelParts> for Interpolator {
    type Error = Error;
    /// Checks every size and value the parts declare against each other.
    fn try_from(p: ModelParts) -> Result<Interpolator> {
        let n_features = p.feature_names.len();
        if n_features == 0 || n_features > MAX_WIDTH {
            return Err(Error::Inconsistent(format!("{n_features} feature names")));
        }
        if p.members.is_empty() || p.members.len() > MAX_ENSEMBLE {
            return Err(Error::Inconsistent(format!("{} networks", p.members.len())));
        }
        let expected_members = match p.members {
            Members::Kernels(_) => 1,
            Members::Networks(_) | Members::Trees(_) => p.options.ensemble,
        };
        if p.options.trees.is_some() != matches!(p.members, Members::Trees(_)) {
            return Err(Error::Inconsistent(
                "the options' model kind differs from its members'".into(),
            ));
        }
        if p.members.len() != expected_members {
            return Err(Error::Inconsistent(format!(
                "{} networks for an ensemble of {}",
                p.members.len(),
                p.options.ensemble
            )));
        }
        let options = p
            .options
            .clone()
            .check()
            .map_err(|e| Error::Inconsistent(format!("its options are invalid: {e}")))?;
        let networks: &[Mlp] = match &p.members {
            Members::Networks(m) => m,
            Members::Kernels(k) => {
                if k.iter().any(|k| k.n_inputs() != n_features) {
                    return Err(Error::Inconsistent(
                        "a kernel model's inputs differ from the features".into(),
                    ));
                }
                &[]
            }
            Members::Trees(t) => {
                if t.iter().any(|t| t.n_features() != n_features) {
                    return Err(Error::Inconsistent(
                        "a tree model's inputs differ from the features".into(),
                    ));
                }
                &[]
            }
        };
        for (i, mlp) in networks.iter().enumerate() {
            let sizes = mlp.sizes();
            if sizes[0] != n_features {
                return Err(Error::Inconsistent(format!(
                    "{n_features} feature names for network {} of {} inputs",
                    i + 1,
                    sizes[0]
                )));
            }
            if options.options().network.hidden_layers != sizes[1..sizes.len() - 1] {
                return Err(Error::Inconsistent(
                    "the options' hidden layers differ from the network's".into(),
                ));
            }
            if options.options().network.activation != mlp.activation() {
                return Err(Error::Inconsistent(
                    "the options' activation differs from the network's".into(),
                ));
            }
        }
        if let Some(t) = &p.feature_transform {
            if t.n_columns() != n_features {
                return Err(Error::Inconsistent(format!(
                    "a power transform of {} columns for {n_features} features",
                    t.n_columns()
                )));
            }
        }
        if p.feature_transform.is_some() != p.options.power_transform {
            return Err(Error::Inconsistent(
                "the power transform and the options disagree".into(),
            ));
        }
        check_scaler(&p.feature_scaler, n_features, "feature")?;
        check_scaler(&p.target_scaler, 1, "target")?;
        check_history(&p.summary.history)?;
        if let Some(domain) = &p.summary.domain {
            if domain.n_features() != n_features {
                return Err(Error::Inconsistent(format!(
                    "a domain of {} features for {n_features} features",
                    domain.n_features()
                )));
            }
        }
        match (&p.summary.ensemble, p.options.ensemble) {
            (None, 1) => {}
            (Some(e), k) if k > 1 => {
                if e.members.len() != k || e.fold_r2.len() != k {
                    return Err(Error::Inconsistent(
                        "the ensemble's summary does not match its members".into(),
                    ));
                }
                if !(e.std_scale.is_finite()
                    && e.std_scale >= 0.0
                    && e.std_floor.is_finite()
                    && e.std_floor >= 0.0)
                {
                    return Err(Error::Inconsistent(format!(
                        "the ensemble's std scale is {}",
                        e.std_scale
                    )));
                }
                e.members.iter().try_for_each(check_history)?;
            }
            _ => {
                return Err(Error::Inconsistent(
                    "the ensemble's summary does not match its members".into(),
                ))
            }
        }
        Ok(Interpolator {
            feature_names: p.feature_names,
            target_name: p.target_name,
            feature_transform: p.feature_transform,
            feature_scaler: p.feature_scaler,
            target_scaler: p.target_scaler,
            members: p.members,
            options: p.options,
            summary: p.summary,
            blend: None,
        })
    }
}

/// The result of [`Interpolator::fit`]: the model and the full (timed) history.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// The model.
    pub interpolator: Interpolator,
    /// The full history, with wall-clock and per-phase times (of the first member of an
    /// ensemble; `seconds` is the whole fit's).
    pub history: TrainingHistory,
    /// An ensemble's predictions of the pooled rows by the fold models that held them out
    /// (what `--auto`'s blend is chosen on).
    pub(crate) held_out: Option<HeldOut>,
}

/// Out-of-fold predictions of the pooled training rows, and those rows' targets, in the
/// user's units.
#[derive(Debug, Clone)]
pub(crate) struct HeldOut {
    pub(crate) predicted: Vec<f64>,
    pub(crate) truth: Vec<f64>,
}

/// Predictions of an ensemble with their calibrated standard deviations.
#[derive(Debug, Clone, PartialEq)]
pub struct WithStd {
    /// The members' mean, per row.
    pub mean: Vec<f64>,
    /// The calibrated standard deviation, per row.
    pub std: Vec<f64>,
}

/// The input preprocessing of a model: optional power transform, then the scaler.
struct Preprocess<'a> {
    transform: Option<&'a YeoJohnson>,
    scaler: &'a StandardScaler,
}

impl Preprocess<'_> {
    /// Transforms and scales row-major `values` in f64 (for the kernel models).
    fn apply_f64(&self, values: &[f64], out: &mut Vec<f64>) {
        let n = self.scaler.n_columns().max(1);
        let (mean, scale) = (self.scaler.mean(), self.scaler.scale());
        out.clear();
        for row in values.chunks(n) {
            for (c, ((&v, m), s)) in row.iter().zip(mean).zip(scale).enumerate() {
                let t = match self.transform {
                    Some(t) => fivedreg_data::yeo_johnson(v, t.lambdas()[c]),
                    None => v,
                };
                out.push((t - m) / s);
            }
        }
    }

    /// Transforms and scales row-major `values`, narrowed to the network's f32; names the
    /// first value that leaves the f32 range.
    fn apply(&self, values: &[f64], what: &str, out: &mut Vec<f32>) -> Result<()> {
        let n = self.scaler.n_columns().max(1);
        let (mean, scale) = (self.scaler.mean(), self.scaler.scale());
        out.clear();
        for (r, row) in values.chunks(n).enumerate() {
            for (c, ((&v, m), s)) in row.iter().zip(mean).zip(scale).enumerate() {
                let t = match self.transform {
                    Some(t) => fivedreg_data::yeo_johnson(v, t.lambdas()[c]),
                    None => v,
                };
                let x = ((t - m) / s) as f32;
                if !x.is_finite() {
                    return Err(Error::OutOfRange(format!(
                        "{what} value {v} (row {}) is beyond the range of the network's 32-bit \
                         numbers after scaling",
                        r + 1
                    )));
                }
                out.push(x);
            }
        }
        Ok(())
    }
}

/// Sample standard deviation of `values` (0 for fewer than two).
fn sample_std(values: &[f64]) -> f64 {
    let k = values.len();
    if k < 2 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / k as f64;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1) as f64).sqrt()
}

/// The target's scaler for the training `targets`: standardizing when `scale_target`, and
/// always for a constant target (predicted exactly: the scaler holds its value, the
/// networks' output is zeroed after training; see `constant_output`).
fn target_scaler_of(targets: &[f64], scale_target: bool) -> Result<StandardScaler> {
    let constant_target = StandardScaler::constant_columns(targets, 1)?[0];
    Ok(if scale_target || constant_target {
        StandardScaler::fit(targets, 1)?
    } else {
        StandardScaler::identity(1)
    })
}

/// The `q`-quantile of `values` (linear interpolation, as numpy's default).
pub(crate) fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let pos = q * (values.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    values[lo] + (values[hi] - values[lo]) * (pos - lo as f64)
}

/// `mlp` with its output layer's weights and bias zeroed: it outputs exactly 0, which the
/// target scaler of a constant target turns into that constant.
fn constant_output(mlp: &Mlp) -> Result<Mlp> {
    let layers = mlp.sizes().len() - 1;
    let weights = (0..layers).map(|l| mlp.weights(l).to_vec());
    let biases = (0..layers).map(|l| mlp.biases(l).to_vec());
    let zero_last = |(l, mut values): (usize, Vec<f32>)| {
        if l + 1 == layers {
            values.fill(0.0);
        }
        values
    };
    Ok(Mlp::from_parts(
        mlp.sizes().to_vec(),
        weights.enumerate().map(zero_last).collect(),
        biases.enumerate().map(zero_last).collect(),
    )?)
}

impl Interpolator {
    /// Splits `data` (seeded by the network's seed), fits the input transform and the scalers
    /// on the training rows, trains the network — or the ensemble's members, each holding
    /// out one fold of the training and validation rows — and measures the test split in the
    /// user's units. A target that is constant on the training rows is predicted exactly
    /// (and its R² is undefined: NaN).
    pub fn fit(
        data: &Dataset,
        options: &ValidFitOptions,
        on_epoch: &mut dyn FnMut(&EpochStats),
    ) -> Result<Fitted> {
        Interpolator::fit_weighted(data, options, None, on_epoch)
    }

    /// The factor that turns the training losses [`fit`](Self::fit) reports for `data` and
    /// `options` (in standardized units: half a mean squared error of the scaled target,
    /// plus the L2 term) into the target's units squared, as `train --history` writes them:
    /// the square of the target scaler's scale, known before training (the scaler of the
    /// same training rows `fit` takes).
    pub fn loss_to_target_units(data: &Dataset, options: &ValidFitOptions) -> Result<f64> {
        let fit_options = options.options();
        let seed = options.network().params().seed;
        let parts = fivedreg_data::split_indices(data.n_rows(), fit_options.split, seed)?;
        let mut rows = parts.train;
        if fit_options.ensemble > 1 {
            rows.extend_from_slice(&parts.validation);
        }
        let targets: Vec<f64> = rows.iter().map(|&i| data.targets()[i]).collect();
        let scale = target_scaler_of(&targets, fit_options.scale_target)?.scale()[0];
        Ok(scale * scale)
    }

    /// [`fit`](Self::fit), with a kernel model's inputs multiplied by `input_weights` after
    /// standardizing (`--auto`'s relevance search; see
    /// [`search_input_weights`](crate::kernel::search_input_weights)). The weights are folded
    /// into the stored feature scaler, so the model file holds them as its scales.
    pub(crate) fn fit_weighted(
        data: &Dataset,
        options: &ValidFitOptions,
        input_weights: Option<&[f64]>,
        on_epoch: &mut dyn FnMut(&EpochStats),
    ) -> Result<Fitted> {
        let started = std::time::Instant::now();
        let fit_options = options.options();
        let params = options.network().params();
        let n_features = data.n_features();
        if n_features > MAX_WIDTH {
            return Err(Error::OutOfRange(format!(
                "{n_features} features; at most {MAX_WIDTH} are supported"
            )));
        }
        let parts = fivedreg_data::split_indices(data.n_rows(), fit_options.split, params.seed)?;
        let k = fit_options.ensemble;
        // An ensemble pools the training and validation rows and cuts them into folds.
        let (train_rows, validation_rows) = if k > 1 {
            let mut pool = parts.train.clone();
            pool.extend_from_slice(&parts.validation);
            (pool, Vec::new())
        } else {
            (parts.train.clone(), parts.validation.clone())
        };
        let train = data.select(&train_rows);
        let validation = data.select(&validation_rows);
        let test = data.select(&parts.test);
        let feature_transform = if fit_options.power_transform {
            Some(YeoJohnson::fit(train.features(), n_features)?)
        } else {
            None
        };
        let mut transformed = train.features().to_vec();
        if let Some(t) = &feature_transform {
            t.transform_in_place(&mut transformed);
        }
        let mut feature_scaler = if fit_options.scale_features {
            StandardScaler::fit(&transformed, n_features)?
        } else {
            StandardScaler::identity(n_features)
        };
        if let (Some(weights), Some(_)) = (input_weights, &fit_options.kernel) {
            feature_scaler = feature_scaler.reweighted(weights)?;
        }
        let constant_target = StandardScaler::constant_columns(train.targets(), 1)?[0];
        let target_scaler = target_scaler_of(train.targets(), fit_options.scale_target)?;
        let pre = Preprocess {
            transform: feature_transform.as_ref(),
            scaler: &feature_scaler,
        };
        let scale_targets = |targets: &[f64]| -> Result<Vec<f32>> {
            let (m, s) = (target_scaler.mean()[0], target_scaler.scale()[0]);
            let scaled: Vec<f32> = targets.iter().map(|&y| ((y - m) / s) as f32).collect();
            if let Some(i) = scaled.iter().position(|v| !v.is_finite()) {
                return Err(Error::OutOfRange(format!(
                    "target value {} (row {}) is beyond the range of the network's 32-bit \
                     numbers after scaling",
                    targets[i],
                    i + 1
                )));
            }
            Ok(scaled)
        };
        let mut train_x = Vec::new();
        pre.apply(train.features(), "feature", &mut train_x)?;
        let train_y = scale_targets(train.targets())?;
        let mut validation_x = Vec::new();
        pre.apply(validation.features(), "feature", &mut validation_x)?;
        let validation_y = scale_targets(validation.targets())?;

        let stored_options = FitOptions {
            // The thread count cannot change the model, so it is not part of it.
            network: MlpParams {
                threads: MlpParams::default().threads,
                ..fit_options.network.clone()
            },
            ..fit_options.clone()
        };
        let data = MemberData {
            x: &train_x,
            y: &train_y,
            validation_x: &validation_x,
            validation_y: &validation_y,
            n_features,
        };
        let folds = if k > 1 {
            Some(ensemble::folds(train.n_rows(), k, params.seed)?)
        } else {
            None
        };
        // The fold models that held out each fold, when they are not the members themselves.
        let mut fold_models: Option<Members> = None;
        let no_epochs = || {
            let history = TrainingHistory {
                epochs: 0,
                train_loss: Vec::new(),
                validation_r2: Vec::new(),
                best_epoch: 0,
                best_validation_r2: None,
                stop_reason: StopReason::Converged,
                seconds: 0.0,
                phase_seconds: Default::default(),
            };
            let record = TrainingHistoryRecord::from_history(&history);
            (history, vec![record; k])
        };
        let standardized_targets = || {
            let (m, s) = (target_scaler.mean()[0], target_scaler.scale()[0]);
            train
                .targets()
                .iter()
                .map(|y| (y - m) / s)
                .collect::<Vec<f64>>()
        };
        let (mut members, mut history, mut records) = match (&fit_options.kernel, &folds) {
            (None, Some(folds)) if fit_options.trees.is_some() => {
                let trees = fit_options
                    .trees
                    .as_ref()
                    .ok_or_else(|| Error::Inconsistent("tree options vanished".into()))?;
                let mut x64 = Vec::new();
                pre.apply_f64(train.features(), &mut x64);
                let models = ensemble::fit_trees(
                    &x64,
                    &standardized_targets(),
                    n_features,
                    folds,
                    trees,
                    params,
                    options.network().resolved_threads(),
                )?;
                let (history, records) = no_epochs();
                (Members::Trees(models), history, records)
            }
            (Some(kernel), Some(folds)) => {
                let mut x64 = Vec::new();
                pre.apply_f64(train.features(), &mut x64);
                let y64 = standardized_targets();
                // Every training row is a centre (denser is more accurate) up to
                // FIT_MAX_CENTERS, above it a subset drawn from the seed.
                let mut is_center = vec![true; y64.len()];
                if y64.len() > FIT_MAX_CENTERS {
                    is_center.fill(false);
                    let order = fivedreg_rng::shuffled_indices(
                        y64.len(),
                        fivedreg_rng::derive_seed(params.seed, CENTER_SUBSET_INDEX),
                        fivedreg_rng::Stream::Folds,
                    );
                    order[..FIT_MAX_CENTERS]
                        .iter()
                        .for_each(|&i| is_center[i] = true);
                }
                // The final model (every centre, no fold held out) and the fold models.
                let (full, fold_kernels) = ensemble::fit_kernels(
                    &x64,
                    &y64,
                    n_features,
                    folds,
                    &is_center,
                    kernel,
                    options.network(),
                )?;
                fold_models = Some(Members::Kernels(fold_kernels));
                let (history, records) = no_epochs();
                (Members::Kernels(vec![full]), history, records)
            }
            _ => {
                let trained = match &folds {
                    Some(folds) => {
                        ensemble::train_members(options.network(), &data, folds, on_epoch)?
                    }
                    None => vec![ensemble::train_single(options.network(), &data, on_epoch)?],
                };
                let history = trained[0].history.clone();
                let records: Vec<TrainingHistoryRecord> = trained
                    .iter()
                    .map(|t| bounded(TrainingHistoryRecord::from_history(&t.history)))
                    .collect();
                (
                    Members::Networks(trained.into_iter().map(|t| t.mlp).collect()),
                    history,
                    records,
                )
            }
        };
        if constant_target {
            // Networks output exactly 0 (the constant, once unscaled); kernel models fitted
            // to all-zero scaled targets have zero weights already.
            if let Members::Networks(networks) = &members {
                let constant = networks
                    .iter()
                    .map(constant_output)
                    .collect::<Result<_>>()?;
                members = Members::Networks(constant);
            }
            // The networks' validation scores measured nothing: R² is undefined.
            for record in &mut records {
                record.validation_r2.fill(f64::NAN);
                record.best_validation_r2 = record.best_validation_r2.map(|_| f64::NAN);
            }
        }
        let mut interpolator = Interpolator {
            feature_names: train.feature_names().to_vec(),
            target_name: train.target_name().to_string(),
            feature_transform,
            feature_scaler,
            target_scaler,
            members,
            options: stored_options,
            blend: None,
            summary: TrainingSummary {
                train_samples: train.n_rows(),
                validation_samples: validation.n_rows(),
                test_samples: test.n_rows(),
                history: records[0].clone(),
                test_metrics: None,
                ensemble: None,
                leaderboard: None,
                domain: Some(Domain::of_rows(train.features(), n_features)?),
                search: None,
            },
        };
        let mut held_out = None;
        if let Some(folds) = folds {
            let fold_members = fold_models.unwrap_or_else(|| interpolator.members.clone());
            let (summary, predicted) =
                interpolator.calibrate(&train, &folds, &fold_members, records)?;
            interpolator.summary.ensemble = Some(summary);
            held_out = Some(HeldOut {
                predicted,
                truth: train.targets().to_vec(),
            });
        }
        interpolator.measure_test(&test, options.network().resolved_threads())?;
        history.seconds = started.elapsed().as_secs_f64();
        Ok(Fitted {
            interpolator,
            history,
            held_out,
        })
    }

    /// Stores the metrics (and an ensemble's coverage) on the test rows, when there are any,
    /// predicting them on up to `threads` threads (the fit's own count).
    pub(crate) fn measure_test(&mut self, test: &Dataset, threads: usize) -> Result<()> {
        if test.n_rows() == 0 {
            return Ok(());
        }
        let features = self.features_in_model_order(test)?;
        if self.is_ensemble() {
            let with_std = self.predict_with_std_on(&features, threads)?;
            let coverage = coverage(test.targets(), &with_std);
            self.summary.test_metrics = Some(Report::compute(test.targets(), &with_std.mean)?);
            if let Some(e) = self.summary.ensemble.as_mut() {
                e.test_coverage = Some(coverage);
            }
        } else {
            let predicted = self.predict_on(&features, threads)?;
            self.summary.test_metrics = Some(Report::compute(test.targets(), &predicted)?);
        }
        Ok(())
    }

    /// Calibrates the ensemble's spread on the held-out folds (`pool` is the rows the folds
    /// index): member `m`'s prediction of fold `m` is a prediction of unseen rows, so its
    /// errors say how wide the spread must be drawn.
    ///
    /// The members' mean on unseen rows errs less than one member does: a member's error is
    /// the mean's plus its own deviation from the mean, whose variance is about
    /// `(1 − 1/K)·spread²`. So each held-out row gives `z² = max(e² − (1 − 1/K)s², 0) / s²`,
    /// an estimate of the mean's squared error in units of the spread, and the scale is the
    /// 95th percentile of `z` divided by 1.96. Returns the summary and the held-out
    /// predictions of the pooled rows.
    fn calibrate(
        &self,
        pool: &Dataset,
        folds: &[Vec<usize>],
        fold_members: &Members,
        records: Vec<TrainingHistoryRecord>,
    ) -> Result<(EnsembleSummary, Vec<f64>)> {
        let k = folds.len();
        let features = pool.features();
        let n_features = self.feature_names.len();
        let mut heldout = vec![0.0; pool.n_rows()];
        // A kernel model's power function at the rows its fold model held out.
        let kernels = matches!(fold_members, Members::Kernels(_));
        let mut heldout_power = vec![0.0; if kernels { pool.n_rows() } else { 0 }];
        let mut fold_r2 = Vec::with_capacity(k);
        for (m, fold) in folds.iter().enumerate() {
            let x: Vec<f64> = fold
                .iter()
                .flat_map(|&i| {
                    features[i * n_features..(i + 1) * n_features]
                        .iter()
                        .copied()
                })
                .collect();
            let mut predicted = vec![0.0; fold.len()];
            let mut power = vec![0.0; if kernels { fold.len() } else { 0 }];
            self.predict_rows(
                &x,
                fold_members.view().one(m),
                &mut predicted,
                kernels.then_some(&mut power[..]),
                0,
            )?;
            let truth: Vec<f64> = fold.iter().map(|&i| pool.targets()[i]).collect();
            fold_r2.push(fivedreg_metrics::r2(&truth, &predicted)?);
            for (&i, p) in fold.iter().zip(predicted) {
                heldout[i] = p;
            }
            for (&i, p) in fold.iter().zip(power) {
                heldout_power[i] = p;
            }
        }
        let heldout_r2 = fivedreg_metrics::r2(pool.targets(), &heldout)?;
        let mut mean = vec![0.0; pool.n_rows()];
        let mut spreads = vec![0.0; pool.n_rows()];
        self.predict_rows(
            features,
            self.members.view(),
            &mut mean,
            Some(&mut spreads),
            0,
        )?;
        // The width that covers 95% of the held-out rows alone: the held-out errors' 95th
        // percentile / 1.96.
        let mut errors: Vec<f64> = pool
            .targets()
            .iter()
            .zip(&heldout)
            .map(|(y, p)| (y - p).abs())
            .collect();
        let q = quantile(&mut errors, 0.95);
        let constant_width = if q.is_finite() { q / Z95 } else { 0.0 };
        // The least `a` with which `width(spread)` of `a` covers 95% of the held-out rows,
        // given each row's `z` (the `a` that just covers it).
        let scale_of = |z: &dyn Fn(f64, f64) -> f64| {
            let mut z: Vec<f64> = pool
                .targets()
                .iter()
                .zip(&heldout)
                .zip(&spreads)
                .filter(|(_, &s)| s > 0.0)
                .map(|((y, p), &s)| z(y - p, s))
                .collect();
            let a = quantile(&mut z, 0.95);
            if a.is_finite() {
                a
            } else {
                0.0
            }
        };
        let (std_scale, std_floor) = match &self.members {
            Members::Trees(_) => {
                // Each tree model fits the noise of its own rows, so at a training row the
                // one model that held it out differs from the four that fitted it, and the
                // spread there says more about the noise than it will at a new point. The
                // error is the noise, about constant, plus the model's, which grows with
                // the spread: the std is √(b² + (a·s)²), b most of the constant width, and
                // a the least scale with which it covers 95% of the held-out rows.
                let floor = TREE_FLOOR_SHARE * constant_width;
                let a = scale_of(&|e, s| ((e / Z95).powi(2) - floor * floor).max(0.0).sqrt() / s);
                (a, floor)
            }
            Members::Networks(_) => {
                let shrink = 1.0 - 1.0 / k as f64;
                let z = scale_of(&|e, s| ((e * e - shrink * s * s).max(0.0) / (s * s)).sqrt());
                (z / Z95, 0.0)
            }
            Members::Kernels(kernels) => {
                // A Gaussian process's predictive variance for a new observation is
                // σ²(P² + λ): the power function P for what the centres leave open, the
                // smoothing λ for the noise (a smoothing spline is the same model with an
                // improper prior). So the std is a·√(P² + λ), stored as scale a and floor
                // a·√λ, with a the least that covers 95% of the held-out rows, each seen
                // by the fold model that did not fit it.
                let lambda = kernels.first().map_or(0.0, RbfModel::smoothing);
                let mut z: Vec<f64> = pool
                    .targets()
                    .iter()
                    .zip(&heldout)
                    .zip(&heldout_power)
                    .filter_map(|((y, p), &power)| {
                        let width = (power * power + lambda).sqrt();
                        (width > 0.0).then(|| (y - p).abs() / width)
                    })
                    .collect();
                let a = quantile(&mut z, 0.95) / Z95;
                if a.is_finite() {
                    (a, a * lambda.sqrt())
                } else {
                    (0.0, constant_width)
                }
            }
        };
        let summary = EnsembleSummary {
            members: records,
            fold_r2,
            heldout_r2,
            std_scale,
            std_floor,
            test_coverage: None,
        };
        Ok((summary, heldout))
    }

    /// Whether this model can give a calibrated standard deviation (an ensemble, or
    /// `--auto`'s kernel model).
    pub fn is_ensemble(&self) -> bool {
        self.summary.ensemble.is_some()
    }

    fn check_rows(&self, features: &[f64]) -> Result<usize> {
        let n_features = self.feature_names.len();
        if !features.len().is_multiple_of(n_features) {
            return Err(Error::FeatureCount {
                expected: n_features,
                found: format!(
                    "{} values are not a whole number of rows of {n_features}",
                    features.len()
                ),
            });
        }
        Ok(features.len() / n_features)
    }

    /// Predicts the target, in the user's units, for row-major `features` (`n x n_features`,
    /// in the order of [`feature_names`](Self::feature_names)); an ensemble predicts its
    /// members' mean, a blend its models' weighted mean. Works through the rows in chunks
    /// of [`PREDICT_CHUNK_ROWS`]; a large input is shared among the available cores (each
    /// row's prediction is the same whatever the split).
    pub fn predict(&self, features: &[f64]) -> Result<Vec<f64>> {
        self.predict_on(features, usize::MAX)
    }

    /// [`predict`](Self::predict) on up to `threads` threads.
    fn predict_on(&self, features: &[f64], threads: usize) -> Result<Vec<f64>> {
        let rows = self.check_rows(features)?;
        let mut predictions = vec![0.0; rows];
        self.predict_parallel(features, &mut predictions, None, threads)?;
        self.add_blend(features, &mut predictions, threads)?;
        Ok(predictions)
    }

    /// Turns this model's own predictions into the blend's weighted mean, if it holds one.
    fn add_blend(&self, features: &[f64], predictions: &mut [f64], threads: usize) -> Result<()> {
        let Some(blend) = &self.blend else {
            return Ok(());
        };
        let main = blend.main_weight();
        predictions.iter_mut().for_each(|p| *p *= main);
        for part in &blend.parts {
            let other = part.model.predict_on(features, threads)?;
            predictions
                .iter_mut()
                .zip(other)
                .for_each(|(p, o)| *p += part.weight * o);
        }
        Ok(())
    }

    /// Predicts the members' mean and the calibrated standard deviation (the members' spread
    /// times the scale fitted on the held-out folds). Refuses a single network, which has no
    /// spread.
    pub fn predict_with_std(&self, features: &[f64]) -> Result<WithStd> {
        self.predict_with_std_on(features, usize::MAX)
    }

    /// [`predict_with_std`](Self::predict_with_std) on up to `threads` threads.
    fn predict_with_std_on(&self, features: &[f64], threads: usize) -> Result<WithStd> {
        let Some((scale, floor)) = self
            .summary
            .ensemble
            .as_ref()
            .map(|e| (e.std_scale, e.std_floor))
        else {
            return Err(Error::NotAnEnsemble);
        };
        let rows = self.check_rows(features)?;
        let mut mean = vec![0.0; rows];
        let mut std = vec![0.0; rows];
        self.predict_parallel(features, &mut mean, Some(&mut std), threads)?;
        // Trees and kernel models add their floor in quadrature (see `calibrate`).
        let quadrature = matches!(self.members, Members::Trees(_) | Members::Kernels(_));
        std.iter_mut().for_each(|s| {
            *s = if quadrature {
                (*s * scale).hypot(floor)
            } else {
                *s * scale + floor
            };
        });
        let Some(blend) = &self.blend else {
            return Ok(WithStd { mean, std });
        };
        match blend.std_rule {
            BlendStd::HolderTimesRatio => self.add_blend(features, &mut mean, threads)?,
            BlendStd::WeightedParts => {
                let main = blend.main_weight();
                mean.iter_mut().for_each(|m| *m *= main);
                std.iter_mut().for_each(|s| *s *= main);
                for part in &blend.parts {
                    let other = part.model.predict_with_std_on(features, threads)?;
                    for ((m, s), (om, os)) in mean
                        .iter_mut()
                        .zip(std.iter_mut())
                        .zip(other.mean.iter().zip(&other.std))
                    {
                        *m += part.weight * om;
                        *s += part.weight * os;
                    }
                }
            }
        }
        std.iter_mut().for_each(|s| *s *= blend.std_ratio);
        Ok(WithStd { mean, std })
    }

    /// Predicts `out.len()` rows on up to `max_threads` threads (fewer for small inputs and
    /// at most the cores there are).
    fn predict_parallel(
        &self,
        features: &[f64],
        out: &mut [f64],
        spread: Option<&mut [f64]>,
        max_threads: usize,
    ) -> Result<()> {
        let n_features = self.feature_names.len();
        let rows = out.len();
        // Asking for the core count reads cgroup files (tens of µs): only when it matters.
        let threads = match (rows / PARALLEL_MIN_ROWS).min(max_threads) {
            0 | 1 => 1,
            most => std::thread::available_parallelism().map_or(1, |n| n.get().min(most)),
        };
        if threads == 1 {
            return self.predict_rows(features, self.members.view(), out, spread, 0);
        }
        // Whole chunks per thread: the chunks are those of one thread, so are the results.
        let per_thread = rows.div_ceil(threads).div_ceil(PREDICT_CHUNK_ROWS) * PREDICT_CHUNK_ROWS;
        let mut spread_parts: Vec<Option<&mut [f64]>> = match spread {
            Some(s) => s.chunks_mut(per_thread).map(Some).collect(),
            None => (0..rows.div_ceil(per_thread)).map(|_| None).collect(),
        };
        std::thread::scope(|scope| {
            let parts: Vec<_> = features
                .chunks(per_thread * n_features)
                .zip(out.chunks_mut(per_thread))
                .zip(spread_parts.iter_mut())
                .enumerate()
                .map(|(t, ((x, out), spread))| {
                    let spread = spread.take();
                    scope.spawn(move || {
                        self.predict_rows(x, self.members.view(), out, spread, t * per_thread)
                    })
                })
                .collect();
            // Joined in order, so the error reported is the first in row order.
            parts.into_iter().try_for_each(|part| match part.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            })
        })
    }

    /// Predicts `out.len()` rows of `features` whose first is row `first_row` (0-based) of
    /// the whole input, chunk by chunk with one reused workspace: the mean of `members` in
    /// `out`, and their sample standard deviation in `spread` when asked.
    fn predict_rows(
        &self,
        features: &[f64],
        members: MemberView<'_>,
        out: &mut [f64],
        mut spread: Option<&mut [f64]>,
        first_row: usize,
    ) -> Result<()> {
        let n_features = self.feature_names.len();
        let chunk_rows = PREDICT_CHUNK_ROWS.min(out.len());
        let mut workspace = match members {
            MemberView::Networks(m) => m.first().map(PredictWorkspace::new),
            MemberView::Kernels(_) | MemberView::Trees(_) => None,
        };
        let mut chunk_x64: Vec<f64> = Vec::new();
        let mut chunk_out64 = vec![0.0f64; chunk_rows];
        let kernels = matches!(members, MemberView::Kernels(_));
        let mut chunk_power = vec![0.0f64; if kernels { chunk_rows } else { 0 }];
        let mut chunk_x: Vec<f32> = Vec::with_capacity(chunk_rows * n_features);
        let mut chunk_y = vec![0.0f32; chunk_rows];
        let mut per_member = vec![0.0f64; chunk_rows * members.len()];
        let mut row_values = vec![0.0f64; members.len()];
        let (y_mean, y_scale) = (self.target_scaler.mean()[0], self.target_scaler.scale()[0]);
        let pre = Preprocess {
            transform: self.feature_transform.as_ref(),
            scaler: &self.feature_scaler,
        };
        for (c, (x, y)) in features
            .chunks(PREDICT_CHUNK_ROWS * n_features)
            .zip(out.chunks_mut(PREDICT_CHUNK_ROWS))
            .enumerate()
        {
            let chunk_first = first_row + c * PREDICT_CHUNK_ROWS;
            if let Some(i) = x.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFiniteFeature {
                    row: chunk_first + i / n_features + 1,
                    column: i % n_features + 1,
                    value: x[i],
                });
            }
            pre.apply(x, "feature", &mut chunk_x).map_err(|_| {
                Error::OutOfRange(format!(
                    "a feature in rows {}..{} is too large for the network's 32-bit numbers \
                     after scaling",
                    chunk_first + 1,
                    chunk_first + y.len()
                ))
            })?;
            let rows = y.len();
            let scaled = &mut chunk_y[..rows];
            match (members, workspace.as_mut()) {
                (MemberView::Networks(networks), Some(workspace)) => {
                    for (m, mlp) in networks.iter().enumerate() {
                        mlp.predict_into(&chunk_x, scaled, workspace)?;
                        // The target scaler's inverse transform, in f64.
                        for (r, &v) in scaled.iter().enumerate() {
                            per_member[r * networks.len() + m] = f64::from(v) * y_scale + y_mean;
                        }
                    }
                }
                (MemberView::Kernels(kernels), _) => {
                    // Kernel models compute in f64 from the same standardized inputs.
                    pre.apply_f64(x, &mut chunk_x64);
                    let out64 = &mut chunk_out64[..rows];
                    for (m, kernel) in kernels.iter().enumerate() {
                        kernel.predict_into(&chunk_x64, out64);
                        for (r, &v) in out64.iter().enumerate() {
                            per_member[r * kernels.len() + m] = v * y_scale + y_mean;
                        }
                    }
                    if spread.is_some() {
                        // A kernel model's spread is its power function (the members'
                        // mean of it): interpolants agree at the rows they were fitted to,
                        // so how they differ says little; how far a row is from what the
                        // centres pin down says more.
                        let power = &mut chunk_power[..rows];
                        power.fill(0.0);
                        for kernel in kernels.iter() {
                            kernel.power_into(&chunk_x64, out64);
                            power
                                .iter_mut()
                                .zip(out64.iter())
                                .for_each(|(p, v)| *p += v);
                        }
                        let count = kernels.len() as f64;
                        power.iter_mut().for_each(|p| *p /= count);
                    }
                }
                (MemberView::Trees(models), _) => {
                    // Trees read the same standardized inputs, in f64.
                    pre.apply_f64(x, &mut chunk_x64);
                    let out64 = &mut chunk_out64[..rows];
                    for (m, model) in models.iter().enumerate() {
                        model.predict(&chunk_x64, out64);
                        for (r, &v) in out64.iter().enumerate() {
                            per_member[r * models.len() + m] = v * y_scale + y_mean;
                        }
                    }
                }
                (MemberView::Networks(_), None) => {
                    return Err(Error::Inconsistent("a model without members".into()))
                }
            }
            for (r, dst) in y.iter_mut().enumerate() {
                row_values.copy_from_slice(&per_member[r * members.len()..(r + 1) * members.len()]);
                *dst = row_values.iter().sum::<f64>() / members.len() as f64;
                if let Some(s) = spread.as_deref_mut() {
                    s[c * PREDICT_CHUNK_ROWS + r] = if kernels {
                        chunk_power[r]
                    } else {
                        sample_std(&row_values)
                    };
                }
            }
            if let Some(i) = y.iter().position(|v| !v.is_finite()) {
                return Err(Error::OutOfRange(
                    self.non_finite_cause(chunk_first + i + 1),
                ));
            }
        }
        Ok(())
    }

    /// Says why a prediction left the f64 range: the target's own scale, or inputs far from
    /// the training data.
    fn non_finite_cause(&self, row: usize) -> String {
        let (m, s) = (self.target_scaler.mean()[0], self.target_scaler.scale()[0]);
        if m.abs().max(s) > 1e150 {
            format!(
                "the prediction for row {row} is not finite: the target's magnitude (mean \
                 {m:e}, spread {s:e}) is too large for the network's arithmetic; rescale the \
                 target (e.g. divide it by a power of ten)"
            )
        } else {
            format!(
                "the prediction for row {row} is not finite: its inputs lie far outside the \
                 range the model was trained on"
            )
        }
    }

    /// Predicts one point (its features in the order of [`feature_names`](Self::feature_names)).
    pub fn predict_point(&self, point: &[f64]) -> Result<f64> {
        if point.len() != self.feature_names.len() {
            return Err(Error::FeatureCount {
                expected: self.feature_names.len(),
                found: format!("the point has {}", point.len()),
            });
        }
        let y = self.predict(point)?;
        y.first()
            .copied()
            .ok_or_else(|| Error::OutOfRange("no prediction".into()))
    }

    /// Checks that `names` are the model's feature names, in order.
    pub fn check_feature_names(&self, names: &[String]) -> Result<()> {
        if names == self.feature_names.as_slice() {
            return Ok(());
        }
        Err(Error::FeatureNames {
            expected: self.feature_names.join(","),
            found: names.join(","),
        })
    }

    /// Metrics of the predictions on `data`, which must hold every feature of the model (found
    /// by name, in any order; other columns are ignored).
    pub fn evaluate(&self, data: &Dataset) -> Result<Report> {
        let predicted = self.predict(&self.features_in_model_order(data)?)?;
        Ok(Report::compute(data.targets(), &predicted)?)
    }

    /// Share of `data`'s rows whose target lies within ±1.96 calibrated standard deviations
    /// of the ensemble's prediction (about 0.95 when the calibration holds).
    pub fn coverage(&self, data: &Dataset) -> Result<f64> {
        let with_std = self.predict_with_std(&self.features_in_model_order(data)?)?;
        Ok(coverage(data.targets(), &with_std))
    }

    /// The features of `data` in the model's column order (other columns left out); refuses
    /// data that lacks one of the model's features.
    pub fn features_in_model_order<'a>(&self, data: &'a Dataset) -> Result<Cow<'a, [f64]>> {
        let names = data.feature_names();
        if names == self.feature_names.as_slice() {
            return Ok(Cow::Borrowed(data.features()));
        }
        let columns: Option<Vec<usize>> = self
            .feature_names
            .iter()
            .map(|name| names.iter().position(|n| n == name))
            .collect();
        match columns {
            Some(columns) => {
                let reordered = (0..data.n_rows())
                    .flat_map(|i| columns.iter().map(move |&c| data.row(i)[c]))
                    .collect();
                Ok(Cow::Owned(reordered))
            }
            None => Err(Error::FeatureNames {
                expected: self.feature_names.join(","),
                found: names.join(","),
            }),
        }
    }

    /// Feature names, in the order `predict` expects.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
    /// Target name.
    pub fn target_name(&self) -> &str {
        &self.target_name
    }
    /// The power transform applied to the features before scaling, if any.
    pub fn feature_transform(&self) -> Option<&YeoJohnson> {
        self.feature_transform.as_ref()
    }
    /// The feature scaler (identity when features were not scaled).
    pub fn feature_scaler(&self) -> &StandardScaler {
        &self.feature_scaler
    }
    /// The target scaler (identity when the target was not scaled).
    pub fn target_scaler(&self) -> &StandardScaler {
        &self.target_scaler
    }
    /// The network (the first member of an ensemble); `None` for a kernel model.
    pub fn mlp(&self) -> Option<&Mlp> {
        self.networks().first()
    }
    /// Every network: one, or an ensemble's members (none for a kernel model).
    pub fn networks(&self) -> &[Mlp] {
        match &self.members {
            Members::Networks(m) => m,
            Members::Kernels(_) | Members::Trees(_) => &[],
        }
    }
    /// Whether [`predict_with_std`](Self::predict_with_std) gives a standard deviation: an
    /// ensemble, an `--auto` model (its fold models or a kernel model with a calibrated
    /// floor) or a blend; not a single network.
    pub fn has_std(&self) -> bool {
        self.summary.ensemble.is_some()
    }
    /// What predicts: networks, kernel models or trees.
    pub fn members(&self) -> &Members {
        &self.members
    }
    /// Layer widths of the networks (`None` for a kernel model).
    pub fn layer_sizes(&self) -> Option<&[usize]> {
        self.mlp().map(Mlp::sizes)
    }

    /// One member in words: `5 → 64 → 32 → 16 → 1 (relu)` or `RBF thin-plate, smoothing
    /// 0.001, 1600 centres`.
    pub fn describe_member(&self) -> String {
        match &self.members {
            Members::Networks(m) => m.first().map_or_else(String::new, |mlp| {
                let sizes: Vec<String> = mlp.sizes().iter().map(usize::to_string).collect();
                format!("{} ({})", sizes.join(" → "), mlp.activation().name())
            }),
            Members::Kernels(k) => k.first().map_or_else(String::new, |k| {
                format!(
                    "RBF {}, smoothing {}, {} centres",
                    k.kernel().name(),
                    k.smoothing(),
                    k.n_centers()
                )
            }),
            Members::Trees(t) => t.first().map_or_else(String::new, |t| {
                let depth = t.trees().first().map_or(0, |tree| tree.features.len());
                format!("{} oblivious trees of depth {depth}", t.n_trees())
            }),
        }
    }

    /// Trainable parameters of one member (a kernel model's weights and tail).
    pub fn n_parameters(&self) -> usize {
        match &self.members {
            Members::Networks(m) => m.first().map_or(0, Mlp::n_parameters),
            Members::Kernels(k) => k.first().map_or(0, |k| k.n_centers() + k.n_inputs() + 1),
            Members::Trees(t) => t.first().map_or(0, BoostedTrees::parameter_count),
        }
    }
    /// The options it was fitted with.
    pub fn options(&self) -> &FitOptions {
        &self.options
    }

    /// Where the training rows lie (`None` for a model read from a format-version-1 file).
    pub fn domain(&self) -> Option<&Domain> {
        self.summary.domain.as_ref()
    }

    /// What fitting measured.
    pub fn summary(&self) -> &TrainingSummary {
        &self.summary
    }
    /// Other models averaged with this one (`--auto`'s blend), if any.
    pub fn blend(&self) -> Option<&Blend> {
        self.blend.as_ref()
    }
    /// Attaches `--auto`'s blend (checked as a loaded one is).
    pub(crate) fn set_blend(&mut self, blend: Blend) -> Result<()> {
        blend.check(&self.feature_names, &self.target_name)?;
        self.blend = Some(blend);
        Ok(())
    }
    /// Attaches `--auto`'s leaderboard.
    pub(crate) fn set_leaderboard(&mut self, leaderboard: Vec<LeaderboardEntry>) {
        self.summary.leaderboard = Some(leaderboard);
    }
}

/// Share of rows within ±1.96 std.
fn coverage(truth: &[f64], with_std: &WithStd) -> f64 {
    let inside = truth
        .iter()
        .zip(&with_std.mean)
        .zip(&with_std.std)
        .filter(|((y, m), s)| (*y - *m).abs() <= Z95 * **s)
        .count();
    inside as f64 / truth.len().max(1) as f64
}

/// Keeps a history's curves within [`MAX_CURVE_POINTS`]: beyond that, every k-th epoch and
/// the last (the record's `epochs` still counts them all).
fn bounded(mut record: TrainingHistoryRecord) -> TrainingHistoryRecord {
    let thin = |curve: &mut Vec<f64>| {
        if curve.len() > MAX_CURVE_POINTS {
            let step = curve.len().div_ceil(MAX_CURVE_POINTS - 1);
            let last = curve[curve.len() - 1];
            let mut kept: Vec<f64> = curve.iter().copied().step_by(step).collect();
            kept.truncate(MAX_CURVE_POINTS - 1);
            kept.push(last);
            *curve = kept;
        }
    };
    thin(&mut record.train_loss);
    thin(&mut record.validation_r2);
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use fivedreg_data::{generate, SplitFractions, TestFunction};

    fn small_options() -> FitOptions {
        FitOptions {
            network: MlpParams {
                hidden_layers: vec![32, 16],
                max_epochs: 80,
                seed: 3,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// The seed task on 3 inputs with y mapped to `a * y + b`.
    fn affine_task(n: usize, seed: u64, a: f64, b: f64) -> Dataset {
        let data = generate(TestFunction::SumOfSquares, n, 3, 0.0, seed).unwrap();
        let targets = data.targets().iter().map(|y| a * y + b).collect();
        Dataset::new(
            data.feature_names().to_vec(),
            "y".into(),
            data.features().to_vec(),
            targets,
        )
        .unwrap()
    }

    fn fit(data: &Dataset, options: FitOptions) -> Fitted {
        Interpolator::fit(data, &options.check().unwrap(), &mut |_| {}).unwrap()
    }

    #[test]
    fn predictions_come_back_in_the_users_units() {
        for (a, b) in [(1.0, 1000.0), (1e-6, 0.0), (-250.0, 3.0)] {
            let fitted = fit(&affine_task(1500, 1, a, b), small_options());
            let fresh = affine_task(200, 2, a, b);
            let predicted = fitted.interpolator.predict(fresh.features()).unwrap();
            let r2 = fivedreg_metrics::r2(fresh.targets(), &predicted).unwrap();
            assert!(r2 > 0.9, "y = {a} * s + {b}: R² {r2}");
            let report = fitted.interpolator.evaluate(&fresh).unwrap();
            assert_eq!(report.r2, r2);
            let test = fitted.interpolator.summary().test_metrics.unwrap();
            assert_eq!(test.n, 300);
            assert!(test.r2 > 0.9, "test R² {}", test.r2);
        }
    }

    #[test]
    fn the_model_file_round_trips_and_is_reproducible() {
        let data = affine_task(600, 4, 1.0, 0.0);
        let mut options = small_options();
        options.network.max_epochs = 20;
        options.network.threads = 2;
        let first = fit(&data, options.clone()).interpolator;
        let bytes = first.to_bytes().unwrap();
        let back = Interpolator::from_bytes(&bytes, "m").unwrap();
        assert_eq!(back, first);
        options.network.threads = 1;
        let second = fit(&data, options).interpolator;
        assert_eq!(second.to_bytes().unwrap(), bytes);
    }

    /// The default network's file stays under 16 KB besides the domain (ranges and kept
    /// training rows, 4 bytes a value) even when training runs all 500 epochs (the per-epoch curves are
    /// the part that grows).
    #[test]
    fn the_default_model_file_is_under_16_kb() {
        let data = generate(TestFunction::SumOfSquares, 300, 5, 0.0, 9).unwrap();
        let options = FitOptions {
            network: MlpParams {
                patience: usize::MAX / 2,
                ..Default::default()
            },
            ..Default::default()
        };
        let model = fit(&data, options).interpolator;
        assert_eq!(model.summary().history.epochs, 500);
        let bytes = model.to_bytes().unwrap().len();
        let domain = postcard::to_allocvec(model.domain().unwrap())
            .unwrap()
            .len();
        assert!(
            bytes - domain < 16 * 1024,
            "{bytes} bytes, {domain} of them the domain"
        );
    }

    #[test]
    fn large_inputs_are_predicted_in_chunks_like_single_rows() {
        let mut options = small_options();
        options.network.max_epochs = 5;
        let model = fit(&affine_task(300, 5, 1.0, 0.0), options).interpolator;
        // Enough rows for several chunks and, on a machine with 2 or more cores, threads.
        let rows = PARALLEL_MIN_ROWS * 2 + 17;
        let fresh = affine_task(rows, 6, 1.0, 0.0);
        let all = model.predict(fresh.features()).unwrap();
        assert_eq!(all.len(), rows);
        let per_thread = rows.div_ceil(2).div_ceil(PREDICT_CHUNK_ROWS) * PREDICT_CHUNK_ROWS;
        for i in [
            0,
            1,
            PREDICT_CHUNK_ROWS - 1,
            PREDICT_CHUNK_ROWS,
            per_thread - 1,
            per_thread,
            rows - 1,
        ] {
            let one = model.predict_point(fresh.row(i)).unwrap();
            assert!(
                (one - all[i]).abs() <= 1e-5 * (1.0 + one.abs()),
                "row {i}: {one} vs {}",
                all[i]
            );
        }
        assert!(model.predict(&[]).unwrap().is_empty());
        // A bad value in the second thread's share, and another later: the first is named.
        let mut damaged = fresh.features().to_vec();
        damaged[(per_thread + 5) * 3 + 1] = f64::NAN;
        damaged[(rows - 1) * 3] = f64::INFINITY;
        match model.predict(&damaged) {
            Err(Error::NonFiniteFeature { row, column: 2, .. }) => {
                assert_eq!(row, per_thread + 6)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn features_are_checked_at_predict_time() {
        let mut options = small_options();
        options.network.max_epochs = 3;
        let data = affine_task(200, 7, 1.0, 0.0);
        let model = fit(&data, options).interpolator;
        assert!(matches!(
            model.predict(&[0.1; 7]),
            Err(Error::FeatureCount { expected: 3, .. })
        ));
        assert!(matches!(
            model.predict_point(&[0.1, 0.2]),
            Err(Error::FeatureCount { expected: 3, .. })
        ));
        match model.predict(&[0.0, 0.0, 0.0, 1.0, f64::NAN, 2.0]) {
            Err(Error::NonFiniteFeature {
                row: 2, column: 2, ..
            }) => {}
            other => panic!("{other:?}"),
        }
        // The same columns in another order are matched by name.
        let names: Vec<String> = ["x3", "x1", "x2"].map(String::from).to_vec();
        let permuted: Vec<f64> = (0..data.n_rows())
            .flat_map(|i| {
                let r = data.row(i);
                [r[2], r[0], r[1]]
            })
            .collect();
        let reordered = Dataset::new(names, "y".into(), permuted, data.targets().to_vec()).unwrap();
        assert_eq!(
            model.evaluate(&reordered).unwrap(),
            model.evaluate(&data).unwrap()
        );
        let renamed = Dataset::new(
            ["a", "b", "c"].map(String::from).to_vec(),
            "y".into(),
            data.features().to_vec(),
            data.targets().to_vec(),
        )
        .unwrap();
        assert!(matches!(
            model.evaluate(&renamed),
            Err(Error::FeatureNames { .. })
        ));
        // An extra column is left out.
        let names: Vec<String> = ["x1", "extra", "x2", "x3"].map(String::from).to_vec();
        let widened: Vec<f64> = (0..data.n_rows())
            .flat_map(|i| {
                let r = data.row(i);
                [r[0], 7.0, r[1], r[2]]
            })
            .collect();
        let widened = Dataset::new(names, "y".into(), widened, data.targets().to_vec()).unwrap();
        assert_eq!(
            model.evaluate(&widened).unwrap(),
            model.evaluate(&data).unwrap()
        );
    }

    #[test]
    fn options_are_checked() {
        let mut options = FitOptions {
            split: SplitFractions::new(1.0, 0.0, 0.0).unwrap(),
            ..Default::default()
        };
        let err = options.clone().check().unwrap_err();
        assert!(matches!(err, Error::NoValidationRows(_)), "{err:?}");
        // Named as the spec names options, or as a front end does.
        assert!(err.to_string().contains("(early_stopping)"), "{err}");
        let flag = err.message(&|p| p.info().flag());
        assert!(
            flag.contains("--split") && flag.contains("(--no-early-stopping)"),
            "{flag}"
        );
        options.network.early_stopping = false;
        assert!(options.check().is_ok());

        let mut options = FitOptions::default();
        options.network.learning_rate = -1.0;
        assert!(matches!(
            options.check(),
            Err(Error::InvalidOption {
                name: "learning_rate",
                ..
            })
        ));
        let mut options = FitOptions::default();
        options.network.hidden_layers = vec![4; crate::MAX_HIDDEN_LAYERS + 1];
        assert!(matches!(
            options.check(),
            Err(Error::InvalidOption {
                name: "hidden_layers",
                ..
            })
        ));
        let options = FitOptions {
            split: SplitFractions::new(0.0, 0.5, 0.5).unwrap(),
            ..Default::default()
        };
        assert!(matches!(
            options.check(),
            Err(Error::InvalidOption { name: "split", .. })
        ));
    }

    #[test]
    fn too_few_rows_is_a_clear_error() {
        let data = affine_task(2, 8, 1.0, 0.0);
        let options = FitOptions {
            split: SplitFractions::new(0.9, 0.1, 0.0).unwrap(),
            ..small_options()
        };
        // The split refuses, saying how many rows each part would get.
        match Interpolator::fit(&data, &options.check().unwrap(), &mut |_| {}) {
            Err(e @ Error::Data(_)) => assert!(e.to_string().contains('2'), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
