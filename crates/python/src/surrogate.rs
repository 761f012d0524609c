//! The surrogate toolkit (fivedreg-surrogate) for Python: Sobol' indices, suggestions,
//! optimisation and designs. Every option is checked on the Rust side; errors are
//! `ValueError`s with the library's one-line message.

use crate::{to_py_err, Model};
use fivedreg_surrogate::optimize::{optimize, OptimizeParams};
use fivedreg_surrogate::sensitivity::{analyze, saltelli_sample, sobol_indices, SobolParams};
use fivedreg_surrogate::suggest::{suggest, SuggestParams};
use fivedreg_surrogate::{design, Bounds, RangeSpec, SurrogateError};
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Ranges as Python passes them: `(name, low, high)` triples.
type Ranges = Option<Vec<(String, f64, f64)>>;

fn err(error: SurrogateError) -> PyErr {
    match error {
        SurrogateError::Model(e) => to_py_err(e),
        other => PyValueError::new_err(other.to_string()),
    }
}

fn specs(ranges: Ranges) -> PyResult<Vec<RangeSpec>> {
    RangeSpec::checked_list(ranges.unwrap_or_default()).map_err(err)
}

fn model_bounds(model: &Model, ranges: Ranges) -> PyResult<Bounds> {
    Bounds::of_model_specs(&model.inner, &specs(ranges)?).map_err(err)
}

/// Row-major `values` of `d` columns as an n × d float64 array.
fn matrix<'py>(py: Python<'py>, values: Vec<f64>, d: usize) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let n = values.len() / d.max(1);
    PyArray1::from_vec(py, values).reshape([n, d])
}

fn ranges_dict<'py>(py: Python<'py>, bounds: &Bounds) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (i, name) in bounds.names().iter().enumerate() {
        dict.set_item(name, (bounds.low()[i], bounds.high()[i]))?;
    }
    Ok(dict)
}

fn indices_dict<'py>(
    py: Python<'py>,
    s: fivedreg_surrogate::sensitivity::SobolIndices,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("inputs", s.inputs)?;
    dict.set_item("S1", PyArray1::from_vec(py, s.s1))?;
    dict.set_item("S1_conf", PyArray1::from_vec(py, s.s1_conf))?;
    dict.set_item("ST", PyArray1::from_vec(py, s.st))?;
    dict.set_item("ST_conf", PyArray1::from_vec(py, s.st_conf))?;
    dict.set_item("n", s.n)?;
    dict.set_item("evaluations", s.evaluations)?;
    Ok(dict)
}

/// Sobol' first-order and total-effect indices over the training domain (or `ranges`),
/// with 95% bootstrap half-widths, as `fivedreg sensitivity`.
#[pyfunction]
#[pyo3(signature = (model, n=4096, ranges=None, seed=42))]
pub(crate) fn model_sensitivity<'py>(
    model: PyRef<'_, Model>,
    py: Python<'py>,
    n: usize,
    ranges: Ranges,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let bounds = model_bounds(&model, ranges)?;
    let inner = &model.inner;
    let params = SobolParams {
        n,
        seed,
        ..SobolParams::default()
    }
    .check(bounds.dim())
    .map_err(err)?;
    let s = py
        .detach(|| sobol_indices(inner, &bounds, &params))
        .map_err(err)?;
    let dict = indices_dict(py, s)?;
    dict.set_item("ranges", ranges_dict(py, &bounds)?)?;
    Ok(dict)
}

/// The Saltelli sample `sensitivity` evaluates (n·(d + 2) rows, SALib's layout).
#[pyfunction]
#[pyo3(signature = (model, n=4096, ranges=None, seed=42))]
pub(crate) fn model_saltelli_sample<'py>(
    model: PyRef<'_, Model>,
    py: Python<'py>,
    n: usize,
    ranges: Ranges,
    seed: u64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let bounds = model_bounds(&model, ranges)?;
    SobolParams {
        n,
        seed,
        ..SobolParams::default()
    }
    .check(bounds.dim())
    .map_err(err)?;
    let x = saltelli_sample(&bounds, n, seed).map_err(err)?;
    matrix(py, x, bounds.dim())
}

/// The next `n` runs: largest std, spread apart, as `fivedreg suggest`.
#[pyfunction]
#[pyo3(signature = (model, n, ranges=None, candidates=4096, seed=42))]
pub(crate) fn model_suggest<'py>(
    model: PyRef<'_, Model>,
    py: Python<'py>,
    n: usize,
    ranges: Ranges,
    candidates: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let bounds = model_bounds(&model, ranges)?;
    let inner = &model.inner;
    let params = SuggestParams {
        n,
        candidates,
        seed,
    }
    .check()
    .map_err(err)?;
    let s = py
        .detach(|| suggest(inner, &bounds, &params))
        .map_err(err)?;
    let dict = PyDict::new(py);
    let points: Vec<f64> = s.points.into_iter().flatten().collect();
    dict.set_item("inputs", s.inputs)?;
    dict.set_item("points", matrix(py, points, bounds.dim())?)?;
    dict.set_item("prediction", PyArray1::from_vec(py, s.mean))?;
    dict.set_item("std", PyArray1::from_vec(py, s.std))?;
    dict.set_item("constant_std", s.constant_std)?;
    Ok(dict)
}

/// Multi-start L-BFGS-B on the prediction, as `fivedreg optimize`: the optima found,
/// best first.
#[pyfunction]
#[pyo3(signature = (model, minimize=true, ranges=None, starts=10, seed=42))]
pub(crate) fn model_optimize<'py>(
    model: PyRef<'_, Model>,
    py: Python<'py>,
    minimize: bool,
    ranges: Ranges,
    starts: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let bounds = model_bounds(&model, ranges)?;
    let inner = &model.inner;
    let params = OptimizeParams {
        minimize,
        starts,
        seed,
        ..OptimizeParams::default()
    }
    .check()
    .map_err(err)?;
    let o = py
        .detach(|| optimize(inner, &bounds, &params))
        .map_err(err)?;
    let dict = PyDict::new(py);
    let d = bounds.dim();
    let points: Vec<f64> = o
        .optima
        .iter()
        .flat_map(|m| m.point.iter().copied())
        .collect();
    dict.set_item("inputs", o.inputs)?;
    dict.set_item("points", matrix(py, points, d)?)?;
    dict.set_item(
        "values",
        o.optima.iter().map(|m| m.value).collect::<Vec<_>>(),
    )?;
    dict.set_item("std", o.optima.iter().map(|m| m.std).collect::<Vec<_>>())?;
    dict.set_item("evaluations", o.evaluations)?;
    Ok(dict)
}

/// Sobol' indices from the outputs `y` of a Saltelli sample (SALib's layout,
/// calc_second_order=False) of the inputs `names`, as SALib's `sobol.analyze`.
#[pyfunction]
#[pyo3(signature = (y, names, seed=42))]
pub(crate) fn sobol_analyze<'py>(
    py: Python<'py>,
    y: PyReadonlyArray1<'_, f64>,
    names: Vec<String>,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let y = y
        .as_slice()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let n = y.len() / (names.len() + 2).max(1);
    let params = SobolParams {
        n: n.max(2),
        seed,
        ..SobolParams::default()
    }
    .check(names.len())
    .map_err(err)?;
    indices_dict(py, analyze(y, &names, &params).map_err(err)?)
}

fn make_design<'py>(
    py: Python<'py>,
    kind: design::DesignKind,
    n: usize,
    ranges: Vec<(String, f64, f64)>,
    seed: u64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let bounds = Bounds::from_specs(&specs(Some(ranges))?).map_err(err)?;
    let points = design::design(kind, n, &bounds, seed).map_err(err)?;
    matrix(py, points, bounds.dim())
}

/// A Latin hypercube of `n` points over `ranges` ((name, low, high) per column).
#[pyfunction]
#[pyo3(signature = (n, ranges, seed=42))]
pub(crate) fn design_lhs<'py>(
    py: Python<'py>,
    n: usize,
    ranges: Vec<(String, f64, f64)>,
    seed: u64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    make_design(py, design::DesignKind::Lhs, n, ranges, seed)
}

/// `n` scrambled Sobol' points over `ranges` ((name, low, high) per column).
#[pyfunction]
#[pyo3(signature = (n, ranges, seed=42))]
pub(crate) fn design_sobol<'py>(
    py: Python<'py>,
    n: usize,
    ranges: Vec<(String, f64, f64)>,
    seed: u64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    make_design(py, design::DesignKind::Sobol, n, ranges, seed)
}
