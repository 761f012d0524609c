//! `--auto`'s blend: a weighted mean of several candidates' models, the weights chosen on
//! their out-of-fold predictions.
//!
//! Every `--auto` candidate is cross-validated on the same folds of the same rows, so each
//! leaves a prediction of every pooled row made by a model that did not see it. Greedy
//! ensemble selection with replacement (Caruana et al., "Ensemble selection from libraries
//! of models", 2004) adds, round after round, the candidate whose inclusion makes the
//! average of the chosen predictions closest to the truth; a candidate chosen `c` times of
//! `r` rounds weighs `c / r`. The rounds kept are those up to the best score. On noisy data
//! a smooth model and a rough one err in different places, and their mean beats either (on
//! scikit-learn's diabetes data, half a Gaussian process and half a linear model beats
//! either alone on 7 of 10 random splits).

use crate::error::{Error, Result};
use crate::interpolator::Interpolator;
use serde::{Deserialize, Serialize};

/// Most models a blend holds besides its main one.
pub const MAX_BLEND_PARTS: usize = 8;
/// Rounds of the greedy selection: weights are multiples of 1/20.
pub(crate) const SELECTION_ROUNDS: usize = 20;
/// A blend is kept only when its out-of-fold squared error is at most this share of the
/// best single candidate's: smaller gains are within what choosing weights on the same rows
/// adds by chance.
pub(crate) const MIN_ERROR_RATIO: f64 = 0.99;

/// Models whose predictions are averaged with their holder's, with weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blend {
    /// The other models and their weights; the model holding the blend weighs one minus
    /// their sum.
    pub parts: Vec<BlendPart>,
    /// The factor on the standard deviation `std_rule` makes: the 95th percentile of the
    /// blend's absolute out-of-fold errors over that of the holder's
    /// ([`BlendStd::HolderTimesRatio`]) or over the weighted sum of every model's
    /// ([`BlendStd::WeightedParts`]).
    pub std_ratio: f64,
    /// How the blend's standard deviation is made.
    pub std_rule: BlendStd,
}

/// How a [`Blend`]'s standard deviation is made from its models'. (Named in snake case in
/// JSON; a model file stores the variant's index.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlendStd {
    /// The holder's calibrated std times the ratio: what files of format versions 3 and 4
    /// hold. Where only a part is unsure (a kernel model far from its centres) the blend
    /// does not say so.
    HolderTimesRatio,
    /// Every model's calibrated std, weighted as in the mean, summed, times the ratio (as
    /// if their errors were fully correlated, which the ratio then corrects on the
    /// out-of-fold errors). Each part has a std of its own. Written from format version 5.
    WeightedParts,
}

/// One model of a [`Blend`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlendPart {
    /// Its weight, in (0, 1).
    pub weight: f64,
    /// The model (with its own transform and scalers; never a blend itself).
    pub model: Interpolator,
}

impl Blend {
    /// The holder's own weight.
    pub fn main_weight(&self) -> f64 {
        1.0 - self.parts.iter().map(|p| p.weight).sum::<f64>()
    }

    /// Checks the blend against its holder's feature and target names.
    pub(crate) fn check(&self, feature_names: &[String], target_name: &str) -> Result<()> {
        let bad = |what: String| Err(Error::Inconsistent(format!("its blend {what}")));
        if self.parts.is_empty() || self.parts.len() > MAX_BLEND_PARTS {
            return bad(format!("has {} parts", self.parts.len()));
        }
        if self
            .parts
            .iter()
            .any(|p| !(p.weight.is_finite() && p.weight > 0.0 && p.weight < 1.0))
        {
            return bad("holds a weight outside (0, 1)".into());
        }
        if self.main_weight().is_nan() || self.main_weight() <= 0.0 {
            return bad("leaves no weight to the main model".into());
        }
        if !(self.std_ratio.is_finite() && self.std_ratio >= 0.0) {
            return bad(format!("has a std ratio of {}", self.std_ratio));
        }
        for part in &self.parts {
            if part.model.blend().is_some() {
                return bad("nests another blend".into());
            }
            if self.std_rule == BlendStd::WeightedParts && !part.model.has_std() {
                return bad("holds a model without a standard deviation".into());
            }
            if part.model.feature_names() != feature_names
                || part.model.target_name() != target_name
            {
                return bad("holds a model of other features or another target".into());
            }
        }
        Ok(())
    }
}

/// The sum of squared errors of `predicted` against `truth`.
pub(crate) fn squared_error(predicted: &[f64], truth: &[f64]) -> f64 {
    predicted
        .iter()
        .zip(truth)
        .map(|(p, y)| (p - y).powi(2))
        .sum()
}

/// Greedy ensemble selection with replacement over the candidates' out-of-fold
/// predictions (`predictions[c][row]`, each as long as `truth`): how many times each
/// candidate was chosen in the rounds up to the lowest squared error (ties keep the fewer
/// rounds, and the earlier candidate).
pub(crate) fn select(predictions: &[&[f64]], truth: &[f64], rounds: usize) -> Vec<usize> {
    let mut counts = vec![0; predictions.len()];
    let mut best_counts = counts.clone();
    let mut best_error = f64::INFINITY;
    let mut sum = vec![0.0; truth.len()];
    let mut trial = vec![0.0; truth.len()];
    for round in 1..=rounds {
        let mut chosen: Option<(usize, f64)> = None;
        for (c, p) in predictions.iter().enumerate() {
            // The mean of the chosen predictions with this one added.
            trial
                .iter_mut()
                .zip(sum.iter().zip(p.iter()))
                .for_each(|(t, (s, v))| *t = (s + v) / round as f64);
            let error = squared_error(&trial, truth);
            if error.is_finite() && chosen.is_none_or(|(_, e)| error < e) {
                chosen = Some((c, error));
            }
        }
        let Some((c, error)) = chosen else { break };
        counts[c] += 1;
        sum.iter_mut()
            .zip(predictions[c].iter())
            .for_each(|(s, v)| *s += v);
        if error < best_error {
            best_error = error;
            best_counts.clone_from(&counts);
        }
    }
    best_counts
}

/// The weighted mean of `predictions` with `weights` (the same lengths).
pub(crate) fn weighted_mean(predictions: &[&[f64]], weights: &[f64]) -> Vec<f64> {
    let mut mean = vec![0.0; predictions.first().map_or(0, |p| p.len())];
    for (p, w) in predictions.iter().zip(weights) {
        mean.iter_mut().zip(p.iter()).for_each(|(m, v)| *m += w * v);
    }
    mean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_blends_models_whose_errors_cancel_and_keeps_a_dominant_one_alone() {
        let truth: Vec<f64> = (0..40).map(|i| (i as f64 * 0.3).sin()).collect();
        // Two models erring by +e and −e on every row: their mean is exact.
        let up: Vec<f64> = truth.iter().map(|y| y + 0.2).collect();
        let down: Vec<f64> = truth.iter().map(|y| y - 0.2).collect();
        let worse: Vec<f64> = truth.iter().map(|y| y + 0.5).collect();
        let counts = select(&[&worse, &up, &down], &truth, SELECTION_ROUNDS);
        assert_eq!(counts[0], 0);
        assert_eq!(counts[1], counts[2]);
        assert!(counts[1] > 0);
        let total: usize = counts.iter().sum();
        let weights: Vec<f64> = counts.iter().map(|&c| c as f64 / total as f64).collect();
        let mean = weighted_mean(&[&worse, &up, &down], &weights);
        for (m, y) in mean.iter().zip(&truth) {
            assert!((m - y).abs() < 1e-12);
        }
        // The exact model alone beats any mixture: it is chosen once and no more rounds
        // are kept.
        let counts = select(&[&up, &truth, &down], &truth, SELECTION_ROUNDS);
        assert_eq!(counts, vec![0, 1, 0]);
    }

    #[test]
    fn selection_skips_non_finite_candidates() {
        let truth = vec![1.0, 2.0, 3.0];
        let nan = vec![f64::NAN; 3];
        let close = vec![1.1, 2.1, 3.1];
        assert_eq!(select(&[&nan, &close], &truth, 5), vec![0, 1]);
        assert_eq!(select(&[&nan], &truth, 5), vec![0]);
    }
}
