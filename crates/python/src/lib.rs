//! `fivedreg._native`: the Rust side of the Python package. It converts numpy arrays to what
//! the `fivedreg` library takes, runs `fit` and `predict` with the GIL released, and maps the
//! library's errors onto Python's exceptions. Everything scikit-learn-specific (parameter
//! names, input validation, feature names) lives in the pure-Python layer, `fivedreg/_estimator.py`.

use fivedreg::{
    Error, Interpolator, ParamKind, Plan, SpecError, StopReason, TrainSpec, TrainingHistoryRecord,
};
use fivedreg_data::Dataset;
use numpy::ndarray::{ArrayView1, ArrayView2};
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{
    PyFileNotFoundError, PyIsADirectoryError, PyOSError, PyPermissionError, PyRuntimeError,
    PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use std::borrow::Cow;
use std::path::PathBuf;

/// A feature matrix as numpy hands it over: float64 or float32, any memory order.
#[derive(FromPyObject)]
enum Features<'py> {
    F64(PyReadonlyArray2<'py, f64>),
    F32(PyReadonlyArray2<'py, f32>),
}

/// The targets, refusing a misaligned array as [`Features::view`] does.
fn targets<'a>(y: &'a PyReadonlyArray1<'_, f64>) -> PyResult<ArrayView1<'a, f64>> {
    if !y.is_aligned() {
        return Err(PyValueError::new_err(
            "the target array is not aligned in memory; pass numpy.require(y, requirements=\"A\")",
        ));
    }
    Ok(y.as_array())
}

/// A view of [`Features`] that may cross into code running without the GIL.
enum View<'a> {
    F64(ArrayView2<'a, f64>),
    F32(ArrayView2<'a, f32>),
}

impl Features<'_> {
    /// A view of the numbers; refuses a misaligned array (numpy makes them from raw buffers
    /// at odd offsets), which cannot be read as Rust numbers in place.
    fn view(&self) -> PyResult<View<'_>> {
        let aligned = match self {
            Features::F64(a) => a.is_aligned(),
            Features::F32(a) => a.is_aligned(),
        };
        if !aligned {
            return Err(PyValueError::new_err(
                "the array is not aligned in memory; pass numpy.require(x, requirements=\"A\")",
            ));
        }
        Ok(match self {
            Features::F64(a) => View::F64(a.as_array()),
            Features::F32(a) => View::F32(a.as_array()),
        })
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

/// How often a fit in progress looks for Ctrl-C (Python's signal handlers run only when
/// the thread that called `fit` runs Python).
const SIGNAL_POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// The data set of `x` and `y`, fitted by `fit` on a worker thread with the GIL released.
/// Meanwhile this thread checks for signals: on Ctrl-C it sets `stop`, which the library
/// reads at every minibatch, L-BFGS iteration and candidate, and raises KeyboardInterrupt
/// once the worker has returned.
fn fit_model(
    py: Python<'_>,
    x: Features<'_>,
    y: PyReadonlyArray1<'_, f64>,
    feature_names: Vec<String>,
    target_name: String,
    stop: fivedreg::StopFlag,
    fit: impl FnOnce(&Dataset) -> Result<fivedreg::Fitted, Error> + Send + 'static,
) -> PyResult<Model> {
    let (x, y) = (x.view()?, targets(&y)?);
    let data = py
        .detach(|| {
            let features = x.row_major().into_owned();
            Dataset::new(feature_names, target_name, features, y.to_vec())
        })
        .map_err(|e| to_py_err(Error::from(e)))?;
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // The caller waits for this result, after a Ctrl-C too.
        let _ = done.send(fit(&data));
    });
    let mut result = result;
    loop {
        // Back as soon as the fit ends, or after SIGNAL_POLL to look for Ctrl-C.
        let (receiver, received) = py.detach(move || {
            let received = result.recv_timeout(SIGNAL_POLL);
            (result, received)
        });
        result = receiver;
        match received {
            Ok(fitted) => {
                return Ok(Model {
                    inner: fitted.map_err(to_py_err)?.interpolator,
                })
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(
                    "training failed unexpectedly (a panic)",
                ))
            }
        }
        if let Err(interrupt) = py.check_signals() {
            stop.stop();
            // The worker sees the flag within a minibatch; its result is dropped.
            let _ = py.detach(move || result.recv());
            return Err(interrupt);
        }
    }
}

/// The library's error as the Python exception scikit-learn users expect: bad data and
/// options are `ValueError`, file-system failures the matching `OSError`.
fn to_py_err(error: Error) -> PyErr {
    let message = error.message(&python_name);
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

/// An option as the estimator names it (`learning_rate_init`).
fn python_name(param: fivedreg::Param) -> String {
    let info = param.info();
    info.python.unwrap_or(info.name).to_string()
}

/// A bad training option as Python says it: a `ValueError` naming the estimator's
/// parameter (`learning_rate_init`), or the library's error as [`to_py_err`] maps it.
fn spec_err(error: SpecError) -> PyErr {
    match error {
        SpecError::Library(e) => to_py_err(e),
        spec => PyValueError::new_err(spec.message(&python_name)),
    }
}

/// The Python names of the training options with their kinds and bounds, their HTTP
/// fields and command-line flags (the library's [`fivedreg::params`]), for the estimator's
/// parameter checks.
#[pyfunction]
fn train_params(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for info in fivedreg::params() {
        let Some(python) = info.python else { continue };
        let dict = PyDict::new(py);
        dict.set_item("name", python)?;
        dict.set_item("field", info.name)?;
        dict.set_item("flag", info.flag())?;
        dict.set_item(
            "kind",
            match info.kind {
                ParamKind::Integer => "integer",
                ParamKind::Real => "real",
                ParamKind::Bool => "bool",
                ParamKind::Choice => "choice",
                ParamKind::IntegerList => "integer_list",
                ParamKind::RealList => "real_list",
            },
        )?;
        dict.set_item("choices", info.choices.to_vec())?;
        dict.set_item("min", info.min)?;
        dict.set_item("min_exclusive", info.min_exclusive)?;
        dict.set_item("max", info.max)?;
        dict.set_item("max_exclusive", info.max_exclusive)?;
        dict.set_item("max_len", info.max_len)?;
        dict.set_item("valid", info.valid)?;
        dict.set_item("doc", info.doc)?;
        list.append(dict)?;
    }
    Ok(list)
}

/// An ensemble's predictions and their standard deviations.
type MeanAndStd<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

mod surrogate;

/// A fitted fivedreg model (`fivedreg::Interpolator`): its bytes are a model file of the
/// `fivedreg` command.
#[pyclass(frozen, module = "fivedreg._native")]
struct Model {
    inner: Interpolator,
}

#[pymethods]
impl Model {
    /// Fits a model on `x` (n × d, float32 or float64) and `y` (n, float64), with
    /// `feature_names` (d names) and `target_name`, as `params` say: a JSON object of the
    /// training options by the estimator's names (`learning_rate_init`, `auto`, ...),
    /// checked and planned by the library's `TrainSpec`, as the command line and the server
    /// have theirs.
    #[staticmethod]
    fn fit(
        py: Python<'_>,
        x: Features<'_>,
        y: PyReadonlyArray1<'_, f64>,
        feature_names: Vec<String>,
        target_name: String,
        params: &str,
    ) -> PyResult<Model> {
        let spec = TrainSpec::from_python_json(params).map_err(PyValueError::new_err)?;
        let plan = spec.plan().map_err(spec_err)?;
        let stop = plan.base().network.stop.clone();
        fit_model(
            py,
            x,
            y,
            feature_names,
            target_name,
            stop,
            move |data| match &plan {
                Plan::Fit(options) => Interpolator::fit(data, options, &mut |_| {}),
                Plan::Auto(auto) => Interpolator::fit_auto(data, auto, &mut |_| {}),
            },
        )
    }

    /// The ensemble's mean prediction and its calibrated standard deviation per row (both
    /// float64, in the units of the target); a model without one (`has_std` false) is refused.
    fn predict_with_std<'py>(&self, py: Python<'py>, x: Features<'_>) -> PyResult<MeanAndStd<'py>> {
        let x = x.view()?;
        let with_std = py
            .detach(|| self.inner.predict_with_std(&x.row_major()))
            .map_err(to_py_err)?;
        Ok((
            PyArray1::from_vec(py, with_std.mean),
            PyArray1::from_vec(py, with_std.std),
        ))
    }

    /// Predictions (float64, in the units of the target) for the rows of `x` (n × d,
    /// float32 or float64), whose columns are in the order of `feature_names`.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: Features<'_>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let x = x.view()?;
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

    /// Writes the model as an ONNX file at `path` (fivedreg-onnx's graph, opset
    /// `fivedreg_onnx::OPSET`; whole or not at all); returns whether it has a `std` output.
    fn to_onnx(&self, py: Python<'_>, path: PathBuf) -> PyResult<bool> {
        py.detach(|| fivedreg_onnx::export(&self.inner, &path))
            .map(|summary| summary.has_std)
            .map_err(|e| match e {
                fivedreg_onnx::OnnxError::Write(e) => to_py_err(e),
                other => pyo3::exceptions::PyValueError::new_err(other.to_string()),
            })
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

    /// Trainable parameters (weights and biases) of the network, of all members together
    /// for an ensemble.
    #[getter]
    fn n_parameters(&self) -> usize {
        self.inner.n_parameters() * self.inner.members().len()
    }

    /// Whether `predict_with_std` gives a standard deviation (an ensemble, an `auto` model
    /// or a blend; not a single network).
    #[getter]
    fn has_std(&self) -> bool {
        self.inner.has_std()
    }

    /// The model as it was kept (the library's `ModelCard`, as JSON: its kind, members, how
    /// its std is made and what it blends), as `fivedreg inspect --json` gives it.
    fn card_json(&self) -> String {
        self.inner.card().to_json()
    }

    /// Networks in the model: 1, or the members of an ensemble.
    #[getter]
    fn n_members(&self) -> usize {
        self.inner.members().len()
    }

    /// The options the model was fitted with, under the library's names (the dict `fit`
    /// takes, less `threads`, which a model does not keep).
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let options = self.inner.options();
        let network = &options.network;
        let dict = PyDict::new(py);
        dict.set_item("solver", network.solver.name())?;
        dict.set_item("activation", network.activation.name())?;
        dict.set_item("hidden_layers", network.hidden_layers.clone())?;
        dict.set_item("learning_rate", network.learning_rate)?;
        dict.set_item("max_epochs", network.max_epochs)?;
        dict.set_item("max_fun", network.max_fun)?;
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
        dict.set_item("ensemble", options.ensemble)?;
        dict.set_item("power_transform", options.power_transform)?;
        Ok(dict)
    }

    /// What training recorded: the history of the network (of the first member of an
    /// ensemble; see `members`), the rows of each split, the test metrics when there was a
    /// test split, and for an ensemble its held-out R² and spread scale, for `--auto` its
    /// leaderboard.
    fn history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let summary = self.inner.summary();
        let dict = history_dict(py, &summary.history)?;
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
        let (heldout_r2, std_scale) = match &summary.ensemble {
            Some(e) => (Some(e.heldout_r2), Some(e.std_scale)),
            None => (None, None),
        };
        dict.set_item("heldout_r2", heldout_r2)?;
        dict.set_item("std_scale", std_scale)?;
        match &summary.leaderboard {
            Some(board) => {
                let entries = PyList::empty(py);
                for entry in board {
                    let e = PyDict::new(py);
                    e.set_item("config", &entry.config)?;
                    e.set_item("cv_r2_mean", entry.cv_r2_mean)?;
                    e.set_item("cv_r2_std", entry.cv_r2_std)?;
                    entries.append(e)?;
                }
                dict.set_item("leaderboard", entries)?;
            }
            None => dict.set_item("leaderboard", py.None())?,
        }
        // `--auto`'s budget in work-seconds (None without `--auto`, and in files before
        // format version 4, which did not record it).
        dict.set_item("auto_budget", summary.search.as_ref().map(|s| s.budget))?;
        Ok(dict)
    }

    /// The training history of each network (one for a single network).
    fn members<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let summary = self.inner.summary();
        match &summary.ensemble {
            Some(e) => e.members.iter().map(|m| history_dict(py, m)).collect(),
            None => Ok(vec![history_dict(py, &summary.history)?]),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "Model(features={:?}, target={:?}, networks={}, parameters={})",
            self.inner.feature_names(),
            self.inner.target_name(),
            self.inner.members().len(),
            self.n_parameters()
        )
    }
}

/// One network's training record as a dict: epochs (or L-BFGS iterations), the per-epoch
/// training loss and validation R² (float32 precision), the best epoch and its validation R²,
/// and why training stopped.
fn history_dict<'py>(
    py: Python<'py>,
    history: &TrainingHistoryRecord,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("epochs", history.epochs)?;
    dict.set_item("train_loss", history.train_loss.clone())?;
    dict.set_item("validation_r2", history.validation_r2.clone())?;
    dict.set_item("best_epoch", history.best_epoch)?;
    dict.set_item("best_validation_r2", history.best_validation_r2)?;
    let stop_reason = match history.stop_reason {
        StopReason::NoImprovement => "no_improvement",
        StopReason::MaxEpochs => "max_epochs",
        StopReason::Converged => "converged",
        StopReason::MaxEvaluations => "max_evaluations",
    };
    dict.set_item("stop_reason", stop_reason)?;
    Ok(dict)
}

/// The native part of the `fivedreg` package: [`Model`] and the model file's format version.
#[pymodule]
mod _native {
    #[pymodule_export]
    use super::surrogate::{
        design_lhs, design_sobol, model_optimize, model_saltelli_sample, model_sensitivity,
        model_suggest, sobol_analyze,
    };
    #[pymodule_export]
    use super::{train_params, Model};

    #[pymodule_init]
    fn init(m: &pyo3::Bound<'_, pyo3::types::PyModule>) -> pyo3::PyResult<()> {
        use pyo3::types::PyModuleMethods;
        m.add("FORMAT_VERSION", fivedreg::FORMAT_VERSION)?;
        m.add("PREDICT_CHUNK_ROWS", fivedreg::PREDICT_CHUNK_ROWS)?;
        m.add("MAX_ENSEMBLE", fivedreg::MAX_ENSEMBLE)?;
        m.add("MAX_BUDGET_SECONDS", fivedreg::MAX_BUDGET_SECONDS)?;
        m.add("ONNX_OPSET", fivedreg_onnx::OPSET)?;
        Ok(())
    }
}
