//! `fivedreg._native`: the Rust side of the Python package. It converts numpy arrays to what
//! the `fivedreg` library takes, runs `fit` and `predict` with the GIL released, and maps the
//! library's errors onto Python's exceptions. Everything scikit-learn-specific (parameter
//! names, input validation, feature names) lives in the pure-Python layer, `fivedreg/_estimator.py`.

use fivedreg::{Error, FitOptions, Interpolator, MlpParams, StopReason};
use fivedreg_data::{Dataset, SplitFractions};
use numpy::ndarray::ArrayView2;
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{
    PyFileNotFoundError, PyIsADirectoryError, PyOSError, PyPermissionError, PyRuntimeError,
    PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::borrow::Cow;
use std::path::PathBuf;

/// A feature matrix as numpy hands it over: float64 or float32, any memory order.
#[derive(FromPyObject)]
enum Features<'py> {
    F64(PyReadonlyArray2<'py, f64>),
    F32(PyReadonlyArray2<'py, f32>),
}

/// A view of [`Features`] that may cross into code running without the GIL.
enum View<'a> {
    F64(ArrayView2<'a, f64>),
    F32(ArrayView2<'a, f32>),
}

impl Features<'_> {
    fn view(&self) -> View<'_> {
        match self {
            Features::F64(a) => View::F64(a.as_array()),
            Features::F32(a) => View::F32(a.as_array()),
        }
    }
}

impl View<'_> {
    /// The rows, row after row, as f64: borrowed when the array is float64 in C order,
    /// else converted in one pass.
    fn row_major(&self) -> Cow<'_, [f64]> {
        match self {
            View::F64(x) => match x.as_slice() {
                Some(c_order) => Cow::Borrowed(c_order),
                None => Cow::Owned(x.iter().copied().collect()),
            },
            View::F32(x) => Cow::Owned(x.iter().map(|&v| f64::from(v)).collect()),
        }
    }
}

/// The library's error as the Python exception scikit-learn users expect: bad data and
/// options are `ValueError`, file-system failures the matching `OSError`.
fn to_py_err(error: Error) -> PyErr {
    let message = error.to_string();
    match &error {
        Error::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
            std::io::ErrorKind::IsADirectory => PyIsADirectoryError::new_err(message),
            _ => PyOSError::new_err(message),
        },
        Error::Encode(_) => PyRuntimeError::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

/// The fit options the Python layer passes as a dict, under the library's own names.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct FitParams {
    hidden_layers: Vec<usize>,
    learning_rate: f64,
    max_epochs: usize,
    batch_size: Option<usize>,
    alpha: f64,
    early_stopping: bool,
    patience: usize,
    tol: f64,
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    shuffle: bool,
    seed: u64,
    threads: usize,
    train_fraction: f64,
    validation_fraction: f64,
    test_fraction: f64,
}

impl FitParams {
    fn options(self) -> Result<FitOptions, Error> {
        Ok(FitOptions {
            split: SplitFractions::new(
                self.train_fraction,
                self.validation_fraction,
                self.test_fraction,
            )?,
            network: MlpParams {
                hidden_layers: self.hidden_layers,
                learning_rate: self.learning_rate,
                max_epochs: self.max_epochs,
                batch_size: self.batch_size,
                alpha: self.alpha,
                early_stopping: self.early_stopping,
                patience: self.patience,
                tol: self.tol,
                beta1: self.beta1,
                beta2: self.beta2,
                epsilon: self.epsilon,
                shuffle: self.shuffle,
                seed: self.seed,
                threads: self.threads,
            },
            ..FitOptions::default()
        })
    }
}

/// A fitted fivedreg model (`fivedreg::Interpolator`): its bytes are a model file of the
/// `fivedreg` command.
#[pyclass(frozen, module = "fivedreg._native")]
struct Model {
    inner: Interpolator,
}

#[pymethods]
impl Model {
    /// Fits a model on `x` (n × d, float32 or float64) and `y` (n, float64), with
    /// `feature_names` (d names), `target_name` and `params` (a dict of fit options).
    #[staticmethod]
    fn fit(
        py: Python<'_>,
        x: Features<'_>,
        y: PyReadonlyArray1<'_, f64>,
        feature_names: Vec<String>,
        target_name: String,
        params: FitParams,
    ) -> PyResult<Model> {
        let (x, y) = (x.view(), y.as_array());
        let fitted = py.detach(|| {
            let features = x.row_major().into_owned();
            let data = Dataset::new(feature_names, target_name, features, y.to_vec())?;
            let options = params.options()?.check()?;
            Interpolator::fit(&data, &options, &mut |_| {})
        });
        Ok(Model {
            inner: fitted.map_err(to_py_err)?.interpolator,
        })
    }

    /// Predictions (float64, in the units of the target) for the rows of `x` (n × d,
    /// float32 or float64), whose columns are in the order of `feature_names`.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: Features<'_>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let x = x.view();
        let predictions = py
            .detach(|| self.inner.predict(&x.row_major()))
            .map_err(to_py_err)?;
        Ok(PyArray1::from_vec(py, predictions))
    }

    /// The model file's bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.inner.to_bytes().map_err(to_py_err)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Reads a model from a model file's bytes; `source` names them in error messages.
    #[staticmethod]
    fn from_bytes(data: &[u8], source: &str) -> PyResult<Model> {
        let inner = Interpolator::from_bytes(data, source).map_err(to_py_err)?;
        Ok(Model { inner })
    }

    /// Writes the model file at `path` (whole or not at all).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.inner.save(&path)).map_err(to_py_err)
    }

    /// Reads the model file at `path`.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Model> {
        let inner = py.detach(|| Interpolator::load(&path)).map_err(to_py_err)?;
        Ok(Model { inner })
    }

    /// Feature names, in the order `predict` expects.
    #[getter]
    fn feature_names(&self) -> Vec<String> {
        self.inner.feature_names().to_vec()
    }

    /// The target's name.
    #[getter]
    fn target_name(&self) -> &str {
        self.inner.target_name()
    }

    /// Trainable parameters (weights and biases) of the network.
    #[getter]
    fn n_parameters(&self) -> usize {
        self.inner.mlp().n_parameters()
    }

    /// The options the model was fitted with, under the library's names (the dict `fit`
    /// takes, less `threads`, which a model does not keep).
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let options = self.inner.options();
        let network = &options.network;
        let dict = PyDict::new(py);
        dict.set_item("hidden_layers", network.hidden_layers.clone())?;
        dict.set_item("learning_rate", network.learning_rate)?;
        dict.set_item("max_epochs", network.max_epochs)?;
        dict.set_item("batch_size", network.batch_size)?;
        dict.set_item("alpha", network.alpha)?;
        dict.set_item("early_stopping", network.early_stopping)?;
        dict.set_item("patience", network.patience)?;
        dict.set_item("tol", network.tol)?;
        dict.set_item("beta1", network.beta1)?;
        dict.set_item("beta2", network.beta2)?;
        dict.set_item("epsilon", network.epsilon)?;
        dict.set_item("shuffle", network.shuffle)?;
        dict.set_item("seed", network.seed)?;
        dict.set_item("train_fraction", options.split.train())?;
        dict.set_item("validation_fraction", options.split.validation())?;
        dict.set_item("test_fraction", options.split.test())?;
        dict.set_item("scale_features", options.scale_features)?;
        dict.set_item("scale_target", options.scale_target)?;
        Ok(dict)
    }

    /// What training recorded: epochs, the per-epoch training loss and validation R²
    /// (both stored at float32 precision), the best epoch and its validation R², why
    /// training stopped, the rows of each split, and the test metrics when there was a test
    /// split.
    fn history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let summary = self.inner.summary();
        let history = &summary.history;
        let dict = PyDict::new(py);
        dict.set_item("epochs", history.epochs)?;
        dict.set_item("train_loss", history.train_loss.clone())?;
        dict.set_item("validation_r2", history.validation_r2.clone())?;
        dict.set_item("best_epoch", history.best_epoch)?;
        dict.set_item("best_validation_r2", history.best_validation_r2)?;
        let stop_reason = match history.stop_reason {
            StopReason::NoImprovement => "no_improvement",
            StopReason::MaxEpochs => "max_epochs",
        };
        dict.set_item("stop_reason", stop_reason)?;
        dict.set_item("train_samples", summary.train_samples)?;
        dict.set_item("validation_samples", summary.validation_samples)?;
        dict.set_item("test_samples", summary.test_samples)?;
        match &summary.test_metrics {
            Some(report) => {
                let metrics = PyDict::new(py);
                metrics.set_item("n", report.n)?;
                metrics.set_item("r2", report.r2)?;
                metrics.set_item("mse", report.mse)?;
                metrics.set_item("rmse", report.rmse)?;
                metrics.set_item("mae", report.mae)?;
                metrics.set_item("max_error", report.max_error)?;
                dict.set_item("test_metrics", metrics)?;
            }
            None => dict.set_item("test_metrics", py.None())?,
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!(
            "Model(features={:?}, target={:?}, parameters={})",
            self.inner.feature_names(),
            self.inner.target_name(),
            self.inner.mlp().n_parameters()
        )
    }
}

/// The native part of the `fivedreg` package: [`Model`] and the model file's format version.
#[pymodule]
mod _native {
    #[pymodule_export]
    use super::Model;

    #[pymodule_init]
    fn init(m: &pyo3::Bound<'_, pyo3::types::PyModule>) -> pyo3::PyResult<()> {
        use pyo3::types::PyModuleMethods;
        m.add("FORMAT_VERSION", fivedreg::FORMAT_VERSION)?;
        m.add("PREDICT_CHUNK_ROWS", fivedreg::PREDICT_CHUNK_ROWS)?;
        Ok(())
    }
}
