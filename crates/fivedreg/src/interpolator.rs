//! The fitted model: fitting, prediction in the user's units, evaluation.

use crate::error::{Error, Result};
use crate::options::{FitOptions, ValidFitOptions};
use fivedreg_data::{Dataset, StandardScaler};
use fivedreg_metrics::Report;
use fivedreg_nn::{
    EpochStats, Mlp, MlpParams, PredictWorkspace, Samples, StopReason, TrainingHistory,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Rows converted and pushed through the network at a time, so that predicting a large input
/// needs memory for the output and one chunk only.
pub const PREDICT_CHUNK_ROWS: usize = 4096;

/// Rows below which prediction stays on one thread (starting threads costs more).
const PARALLEL_MIN_ROWS: usize = 32_768;

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
    /// Epochs, losses, validation R² per epoch, best epoch, stop reason.
    pub history: TrainingHistoryRecord,
    /// Metrics on the test split in the user's units (`None` when the test fraction is 0).
    pub test_metrics: Option<Report>,
}

/// The deterministic part of [`TrainingHistory`]. The per-epoch curves are kept at `f32`
/// precision (they are stored as `f32` so that the default model file stays small).
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
    /// Best validation R².
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

/// A fitted model: scalers, network and metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interpolator {
    pub(crate) feature_names: Vec<String>,
    pub(crate) target_name: String,
    pub(crate) feature_scaler: StandardScaler,
    pub(crate) target_scaler: StandardScaler,
    pub(crate) mlp: Mlp,
    pub(crate) options: FitOptions,
    pub(crate) summary: TrainingSummary,
}

/// The result of [`Interpolator::fit`]: the model and the full (timed) history.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// The model.
    pub interpolator: Interpolator,
    /// The full history, with wall-clock and per-phase times.
    pub history: TrainingHistory,
}

/// Scales row-major `values` of `scaler.n_columns()` columns and narrows them to `f32`.
fn scaled_f32(values: &[f64], scaler: &StandardScaler, what: &str) -> Result<Vec<f32>> {
    let mut scaled = values.to_vec();
    scaler.transform_in_place(&mut scaled);
    let narrow: Vec<f32> = scaled.iter().map(|&v| v as f32).collect();
    if let Some(i) = narrow.iter().position(|v| !v.is_finite()) {
        return Err(Error::OutOfRange(format!(
            "{what} value {} (row {}) is beyond the range of the network's 32-bit numbers \
             after scaling",
            values[i],
            i / scaler.n_columns().max(1) + 1
        )));
    }
    Ok(narrow)
}

impl Interpolator {
    /// Splits `data` (seeded by the network's seed), fits the scalers on the training split,
    /// trains the network with early stopping on the validation split, and measures the test
    /// split in the user's units.
    pub fn fit(
        data: &Dataset,
        options: &ValidFitOptions,
        on_epoch: &mut dyn FnMut(&EpochStats),
    ) -> Result<Fitted> {
        let fit_options = options.options();
        let params = options.network().params();
        let n_features = data.n_features();
        if n_features > crate::model_file::MAX_WIDTH {
            return Err(Error::OutOfRange(format!(
                "{n_features} features; at most {} are supported",
                crate::model_file::MAX_WIDTH
            )));
        }
        let split = fivedreg_data::split(data, fit_options.split, params.seed)?;
        let feature_scaler = if fit_options.scale_features {
            StandardScaler::fit(split.train.features(), n_features)?
        } else {
            StandardScaler::identity(n_features)
        };
        let target_scaler = if fit_options.scale_target {
            StandardScaler::fit(split.train.targets(), 1)?
        } else {
            StandardScaler::identity(1)
        };
        let train_x = scaled_f32(split.train.features(), &feature_scaler, "feature")?;
        let train_y = scaled_f32(split.train.targets(), &target_scaler, "target")?;
        let validation_x = scaled_f32(split.validation.features(), &feature_scaler, "feature")?;
        let validation_y = scaled_f32(split.validation.targets(), &target_scaler, "target")?;
        let validation = (split.validation.n_rows() > 0).then_some(Samples {
            x: &validation_x,
            y: &validation_y,
            n_features,
        });
        let trained = fivedreg_nn::train(
            options.network(),
            Samples {
                x: &train_x,
                y: &train_y,
                n_features,
            },
            validation,
            on_epoch,
        )?;
        let mut interpolator = Interpolator {
            feature_names: data.feature_names().to_vec(),
            target_name: data.target_name().to_string(),
            feature_scaler,
            target_scaler,
            mlp: trained.mlp,
            options: FitOptions {
                // The thread count cannot change the model, so it is not part of it.
                network: MlpParams {
                    threads: MlpParams::default().threads,
                    ..fit_options.network.clone()
                },
                ..fit_options.clone()
            },
            summary: TrainingSummary {
                train_samples: split.train.n_rows(),
                validation_samples: split.validation.n_rows(),
                test_samples: split.test.n_rows(),
                history: TrainingHistoryRecord::from_history(&trained.history),
                test_metrics: None,
            },
        };
        if split.test.n_rows() > 0 {
            interpolator.summary.test_metrics = Some(interpolator.evaluate(&split.test)?);
        }
        Ok(Fitted {
            interpolator,
            history: trained.history,
        })
    }

    /// Predicts the target, in the user's units, for row-major `features` (`n x n_features`,
    /// in the order of [`feature_names`](Self::feature_names)). Works through the rows in
    /// chunks of [`PREDICT_CHUNK_ROWS`]; a large input is shared among the available cores
    /// (each row's prediction is the same whatever the split).
    pub fn predict(&self, features: &[f64]) -> Result<Vec<f64>> {
        let n_features = self.feature_names.len();
        if features.len() % n_features != 0 {
            return Err(Error::FeatureCount {
                expected: n_features,
                found: format!(
                    "{} values are not a whole number of rows of {n_features}",
                    features.len()
                ),
            });
        }
        let rows = features.len() / n_features;
        let mut predictions = vec![0.0; rows];
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = cores.min(rows / PARALLEL_MIN_ROWS).max(1);
        if threads == 1 {
            self.predict_rows(features, &mut predictions, 0)?;
            return Ok(predictions);
        }
        // Whole chunks per thread: the chunks are those of one thread, so are the results.
        let per_thread = rows.div_ceil(threads).div_ceil(PREDICT_CHUNK_ROWS) * PREDICT_CHUNK_ROWS;
        std::thread::scope(|scope| {
            let parts: Vec<_> = features
                .chunks(per_thread * n_features)
                .zip(predictions.chunks_mut(per_thread))
                .enumerate()
                .map(|(t, (x, out))| scope.spawn(move || self.predict_rows(x, out, t * per_thread)))
                .collect();
            // Joined in order, so the error reported is the first in row order.
            parts.into_iter().try_for_each(|part| match part.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            })
        })?;
        Ok(predictions)
    }

    /// Predicts `out.len()` rows of `features` whose first is row `first_row` (0-based) of
    /// the whole input, chunk by chunk with one reused workspace.
    fn predict_rows(&self, features: &[f64], out: &mut [f64], first_row: usize) -> Result<()> {
        let n_features = self.feature_names.len();
        let chunk_rows = PREDICT_CHUNK_ROWS.min(out.len());
        let mut workspace = PredictWorkspace::new(&self.mlp);
        let mut chunk_x: Vec<f32> = Vec::with_capacity(chunk_rows * n_features);
        let mut chunk_y = vec![0.0f32; chunk_rows];
        let (mean, scale) = (self.feature_scaler.mean(), self.feature_scaler.scale());
        let (y_mean, y_scale) = (self.target_scaler.mean()[0], self.target_scaler.scale()[0]);
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
            // The feature scaler's transform, narrowed to the network's f32.
            chunk_x.clear();
            chunk_x.extend(
                x.chunks_exact(n_features)
                    .flat_map(|row| row.iter().zip(mean).zip(scale))
                    .map(|((v, m), s)| ((v - m) / s) as f32),
            );
            let scaled = &mut chunk_y[..y.len()];
            self.mlp.predict_into(&chunk_x, scaled, &mut workspace)?;
            // The target scaler's inverse transform, in f64.
            for (dst, &v) in y.iter_mut().zip(scaled.iter()) {
                *dst = f64::from(v) * y_scale + y_mean;
            }
            if let Some(i) = y.iter().position(|v| !v.is_finite()) {
                return Err(Error::OutOfRange(format!(
                    "the prediction for row {} is not finite: its inputs lie far outside \
                     the range the model was trained on",
                    chunk_first + i + 1
                )));
            }
        }
        Ok(())
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
    /// The feature scaler (identity when features were not scaled).
    pub fn feature_scaler(&self) -> &StandardScaler {
        &self.feature_scaler
    }
    /// The target scaler (identity when the target was not scaled).
    pub fn target_scaler(&self) -> &StandardScaler {
        &self.target_scaler
    }
    /// The network.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }
    /// The options it was fitted with.
    pub fn options(&self) -> &FitOptions {
        &self.options
    }
    /// What fitting measured.
    pub fn summary(&self) -> &TrainingSummary {
        &self.summary
    }
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

    /// The default network's file stays under 16 KB even when training runs all 500 epochs
    /// (the per-epoch curves are the part that grows).
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
        assert!(bytes < 16 * 1024, "{bytes} bytes");
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
        assert!(err.to_string().contains("--no-early-stopping"));
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
            Err(Error::InvalidOption { name: "hidden", .. })
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
