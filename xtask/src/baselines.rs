//! Alternative regressors, fitted on fivedreg's own training split and scored on its test split:
//! ordinary least squares (QR via nalgebra) and smartcore's random forest, gradient boosting,
//! k-nearest-neighbours and RBF support-vector regression.

use crate::measure::{measure, timed};
use crate::model::Memory;
use anyhow::{Context, Result};
use fivedreg_data::{Dataset, StandardScaler};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::error::Failed;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::neighbors::knn_regressor::{KNNRegressor, KNNRegressorParameters};
use smartcore::svm::svr::{SVRParameters, SVR};
use smartcore::svm::Kernels;
use smartcore::xgboost::xgb_regressor::{XGRegressor, XGRegressorParameters};

/// The alternative regressors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// Ordinary least squares with an intercept.
    LeastSquares,
    /// Random forest.
    RandomForest,
    /// Gradient-boosted trees.
    GradientBoosting,
    /// k-nearest-neighbours.
    NearestNeighbours,
    /// RBF support-vector regression.
    SupportVector,
}

impl Method {
    /// Every method, in report order.
    pub const ALL: [Method; 5] = [
        Method::LeastSquares,
        Method::RandomForest,
        Method::GradientBoosting,
        Method::NearestNeighbours,
        Method::SupportVector,
    ];

    /// Name shown in the report.
    pub fn name(self) -> &'static str {
        match self {
            Method::LeastSquares => "Linear regression (OLS)",
            Method::RandomForest => "Random forest",
            Method::GradientBoosting => "Gradient boosting",
            Method::NearestNeighbours => "k-nearest neighbours",
            Method::SupportVector => "SVR (RBF)",
        }
    }

    /// Crate and type.
    pub fn implementation(self) -> &'static str {
        match self {
            Method::LeastSquares => "nalgebra 0.33 QR (xtask)",
            Method::RandomForest => "smartcore 0.7 RandomForestRegressor",
            Method::GradientBoosting => "smartcore 0.7 XGRegressor",
            Method::NearestNeighbours => "smartcore 0.7 KNNRegressor",
            Method::SupportVector => "smartcore 0.7 SVR",
        }
    }

    /// Settings, in words (`quick` uses smaller ensembles).
    pub fn settings(self, quick: bool) -> String {
        match self {
            Method::LeastSquares => "intercept + 5 raw features".to_string(),
            Method::RandomForest => format!(
                "{} trees, unlimited depth, min leaf 1, default feature subsampling",
                forest_trees(quick)
            ),
            Method::GradientBoosting => format!(
                "{} rounds, depth 6, learning rate 0.3, lambda 1 (smartcore defaults)",
                boosting_rounds(quick)
            ),
            Method::NearestNeighbours => {
                "k = 5, Euclidean, uniform weights, cover tree; X standardized".to_string()
            }
            Method::SupportVector => {
                "C = 1, epsilon = 0.1, gamma = 1/5; X and y standardized".to_string()
            }
        }
    }
}

fn forest_trees(quick: bool) -> usize {
    if quick {
        20
    } else {
        100
    }
}

fn boosting_rounds(quick: bool) -> usize {
    if quick {
        30
    } else {
        100
    }
}

/// What one baseline measured: fit time and memory, prediction time, test predictions.
pub struct Measured {
    /// Wall-clock seconds of fitting.
    pub fit_seconds: f64,
    /// Memory of fitting.
    pub fit_memory: Memory,
    /// Wall-clock seconds of predicting the test split.
    pub predict_seconds: f64,
    /// Predictions of the test split, in the target's units.
    pub predictions: Vec<f64>,
}

fn matrix(values: Vec<f64>, rows: usize, cols: usize) -> Result<DenseMatrix<f64>> {
    DenseMatrix::new(rows, cols, values, false).context("matrix")
}

fn scaled(scaler: &StandardScaler, values: &[f64]) -> Vec<f64> {
    let mut out = values.to_vec();
    scaler.transform_in_place(&mut out);
    out
}

/// Fits with `fit` (time and memory measured), then predicts with `predict` (time measured).
fn fit_then_predict<M>(
    fit: impl FnOnce() -> Result<M>,
    predict: impl FnOnce(&M) -> Result<Vec<f64>>,
) -> Result<Measured> {
    let (model, fit_seconds, fit_memory) = measure(fit)?;
    let (predictions, predict_seconds) = timed(|| predict(&model))?;
    Ok(Measured {
        fit_seconds,
        fit_memory,
        predict_seconds,
        predictions,
    })
}

/// A smartcore model: fitted with `fit` on the training matrix and targets of `data`, then
/// predicting its test matrix with `predict`; smartcore's errors say which model failed.
fn smartcore<'a, M>(
    what: &'static str,
    data: (&'a DenseMatrix<f64>, &'a Vec<f64>, &DenseMatrix<f64>),
    fit: impl FnOnce(&'a DenseMatrix<f64>, &'a Vec<f64>) -> Result<M, Failed>,
    predict: impl FnOnce(&M, &DenseMatrix<f64>) -> Result<Vec<f64>, Failed>,
) -> Result<Measured> {
    let (train_x, train_y, test_x) = data;
    let failed = |e: Failed| anyhow::anyhow!("{what}: {e}");
    fit_then_predict(
        || fit(train_x, train_y).map_err(failed),
        |model| predict(model, test_x).map_err(failed),
    )
}

/// Fits `method` on `train` (time and memory measured) and predicts `test` (time measured).
/// Input preparation (copies into the library's matrix type, standardization where the
/// method needs it) is outside both timings.
pub fn fit_and_predict(
    method: Method,
    train: &Dataset,
    test: &Dataset,
    seed: u64,
    quick: bool,
) -> Result<Measured> {
    let rows = train.n_rows();
    let cols = train.n_features();
    let x = train.features();
    let y = train.targets();
    let test_rows = test.n_rows();
    // The training and test features as smartcore's matrices, standardized with `scaler`.
    let inputs = |scaler: Option<&StandardScaler>| -> Result<(DenseMatrix<f64>, DenseMatrix<f64>)> {
        let prepare = |values: &[f64]| match scaler {
            Some(scaler) => scaled(scaler, values),
            None => values.to_vec(),
        };
        Ok((
            matrix(prepare(x), rows, cols)?,
            matrix(prepare(test.features()), test_rows, cols)?,
        ))
    };
    match method {
        Method::LeastSquares => fit_then_predict(
            || {
                let design = DMatrix::from_fn(rows, cols + 1, |r, c| {
                    if c == 0 {
                        1.0
                    } else {
                        x[r * cols + c - 1]
                    }
                });
                let target = DVector::from_column_slice(y);
                let qr = design.qr();
                let qty = qr.q().transpose() * target;
                qr.r()
                    .solve_upper_triangular(&qty)
                    .context("least squares: the design matrix is rank deficient")
            },
            |coefficients| {
                Ok((0..test_rows)
                    .map(|r| {
                        coefficients[0]
                            + test
                                .row(r)
                                .iter()
                                .zip(coefficients.iter().skip(1))
                                .map(|(v, c)| v * c)
                                .sum::<f64>()
                    })
                    .collect())
            },
        ),
        Method::RandomForest => {
            let params = RandomForestRegressorParameters::default()
                .with_n_trees(forest_trees(quick))
                .with_seed(seed);
            let (train_x, test_x) = inputs(None)?;
            smartcore(
                "random forest",
                (&train_x, &y.to_vec(), &test_x),
                |x, y| RandomForestRegressor::fit(x, y, params),
                |model, x| model.predict(x),
            )
        }
        Method::GradientBoosting => {
            let params = XGRegressorParameters::default()
                .with_n_estimators(boosting_rounds(quick))
                .with_seed(seed);
            let (train_x, test_x) = inputs(None)?;
            smartcore(
                "gradient boosting",
                (&train_x, &y.to_vec(), &test_x),
                |x, y| XGRegressor::fit(x, y, params),
                |model, x| model.predict(x),
            )
        }
        Method::NearestNeighbours => {
            let params = KNNRegressorParameters::default().with_k(5);
            let scaler = StandardScaler::fit(x, cols).context("scaler")?;
            let (train_x, test_x) = inputs(Some(&scaler))?;
            smartcore(
                "k-nearest neighbours",
                (&train_x, &y.to_vec(), &test_x),
                |x, y| KNNRegressor::fit(x, y, params),
                |model, x| model.predict(x),
            )
        }
        Method::SupportVector => {
            let params = SVRParameters::default()
                .with_c(1.0)
                .with_eps(0.1)
                .with_kernel(Kernels::rbf().with_gamma(1.0 / cols as f64));
            let x_scaler = StandardScaler::fit(x, cols).context("scaler")?;
            let y_scaler = StandardScaler::fit(y, 1).context("scaler")?;
            let (train_x, test_x) = inputs(Some(&x_scaler))?;
            let mut measured = smartcore(
                "SVR",
                (&train_x, &scaled(&y_scaler, y), &test_x),
                |x, y| SVR::fit(x, y, &params),
                |model, x| model.predict(x),
            )?;
            y_scaler.inverse_transform_in_place(&mut measured.predictions);
            Ok(measured)
        }
    }
}
