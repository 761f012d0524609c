//! The surrogate toolkit over HTTP: `POST /api/v1/models/{id}/sensitivity`, `…/slice`,
//! `…/suggest`, `…/optimize` and `POST /api/v1/design`. Every answer is computed by the
//! `fivedreg-surrogate` crate, with the options, defaults and checks of the commands
//! `fivedreg sensitivity`, `plot`, `suggest`, `optimize` and `design` (a flag `--name`
//! is the field `name`; `--ranges x1=0:1` is `"ranges": {"x1": [0, 1]}`, `--at x2=0.5`
//! is `"at": {"x2": 0.5}`).
//!
//! Each request is checked first (a bad option, range or input is a 400 naming its field),
//! then admitted against `--memory-limit` ([`admit_analysis`]), then computed on the
//! blocking pool holding an analysis slot (one per core; 503 with `Retry-After` past
//! them), so that a long analysis never holds up an async worker.

use crate::admission::admit_analysis;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::models::find;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use fivedreg::Interpolator;
use fivedreg_surrogate::design::{design as make_design, DesignKind};
use fivedreg_surrogate::optimize::{minimize_from, optimize as run_optimize, OptimizeParams};
use fivedreg_surrogate::plot::{
    contour_inputs, map, slice as make_slice, ICE_CURVES, MAP_CELLS, SLICE_POINTS,
};
use fivedreg_surrogate::sensitivity::{sobol_indices, IndexRow, SobolParams};
use fivedreg_surrogate::suggest::{suggest as run_suggest, SuggestParams, Suggestion};
use fivedreg_surrogate::{Bounds, RangeSpec, SurrogateError, DEFAULT_SEED};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::sync::Arc;
use utoipa::ToSchema;

/// A JSON object of input names to values, in the order given (`serde_json` keeps no
/// order in a map; a design's columns follow it).
#[derive(Debug, Clone, Default)]
pub struct Named<T>(pub Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Entries<T> {
            type Value = Named<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object whose keys are input names")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Named<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, T>()? {
                    out.push(entry);
                }
                Ok(Named(out))
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

/// `ranges`: input name → `[low, high]`.
type RangesField = Option<Named<[f64; 2]>>;

/// The API's name of an option the toolkit names as the command line does (`--ranges` is
/// `ranges`); none for what is not a request field.
fn field_name(option: &'static str) -> Option<String> {
    match option {
        "ICE curves" => Some("ice".into()),
        "grid" => Some("points".into()),
        "max iterations" | "number of inputs" | "outputs" | "resamples" => None,
        flag => Some(flag.trim_start_matches("--").replace('-', "_")),
    }
}

/// A toolkit error as the API answers it: a model's own error as the predict endpoint
/// answers it, anything else a 400 in the API's names, with the field at fault.
fn api_error(error: SurrogateError) -> ApiError {
    if let SurrogateError::Model(e) = error {
        return ApiError::from(e);
    }
    let rename = |option: &'static str| field_name(option).unwrap_or_else(|| option.to_string());
    let bad = ApiError::bad_request(error.message_with(&rename));
    match error.option().and_then(field_name) {
        Some(field) => bad.with_field(field),
        None => bad,
    }
}

/// The checked ranges of a request.
fn range_specs(ranges: RangesField) -> Result<Vec<RangeSpec>, ApiError> {
    let entries = ranges.unwrap_or_default().0;
    RangeSpec::checked_list(entries.into_iter().map(|(n, [lo, hi])| (n, lo, hi))).map_err(api_error)
}

/// The model with id `id`, and its box: the training domain, with `ranges` where given.
async fn model_and_bounds(
    state: &AppState,
    id: &str,
    ranges: RangesField,
) -> Result<(Arc<Interpolator>, Bounds), ApiError> {
    let entry = find(state, id)?;
    let model = entry.interpolator(&state.inner.store).await?;
    let bounds = Bounds::of_model_specs(&model, &range_specs(ranges)?).map_err(api_error)?;
    Ok((model, bounds))
}

/// Runs `work` on the blocking pool, holding an analysis slot until it ends.
async fn analysis<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> fivedreg_surrogate::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let slot = state.analysis_slot()?;
    tokio::task::spawn_blocking(move || {
        let out = work();
        drop(slot);
        out
    })
    .await
    .map_err(|e| ApiError::internal(format!("the analysis stopped: {e}")))?
    .map_err(api_error)
}

fn ranges_json(bounds: &Bounds) -> serde_json::Value {
    serde_json::to_value(bounds.ranges()).unwrap_or_default()
}

// ---- sensitivity -----------------------------------------------------------------------

/// The body of a sensitivity analysis; every field may be left out.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SensitivityRequest {
    /// Base points N (default 4096; the model is evaluated N·(inputs + 2) times; a power
    /// of 2 keeps the Sobol' balance), as `sensitivity --n`.
    pub n: Option<usize>,
    /// Input name → `[low, high]`, replacing the training range of the inputs it names, as
    /// `--ranges`.
    #[schema(value_type = Option<Object>, example = json!({"x1": [0.0, 1.0]}))]
    pub ranges: RangesField,
    /// Seed of the sample's scrambling and the bootstrap (default 42).
    pub seed: Option<u64>,
}

/// Sobol' indices of each input, as `fivedreg sensitivity --json` gives them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SensitivityResponse {
    /// The model's id.
    pub model: String,
    /// Base points.
    pub n: usize,
    /// Model evaluations made.
    pub evaluations: usize,
    /// The seed.
    pub seed: u64,
    /// Input name → `[low, high]`: the box each input is uniform over.
    #[schema(value_type = Object)]
    pub ranges: serde_json::Value,
    /// The intervals' level (0.95).
    pub confidence: f64,
    /// Per input, in the model's order: `input`, `S1`, `S1_conf`, `ST`, `ST_conf` (the
    /// `_conf` are the half-widths of the 95% bootstrap intervals).
    #[schema(value_type = Vec<Object>)]
    pub indices: Vec<IndexRow>,
}

/// Sobol' first-order and total-effect indices with bootstrap 95% intervals, as
/// `fivedreg sensitivity` computes them (Saltelli sampling, SALib's estimators).
#[utoipa::path(post, path = "/api/v1/models/{id}/sensitivity", tag = "surrogate",
    params(("id" = String, Path, description = "model id")),
    request_body = SensitivityRequest,
    responses(
        (status = 200, body = SensitivityResponse),
        (status = 400, description = "a bad option, range or input name (field named)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 503, description = "every analysis slot is taken (Retry-After)", body = ErrorBody),
    ))]
pub async fn sensitivity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<SensitivityRequest>,
) -> Result<Json<SensitivityResponse>, ApiError> {
    let (model, bounds) = model_and_bounds(&state, &id, request.ranges).await?;
    let defaults = SobolParams::default();
    let (n, seed) = (
        request.n.unwrap_or(defaults.n),
        request.seed.unwrap_or(DEFAULT_SEED),
    );
    let params = SobolParams {
        n,
        seed,
        ..defaults
    };
    let resamples = params.resamples as f64;
    let params = params.check(bounds.dim()).map_err(api_error)?;
    let d = bounds.dim() as f64;
    let rows = n as f64 * (d + 2.0);
    // The sample and the base, the outputs twice (raw, standardised), the bootstrap's rows.
    let values = rows * (d + 2.0) + 2.0 * d * n as f64 + resamples * n as f64;
    admit_analysis(
        "sensitivity analysis",
        values,
        5.0 * d,
        state.config().memory_limit,
    )?;
    let ranges = ranges_json(&bounds);
    let s = analysis(&state, move || sobol_indices(&*model, &bounds, &params)).await?;
    Ok(Json(SensitivityResponse {
        model: id,
        n: s.n,
        evaluations: s.evaluations,
        seed,
        ranges,
        confidence: 0.95,
        indices: s.rows(),
    }))
}

// ---- slices and maps -------------------------------------------------------------------

/// The body of a slice (`slice`) or a 2-D map (`contour`), as `fivedreg plot` takes them.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SliceRequest {
    /// The input to vary (a 1-D slice), as `plot --slice`.
    pub slice: Option<String>,
    /// Two inputs `[x, y]` (a 2-D map), as `plot --contour`; give `slice` or `contour`.
    pub contour: Option<Vec<String>>,
    /// Input name → value for the inputs held (the others: the middle of their range), as
    /// `--at`.
    #[schema(value_type = Option<Object>, example = json!({"x2": 0.5}))]
    pub at: Option<Named<f64>>,
    /// Add 8 individual conditional expectation curves (slices only), as `--ice`.
    #[serde(default)]
    pub ice: bool,
    /// Points along the slice (default 101, 2 to 100000) or cells per side of the map
    /// (default 60, 2 to 1000), as `--points`.
    pub points: Option<usize>,
    /// Input name → `[low, high]`, replacing training ranges, as `--ranges`.
    #[schema(value_type = Option<Object>, example = json!({"x1": [0.0, 1.0]}))]
    pub ranges: RangesField,
    /// Seed of the ICE curves' points (default 42).
    pub seed: Option<u64>,
}

/// One ICE curve: the prediction along the slice's input through another point.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IceCurve {
    /// The point the curve passes through (its value of the slice's input is ignored).
    pub through: Vec<f64>,
    /// The predictions at the slice's `x`.
    pub prediction: Vec<f64>,
}

/// A 1-D slice.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SliceData {
    /// The input varied.
    pub input: String,
    /// The input's values along the slice.
    pub x: Vec<f64>,
    /// The prediction at each (the other inputs at `at`).
    pub prediction: Vec<f64>,
    /// Its std, for a model that has one (the band is ±1.96 std); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std: Option<Vec<f64>>,
    /// ICE curves (empty unless `ice`).
    pub ice: Vec<IceCurve>,
}

/// A 2-D map.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContourData {
    /// The horizontal input.
    pub x_input: String,
    /// The vertical input.
    pub y_input: String,
    /// Horizontal grid values.
    pub x: Vec<f64>,
    /// Vertical grid values.
    pub y: Vec<f64>,
    /// Predictions, row by row: `values[j·len(x) + i]` is at `(x[i], y[j])`.
    pub values: Vec<f64>,
}

/// A slice or a map of a model's prediction.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SliceResponse {
    /// The target's name.
    pub target: String,
    /// The model's inputs, in order.
    pub inputs: Vec<String>,
    /// The point the other inputs are held at, in the inputs' order.
    pub at: Vec<f64>,
    /// Input name → `[low, high]`: the box.
    #[schema(value_type = Object)]
    pub ranges: serde_json::Value,
    /// The slice, when `slice` was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slice: Option<SliceData>,
    /// The map, when `contour` was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contour: Option<ContourData>,
}

/// The prediction along one input (with its ±1.96 std band where the model has one, and
/// optional ICE curves), or over two inputs, the others held at `at`: the numbers that
/// `fivedreg plot` draws.
#[utoipa::path(post, path = "/api/v1/models/{id}/slice", tag = "surrogate",
    params(("id" = String, Path, description = "model id")),
    request_body = SliceRequest,
    responses(
        (status = 200, body = SliceResponse),
        (status = 400, description = "a bad option, range or input name (field named)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 503, description = "every analysis slot is taken (Retry-After)", body = ErrorBody),
    ))]
pub async fn slice(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<SliceRequest>,
) -> Result<Json<SliceResponse>, ApiError> {
    let (model, bounds) = model_and_bounds(&state, &id, request.ranges).await?;
    let at = bounds
        .point_with(&request.at.unwrap_or_default().0)
        .map_err(api_error)?;
    let d = bounds.dim() as f64;
    let limit = state.config().memory_limit;
    let seed = request.seed.unwrap_or(DEFAULT_SEED);
    let (target, inputs, ranges) = (
        model.target_name().to_string(),
        bounds.names().to_vec(),
        ranges_json(&bounds),
    );
    let held = at.clone();
    let (slice, contour) = match (request.slice, request.contour) {
        (Some(name), None) => {
            let k = bounds.index_of("--slice", &name).map_err(api_error)?;
            let ice = if request.ice { ICE_CURVES } else { 0 };
            let points = request.points.unwrap_or(SLICE_POINTS);
            // The library checks `points`; the estimate is made with at most its limit.
            let p = points.min(100_000) as f64;
            let curves = 1.0 + ice as f64;
            admit_analysis("slice", p * curves * (d + 3.0), p * (curves + 2.0), limit)?;
            let s = analysis(&state, move || {
                make_slice(&*model, &bounds, k, &held, points, ice, seed)
            })
            .await?;
            let data = SliceData {
                input: s.input,
                x: s.x,
                prediction: s.mean,
                std: s.std,
                ice: s
                    .ice
                    .into_iter()
                    .map(|c| IceCurve {
                        through: c.through,
                        prediction: c.y,
                    })
                    .collect(),
            };
            (Some(data), None)
        }
        (None, Some(names)) => {
            if request.ice {
                return Err(ApiError::bad_request(
                    "ice goes with slice only: ICE curves are drawn along one input",
                )
                .with_field("ice"));
            }
            let (kx, ky) = contour_inputs(&bounds, &names).map_err(api_error)?;
            let cells = request.points.unwrap_or(MAP_CELLS);
            let c = cells.min(1000) as f64;
            admit_analysis("map", c * c * (d + 1.0), c * c, limit)?;
            let m = analysis(&state, move || {
                map(&*model, &bounds, (kx, ky), &held, cells)
            })
            .await?;
            let data = ContourData {
                x_input: m.x_input,
                y_input: m.y_input,
                x: m.x,
                y: m.y,
                values: m.values,
            };
            (None, Some(data))
        }
        _ => {
            return Err(ApiError::bad_request(
                "give exactly one of slice (an input) and contour (two inputs)",
            )
            .with_field("slice"))
        }
    };
    Ok(Json(SliceResponse {
        target,
        inputs,
        at,
        ranges,
        slice,
        contour,
    }))
}

// ---- suggest ---------------------------------------------------------------------------

/// The body of a suggestion of the next runs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestRequest {
    /// Runs to suggest, K (1 to 10000), as `suggest --n`.
    pub n: usize,
    /// Sobol' candidates scored (default 4096), as `--candidates`.
    pub candidates: Option<usize>,
    /// Input name → `[low, high]`, replacing training ranges, as `--ranges` (a box wider
    /// than the data points to the unexplored regions).
    #[schema(value_type = Option<Object>, example = json!({"x1": [0.0, 1.0]}))]
    pub ranges: RangesField,
    /// Seed of the candidates (default 42).
    pub seed: Option<u64>,
}

/// The next runs, best first, as `fivedreg suggest --json` gives them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuggestResponse {
    /// The model's inputs, the order of each `point`.
    pub inputs: Vec<String>,
    /// Input name → `[low, high]`: the box searched.
    #[schema(value_type = Object)]
    pub ranges: serde_json::Value,
    /// Per run: `point`, `prediction`, `std`.
    #[schema(value_type = Vec<Object>)]
    pub suggestions: Vec<Suggestion>,
    /// Whether the std was the same at every candidate (a kernel model's): the runs are
    /// then only spread over the box.
    pub constant_std: bool,
}

/// The next runs: where the model's std is largest, spread apart; needs a model with a
/// std (an ensemble, kernel or `auto` model), as `fivedreg suggest`.
#[utoipa::path(post, path = "/api/v1/models/{id}/suggest", tag = "surrogate",
    params(("id" = String, Path, description = "model id")),
    request_body = SuggestRequest,
    responses(
        (status = 200, body = SuggestResponse),
        (status = 400, description = "a bad option, range or input name, or a model without a std", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 503, description = "every analysis slot is taken (Retry-After)", body = ErrorBody),
    ))]
pub async fn suggest(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<SuggestRequest>,
) -> Result<Json<SuggestResponse>, ApiError> {
    let (model, bounds) = model_and_bounds(&state, &id, request.ranges).await?;
    let defaults = SuggestParams::default();
    let candidates = request.candidates.unwrap_or(defaults.candidates);
    let params = SuggestParams {
        n: request.n,
        candidates,
        seed: request.seed.unwrap_or(defaults.seed),
    }
    .check()
    .map_err(api_error)?;
    let d = bounds.dim() as f64;
    let c = candidates as f64;
    let answer = request.n as f64 * (d + 2.0);
    admit_analysis(
        "suggestion",
        c * (2.0 * d + 3.0),
        answer,
        state.config().memory_limit,
    )?;
    let ranges = ranges_json(&bounds);
    let s = analysis(&state, move || run_suggest(&*model, &bounds, &params)).await?;
    Ok(Json(SuggestResponse {
        inputs: s.inputs.clone(),
        ranges,
        suggestions: s.rows(),
        constant_std: s.constant_std,
    }))
}

// ---- optimize --------------------------------------------------------------------------

/// The body of an optimisation: `minimize` or `maximize`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptimizeRequest {
    /// Find the smallest prediction, as `--minimize`.
    #[serde(default)]
    pub minimize: bool,
    /// Find the largest prediction, as `--maximize` (give one of the two).
    #[serde(default)]
    pub maximize: bool,
    /// Starting points (default 10, 1 to 10000), as `--starts`.
    pub starts: Option<usize>,
    /// Input name → `[low, high]`, replacing training ranges, as `--ranges`.
    #[schema(value_type = Option<Object>, example = json!({"x1": [0.0, 1.0]}))]
    pub ranges: RangesField,
    /// Seed of the starts (default 42).
    pub seed: Option<u64>,
}

/// The optima found, as `fivedreg optimize --json` gives them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OptimizeResponse {
    /// `minimize` or `maximize`.
    pub goal: String,
    /// The model's inputs, the order of each `point`.
    pub inputs: Vec<String>,
    /// Input name → `[low, high]`: the box searched.
    #[schema(value_type = Object)]
    pub ranges: serde_json::Value,
    /// Starting points.
    pub starts: usize,
    /// Model evaluations made.
    pub evaluations: usize,
    /// The best optimum: `point`, `value`, `std` (null for a model without one), `starts`
    /// (how many starts ended there).
    #[schema(value_type = Object)]
    pub best: Option<fivedreg_surrogate::optimize::Optimum>,
    /// Every distinct local optimum, best first, in the same form.
    #[schema(value_type = Vec<Object>)]
    pub optima: Vec<fivedreg_surrogate::optimize::Optimum>,
}

/// The inputs of the best predicted value within the box: multi-start projected L-BFGS,
/// as `fivedreg optimize`.
#[utoipa::path(post, path = "/api/v1/models/{id}/optimize", tag = "surrogate",
    params(("id" = String, Path, description = "model id")),
    request_body = OptimizeRequest,
    responses(
        (status = 200, body = OptimizeResponse),
        (status = 400, description = "a bad option, range or input name (field named)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 503, description = "every analysis slot is taken (Retry-After)", body = ErrorBody),
    ))]
pub async fn optimize(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<OptimizeRequest>,
) -> Result<Json<OptimizeResponse>, ApiError> {
    let (model, bounds) = model_and_bounds(&state, &id, request.ranges).await?;
    let defaults = OptimizeParams::default();
    let starts = request.starts.unwrap_or(defaults.starts);
    let params = OptimizeParams {
        minimize: minimize_from(request.minimize, request.maximize).map_err(api_error)?,
        starts,
        seed: request.seed.unwrap_or(defaults.seed),
        ..defaults
    }
    .check()
    .map_err(api_error)?;
    let d = bounds.dim() as f64;
    // Each start keeps its L-BFGS pairs and a finite-difference stencil.
    let s = starts as f64;
    admit_analysis(
        "optimisation",
        s * d * 40.0,
        s * (d + 3.0),
        state.config().memory_limit,
    )?;
    let ranges = ranges_json(&bounds);
    let o = analysis(&state, move || run_optimize(&*model, &bounds, &params)).await?;
    Ok(Json(OptimizeResponse {
        goal: o.goal.to_string(),
        inputs: o.inputs,
        ranges,
        starts,
        evaluations: o.evaluations,
        best: o.optima.first().cloned(),
        optima: o.optima,
    }))
}

// ---- design ----------------------------------------------------------------------------

/// The body of a design: `lhs` or `sobol` points within `ranges`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignRequest {
    /// A Latin hypercube of this many points (optimised for spread), as `design --lhs N`.
    pub lhs: Option<usize>,
    /// Scrambled Sobol' points, this many, as `--sobol N` (give `lhs` or `sobol`).
    pub sobol: Option<usize>,
    /// Input name → `[low, high]` for every input of the design, in the columns' order.
    #[schema(value_type = Object, example = json!({"x1": [0.0, 1.0], "x2": [-5.0, 5.0]}))]
    pub ranges: RangesField,
    /// Seed (default 42).
    pub seed: Option<u64>,
}

/// A design of experiments, as `fivedreg design --json` gives it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DesignResponse {
    /// `lhs` or `sobol`.
    pub design: String,
    /// Points.
    pub n: usize,
    /// The seed.
    pub seed: u64,
    /// The inputs, the order of each point.
    pub inputs: Vec<String>,
    /// Input name → `[low, high]`.
    #[schema(value_type = Object)]
    pub ranges: serde_json::Value,
    /// The points, one row each.
    pub points: Vec<Vec<f64>>,
}

/// A first design of runs: a Latin hypercube or scrambled Sobol' points within `ranges`,
/// as `fivedreg design`.
#[utoipa::path(post, path = "/api/v1/design", tag = "surrogate",
    request_body = DesignRequest,
    responses(
        (status = 200, body = DesignResponse),
        (status = 400, description = "a bad size or range (field named)", body = ErrorBody),
        (status = 503, description = "every analysis slot is taken (Retry-After)", body = ErrorBody),
    ))]
pub async fn design(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<DesignRequest>,
) -> Result<Json<DesignResponse>, ApiError> {
    let (kind, n) = DesignKind::choose(request.lhs, request.sobol).map_err(api_error)?;
    let bounds = Bounds::from_specs(&range_specs(request.ranges)?).map_err(api_error)?;
    let seed = request.seed.unwrap_or(DEFAULT_SEED);
    let d = bounds.dim();
    // The library checks `n`; the estimate is made with at most its limit.
    let values = n.min(fivedreg_surrogate::design::MAX_DESIGN_POINTS) as f64 * d as f64;
    admit_analysis("design", 2.0 * values, values, state.config().memory_limit)?;
    let inputs = bounds.names().to_vec();
    let ranges = ranges_json(&bounds);
    let points = analysis(&state, move || make_design(kind, n, &bounds, seed)).await?;
    Ok(Json(DesignResponse {
        design: kind.name().into(),
        n,
        seed,
        inputs,
        ranges,
        points: points.chunks_exact(d).map(<[f64]>::to_vec).collect(),
    }))
}
