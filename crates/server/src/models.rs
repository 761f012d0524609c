//! `/api/v1/models`: the trained (or uploaded) models, their files, and predictions.

use crate::body::{check_length, media_type, BodyReader};
use crate::datasets::{display_name, NameQuery};
use crate::error::{ApiError, ErrorBody};
use crate::json::{collect_json, parse_json_blocking};
use crate::state::{read, write, AppState};
use crate::store::{new_id, now_ms, valid_id, Kind, Store};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fivedreg::{FitOptions, Interpolator};
use fivedreg_data::{CsvOptions, FeatureRows, RowChunk};
use serde::{Deserialize, Serialize};
use std::io::{Read, Seek, Write as _};
use std::sync::Arc;
use tokio::sync::{mpsc, OnceCell};
use utoipa::ToSchema;

/// Rows above which a JSON prediction runs on a blocking thread (below, it takes
/// microseconds and stays on the async worker).
const INLINE_ROWS: usize = 1024;

/// Test metrics of a model, in the units of its target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Metrics {
    /// Rows of the test split.
    pub n: usize,
    /// Coefficient of determination.
    pub r2: f64,
    /// Mean squared error.
    pub mse: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Largest absolute error.
    pub max_error: f64,
}

/// Where a model came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelSource {
    /// The job that trained it (none for an uploaded model).
    pub job: Option<String>,
    /// The data set it was trained on (none for an uploaded model).
    pub dataset: Option<String>,
    /// Seconds the training took (none for an uploaded model).
    pub train_seconds: Option<f64>,
}

/// What an ensemble's fit measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EnsembleInfo {
    /// R² of each member on the fold it held out.
    pub fold_r2: Vec<f64>,
    /// R² of the held-out predictions of all folds together.
    pub heldout_r2: f64,
    /// Share of the test rows within ±1.96 calibrated std of the prediction.
    pub test_coverage: Option<f64>,
}

/// A stored model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelInfo {
    /// Its id (`m` and 16 hex digits).
    pub id: String,
    /// A name for display.
    pub name: String,
    /// When it was stored (ms since the Unix epoch).
    pub created_ms: u64,
    /// Where it came from.
    #[serde(flatten)]
    pub source: ModelSource,
    /// The features, in the order `rows` of a prediction give them.
    pub features: Vec<String>,
    /// Mean of each feature in the training split, a sensible point to start from (none
    /// when the features were power-transformed: the means are then of the transform).
    pub feature_means: Option<Vec<f64>>,
    /// The target's name.
    pub target: String,
    /// One member in words (`5 → 64 → 32 → 16 → 1 (relu)`, or an RBF kernel model).
    pub member: String,
    /// Members: 1 for a single network, more for an ensemble (whose predictions come with
    /// a calibrated `std`).
    pub members: usize,
    /// Layer widths of the networks, inputs to output (none for kernel models).
    pub layer_sizes: Option<Vec<usize>>,
    /// Trainable parameters of one member.
    pub parameters: usize,
    /// Size of the model file.
    pub bytes: u64,
    /// Metrics on the test split (none when the test fraction was 0).
    pub metrics: Option<Metrics>,
    /// Epochs trained.
    pub epochs: usize,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// Best validation R², when early stopping watched it.
    pub best_validation_r2: Option<f64>,
    /// Why training stopped: `no_improvement`, `max_epochs`, `converged` or
    /// `max_evaluations` (of the first member of an ensemble).
    pub stop_reason: String,
    /// What an ensemble's fit measured (none for a single network).
    pub ensemble: Option<EnsembleInfo>,
    /// The configurations `auto` compared, best first (none without `auto`).
    pub leaderboard: Option<Vec<crate::jobs::CandidateScore>>,
    /// Rows in the training split.
    pub train_samples: usize,
    /// Rows in the validation split.
    pub validation_samples: usize,
    /// Rows in the test split.
    pub test_samples: usize,
    /// The options it was trained with, as the library names them.
    #[schema(value_type = Object)]
    pub options: FitOptions,
    /// The model as it was kept: its kind, members, how its `std` is made and what it
    /// blends (the library's `ModelCard`, as `fivedreg inspect --json` gives it). None for
    /// a model stored before this field.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub card: Option<fivedreg::ModelCard>,
    /// Set when the model's description in the data directory cannot be read: what is
    /// wrong with it. Such a model is listed so that it can be deleted (or its file
    /// downloaded, when that file is whole); it cannot be shown or predict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub damaged: Option<String>,
}

impl ModelInfo {
    /// Describes `model`.
    pub fn describe(
        id: &str,
        name: &str,
        model: &Interpolator,
        bytes: u64,
        source: ModelSource,
    ) -> ModelInfo {
        let summary = model.summary();
        let history = &summary.history;
        ModelInfo {
            id: id.to_string(),
            name: name.to_string(),
            created_ms: now_ms(),
            source,
            features: model.feature_names().to_vec(),
            feature_means: model
                .feature_transform()
                .is_none()
                .then(|| model.feature_scaler().mean().to_vec()),
            target: model.target_name().to_string(),
            member: model.describe_member(),
            members: model.members().len(),
            layer_sizes: model.layer_sizes().map(<[usize]>::to_vec),
            parameters: model.n_parameters(),
            bytes,
            metrics: summary.test_metrics.map(|r| Metrics {
                n: r.n,
                r2: r.r2,
                mse: r.mse,
                rmse: r.rmse,
                mae: r.mae,
                max_error: r.max_error,
            }),
            epochs: history.epochs,
            best_epoch: history.best_epoch,
            best_validation_r2: history.best_validation_r2,
            stop_reason: history.stop_reason.name().into(),
            ensemble: summary.ensemble.as_ref().map(|e| EnsembleInfo {
                fold_r2: e.fold_r2.clone(),
                heldout_r2: e.heldout_r2,
                test_coverage: e.test_coverage,
            }),
            leaderboard: summary.leaderboard.as_ref().map(|board| {
                board
                    .iter()
                    .map(|entry| crate::jobs::CandidateScore {
                        config: entry.config.clone(),
                        cv_r2_mean: entry.cv_r2_mean,
                        cv_r2_std: entry.cv_r2_std,
                        seconds: entry.seconds,
                    })
                    .collect()
            }),
            train_samples: summary.train_samples,
            validation_samples: summary.validation_samples,
            test_samples: summary.test_samples,
            options: model.options().clone(),
            card: Some(model.card()),
            damaged: None,
        }
    }

    /// A stand-in for a model whose description `models/ID.json` is damaged.
    pub fn damaged(id: &str, why: &str, bytes: u64) -> ModelInfo {
        ModelInfo {
            id: id.to_string(),
            name: format!("{id} (damaged description)"),
            created_ms: 0,
            source: ModelSource::default(),
            features: Vec::new(),
            feature_means: None,
            target: String::new(),
            member: String::new(),
            members: 0,
            layer_sizes: None,
            parameters: 0,
            bytes,
            metrics: None,
            epochs: 0,
            best_epoch: 0,
            best_validation_r2: None,
            stop_reason: String::new(),
            ensemble: None,
            leaderboard: None,
            train_samples: 0,
            validation_samples: 0,
            test_samples: 0,
            options: FitOptions::default(),
            card: None,
            damaged: Some(crate::error::scrub_paths(why)),
        }
    }
}

/// At most this many test rows are kept with a model for its predicted-against-actual
/// plot.
pub const MAX_TEST_POINTS: usize = 2000;

/// The model's predictions of its test rows: the rows of the library's split of the data
/// set (`fivedreg_data::split_indices` with the model's split and seed), the very rows its
/// test metrics were computed on. Kept for models trained by a job; an uploaded model file
/// has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TestPredictions {
    /// Rows in the test split.
    pub test_rows: usize,
    /// The target's value of each kept row. All the test rows when there are at most
    /// 2,000 of them; otherwise 2,000 rows evenly spaced over the split's order.
    pub actual: Vec<f64>,
    /// The model's prediction of each kept row (an ensemble's: its members' mean).
    pub predicted: Vec<f64>,
}

impl TestPredictions {
    /// Predicts the test rows of `data` (split as the library split it for `base`) with
    /// `model`; none when the test split is empty.
    pub fn compute(
        model: &Interpolator,
        data: &fivedreg_data::Dataset,
        base: &FitOptions,
    ) -> fivedreg::Result<Option<TestPredictions>> {
        let parts = fivedreg_data::split_indices(data.n_rows(), base.split, base.network.seed)?;
        let n = parts.test.len();
        if n == 0 {
            return Ok(None);
        }
        let kept: Vec<usize> = if n <= MAX_TEST_POINTS {
            parts.test
        } else {
            (0..MAX_TEST_POINTS)
                .filter_map(|i| parts.test.get(i * n / MAX_TEST_POINTS).copied())
                .collect()
        };
        let rows = data.select(&kept);
        let predicted = if model.is_ensemble() {
            model.predict_with_std(rows.features())?.mean
        } else {
            model.predict(rows.features())?
        };
        Ok(Some(TestPredictions {
            test_rows: n,
            actual: rows.targets().to_vec(),
            predicted,
        }))
    }
}

/// A model's description as stored in the data directory: the description the API shows,
/// and the test rows' predictions (shown by `GET /api/v1/models/{id}` only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredModel {
    /// The description.
    #[serde(flatten)]
    pub info: ModelInfo,
    /// The test rows' predictions (none for an uploaded model file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_predictions: Option<TestPredictions>,
}

/// `GET /api/v1/models/{id}`: the description, the training curves and the test rows'
/// predictions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelDetail {
    /// The description.
    #[serde(flatten)]
    pub info: ModelInfo,
    /// Training loss and validation R² per epoch (stored at 32-bit precision).
    pub history: crate::jobs::Curves,
    /// The test rows' actual values and predictions, for a predicted-against-actual plot
    /// (null for a model uploaded as a file, or without a test split).
    pub test_predictions: Option<TestPredictions>,
}

/// A model in the index: its description, and the model itself once loaded.
pub struct ModelEntry {
    info: ModelInfo,
    test_predictions: Option<TestPredictions>,
    model: OnceCell<Arc<Interpolator>>,
}

impl ModelEntry {
    /// A model not loaded yet.
    pub fn new(stored: StoredModel) -> ModelEntry {
        ModelEntry {
            info: stored.info,
            test_predictions: stored.test_predictions,
            model: OnceCell::new(),
        }
    }

    /// A model already in memory.
    pub fn loaded(stored: StoredModel, model: Interpolator) -> ModelEntry {
        ModelEntry {
            info: stored.info,
            test_predictions: stored.test_predictions,
            model: OnceCell::new_with(Some(Arc::new(model))),
        }
    }

    /// Its description.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The model, loaded from its file the first time.
    pub async fn interpolator(&self, store: &Store) -> Result<Arc<Interpolator>, ApiError> {
        if let Some(why) = &self.info.damaged {
            return Err(damaged(&self.info.id, why));
        }
        if let Some(model) = self.model.get() {
            return Ok(model.clone());
        }
        let path = store.data_path(Kind::Model, &self.info.id);
        let model = self
            .model
            .get_or_try_init(|| async move {
                let loaded = tokio::task::spawn_blocking(move || Interpolator::load(&path))
                    .await
                    .map_err(|e| ApiError::internal(format!("loading the model stopped: {e}")))?;
                loaded.map(Arc::new).map_err(|e| {
                    tracing::error!("{e}");
                    ApiError::internal(format!("the stored model cannot be loaded: {e}"))
                })
            })
            .await?;
        Ok(model.clone())
    }
}

/// 409 for a model whose description is damaged.
fn damaged(id: &str, why: &str) -> ApiError {
    ApiError::conflict(format!(
        "model {id}'s description in the data directory is damaged ({why}): download its \
         file (GET /api/v1/models/{id}/file) and upload it again, or delete it \
         (DELETE /api/v1/models/{id})"
    ))
}

pub(crate) fn find(state: &AppState, id: &str) -> Result<Arc<ModelEntry>, ApiError> {
    if !valid_id(id, Kind::Model) {
        return Err(ApiError::not_found("model", id));
    }
    read(&state.inner.models)
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("model", id))
}

/// List the models, oldest first.
#[utoipa::path(get, path = "/api/v1/models", tag = "models",
    responses((status = 200, body = Vec<ModelInfo>)))]
pub async fn list(State(state): State<AppState>) -> Json<Vec<ModelInfo>> {
    let mut all: Vec<ModelInfo> = read(&state.inner.models)
        .values()
        .map(|m| m.info.clone())
        .collect();
    all.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
    Json(all)
}

/// Show a model: features, metrics, options and the training curves.
#[utoipa::path(get, path = "/api/v1/models/{id}", tag = "models",
    params(("id" = String, Path, description = "model id")),
    responses((status = 200, body = ModelDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ModelDetail>, ApiError> {
    let entry = find(&state, &id)?;
    let model = entry.interpolator(&state.inner.store).await?;
    let history = &model.summary().history;
    // In the target's units squared, as `train --history` and the job's curves give them.
    let scale = model.target_scaler().scale()[0];
    Ok(Json(ModelDetail {
        info: entry.info.clone(),
        history: crate::jobs::Curves {
            train_loss: history
                .train_loss
                .iter()
                .map(|l| l * scale * scale)
                .collect(),
            validation_r2: history.validation_r2.clone(),
        },
        test_predictions: entry.test_predictions.clone(),
    }))
}

/// Download the model file (for `fivedreg predict`, `inspect`, or the Python package).
#[utoipa::path(get, path = "/api/v1/models/{id}/file", tag = "models",
    params(("id" = String, Path, description = "model id")),
    responses(
        (status = 200, description = "the model file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, body = ErrorBody),
        (status = 500, description = "the stored file is damaged (not served)", body = ErrorBody),
    ))]
pub async fn file(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    find(&state, &id)?;
    let path = state.inner.store.data_path(Kind::Model, &id);
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ApiError::not_found("model", &id)
            } else {
                ApiError::internal(format!("cannot read the model file: {e}"))
            }
        })?;
    // A file damaged on disk since it was stored is refused rather than handed out: the
    // whole file is checked (header, checksum, payload) as `fivedreg` would load it.
    let checked_id = id.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        Interpolator::from_bytes(&bytes, &format!("{checked_id}.fdr")).map(|_| bytes)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e| {
        ApiError::internal(format!(
            "the stored file of model {id} is damaged and is not served: {e}"
        ))
    })?;
    let disposition = format!("attachment; filename=\"{id}.fdr\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Upload a model file (written by `fivedreg train` or downloaded from a server). It is
/// checked as `fivedreg` loads one: a truncated, corrupted, foreign or newer-version file
/// is refused, saying which.
#[utoipa::path(post, path = "/api/v1/models", tag = "models",
    params(NameQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the model file"),
    responses(
        (status = 201, description = "stored", body = ModelInfo),
        (status = 400, description = "not a valid model file", body = ErrorBody),
        (status = 413, description = "larger than --max-upload-mb", body = ErrorBody),
        (status = 415, description = "not sent as application/octet-stream", body = ErrorBody),
        (status = 503, description = "all --max-uploads slots are taken (Retry-After)", body = ErrorBody),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    Query(query): Query<NameQuery>,
    request: Request,
) -> Result<(StatusCode, Json<ModelInfo>), ApiError> {
    let config = state.config();
    match media_type(request.headers()).as_deref() {
        Some("application/octet-stream") => {}
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "expected a model file (Content-Type: application/octet-stream), not {}",
                    other.unwrap_or("a body without a Content-Type")
                ),
            ))
        }
    }
    check_length(request.headers(), config.max_upload_bytes)?;
    let slot = state.upload_slot()?;
    let mut reader = BodyReader::spawn(request.into_body(), config.into());
    let id = new_id(Kind::Model);
    let name = display_name(query.name.as_deref(), "uploaded.fdr");
    let store = state.inner.store.clone();
    let (task_id, task_name) = (id.clone(), name.clone());
    let (info, model) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        // Spooled to disk while it arrives (a slow client holds a file, not memory), then
        // read back whole to be checked: a model is held whole in memory anyway.
        let spool_error =
            |e: std::io::Error| ApiError::internal(format!("cannot spool the upload: {e}"));
        let mut spool = tempfile::tempfile_in(store.tmp_dir()).map_err(spool_error)?;
        let copied = std::io::copy(&mut reader, &mut spool);
        if let Some(failure) = reader.failure() {
            return Err(failure.clone().into());
        }
        copied.map_err(spool_error)?;
        drop(slot);
        let mut bytes = Vec::new();
        spool.rewind().map_err(spool_error)?;
        spool.read_to_end(&mut bytes).map_err(spool_error)?;
        drop(spool);
        let model = Interpolator::from_bytes(&bytes, &task_name)?;
        fivedreg::AtomicFile::write(&store.data_path(Kind::Model, &task_id), &bytes)?;
        let info = ModelInfo::describe(
            &task_id,
            &task_name,
            &model,
            bytes.len() as u64,
            ModelSource::default(),
        );
        Ok((info, model))
    })
    .await
    .map_err(|e| ApiError::internal(format!("the upload stopped: {e}")))??;
    let store = &state.inner.store;
    if let Err(e) = store.write_meta(Kind::Model, &id, &info) {
        store.discard(Kind::Model, &id);
        return Err(e);
    }
    tracing::info!("model {id} uploaded: {name:?}");
    let stored = StoredModel {
        info: info.clone(),
        test_predictions: None,
    };
    write(&state.inner.models).insert(id, Arc::new(ModelEntry::loaded(stored, model)));
    Ok((StatusCode::CREATED, Json(info)))
}

/// Delete a model. Predictions already under way finish.
#[utoipa::path(delete, path = "/api/v1/models/{id}", tag = "models",
    params(("id" = String, Path, description = "model id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 404, body = ErrorBody),
        (status = 500, description = "the files could not be removed (it stays)", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    find(&state, &id)?;
    // From the disk first: if that fails the model stays listed, as a restart would find
    // it, and the client is told.
    state
        .inner
        .store
        .remove(Kind::Model, &id)
        .map_err(|e| ApiError::internal(format!("cannot delete model {id}: {e}")))?;
    if write(&state.inner.models).remove(&id).is_none() {
        return Err(ApiError::not_found("model", &id));
    }
    tracing::info!("model {id} deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Rows to predict, as JSON.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PredictRequest {
    /// Each row's features in the model's order (`features` of the model).
    pub rows: Vec<Vec<f64>>,
}

/// Predictions, in the units of the target.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PredictResponse {
    /// The target's name.
    pub target: String,
    /// One prediction per row (an ensemble's: its members' mean).
    pub predictions: Vec<f64>,
    /// An ensemble's calibrated standard deviation per row (about 95% of unseen rows lie
    /// within ±1.96 of it); absent for a single network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std: Option<Vec<f64>>,
    /// Whether each row lies outside the training domain (outside a feature's training
    /// range, or far from every training row): its prediction is an extrapolation, as
    /// `fivedreg predict --flag-domain` marks it. Absent for a model that keeps no domain
    /// (files of format version 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extrapolated: Option<Vec<bool>>,
}

/// The query of a prediction.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PredictQuery {
    /// With a CSV body: add a `<target>_std` column, the ensemble's calibrated standard
    /// deviation (ensembles only). JSON answers of an ensemble always carry `std`.
    pub std: Option<bool>,
    /// With a CSV body: add a `<target>_extrapolated` column (`true`/`false`: the row lies
    /// outside the training domain), as `fivedreg predict --flag-domain` does. JSON answers
    /// always carry `extrapolated`.
    pub flag_domain: Option<bool>,
}

/// Predict: JSON rows in, JSON predictions out; or a CSV in, the CSV out with a
/// `<target>_predicted` column, as `fivedreg predict` writes it.
///
/// A CSV body streams in (bounded memory, any size up to --max-upload-mb), its header
/// naming every feature of the model (any order; other columns are copied through). The
/// result is spooled to disk and sent only once every row has been predicted, so a bad row
/// anywhere gives a 400 naming its line, never a partial CSV.
#[utoipa::path(post, path = "/api/v1/models/{id}/predict", tag = "models",
    params(("id" = String, Path, description = "model id"), PredictQuery),
    request_body(content(
        (PredictRequest = "application/json"),
        (String = "text/csv"),
    )),
    responses(
        (status = 200, description = "the predictions (JSON), or the CSV with the prediction column",
            content((PredictResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "wrong column count, a bad value (row or line named)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
    ))]
pub async fn predict(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<PredictQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let entry = find(&state, &id)?;
    let model = entry.interpolator(&state.inner.store).await?;
    let media = media_type(request.headers());
    match media.as_deref() {
        Some("application/json") => predict_json(&state, model, request).await,
        Some("text/csv") => {
            let with_std = query.std.unwrap_or(false);
            if with_std && !model.is_ensemble() {
                return Err(
                    ApiError::bad_request(fivedreg::Error::NotAnEnsemble.to_string())
                        .with_field("std"),
                );
            }
            let flag_domain = query.flag_domain.unwrap_or(false);
            predict_csv(&state, model, request, with_std, flag_domain).await
        }
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "send rows as application/json ({{\"rows\": [[...]]}}) or as text/csv, not {}",
                other.unwrap_or("a body without a Content-Type")
            ),
        )),
    }
}

async fn predict_json(
    state: &AppState,
    model: Arc<Interpolator>,
    request: Request,
) -> Result<Response, ApiError> {
    let bytes = collect_json(state, request).await?;
    let PredictRequest { rows } = parse_json_blocking(bytes).await?;
    let n_features = model.feature_names().len();
    if rows.is_empty() {
        return Err(
            ApiError::bad_request("rows is empty: give at least one row").with_field("rows"),
        );
    }
    let mut features = Vec::with_capacity(rows.len() * n_features);
    for (i, row) in rows.iter().enumerate() {
        if row.len() != n_features {
            return Err(ApiError::bad_request(format!(
                "row {} has {} values, but the model expects {n_features} features ({})",
                i + 1,
                row.len(),
                model.feature_names().join(", ")
            ))
            .with_field("rows")
            .with_row(i + 1));
        }
        features.extend_from_slice(row);
    }
    drop(rows);
    let predict = |model: &Interpolator, features: &[f64]| {
        let extrapolated = model.domain().map(|d| d.outside(features));
        if model.is_ensemble() {
            model
                .predict_with_std(features)
                .map(|w| (w.mean, Some(w.std), extrapolated))
        } else {
            model
                .predict(features)
                .map(|mean| (mean, None, extrapolated))
        }
    };
    let (predictions, std, extrapolated) = if features.len() / n_features <= INLINE_ROWS {
        predict(&model, &features)
    } else {
        let model = model.clone();
        tokio::task::spawn_blocking(move || predict(&model, &features))
            .await
            .map_err(|e| ApiError::internal(format!("the prediction stopped: {e}")))?
    }
    .map_err(|e| match e {
        fivedreg::Error::OutOfRange(message) => ApiError::bad_request(message).with_field("rows"),
        other => ApiError::from(other),
    })?;
    Ok(Json(PredictResponse {
        target: model.target_name().to_string(),
        predictions,
        std,
        extrapolated,
    })
    .into_response())
}

async fn predict_csv(
    state: &AppState,
    model: Arc<Interpolator>,
    request: Request,
    with_std: bool,
    flag_domain: bool,
) -> Result<Response, ApiError> {
    let config = state.config();
    check_length(request.headers(), config.max_upload_bytes)?;
    let slot = state.upload_slot()?;
    let reader = BodyReader::spawn(request.into_body(), config.into());
    let spool_dir = state.inner.store.tmp_dir();
    let (spool, length) = tokio::task::spawn_blocking(move || {
        let spooled = predict_to_spool(&model, reader, &spool_dir, with_std, flag_domain);
        drop(slot);
        spooled
    })
    .await
    .map_err(|e| ApiError::internal(format!("the prediction stopped: {e}")))??;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_LENGTH, HeaderValue::from(length)),
        ],
        Body::from_stream(file_stream(spool)),
    )
        .into_response())
}

/// Predicts every row of the CSV `reader` into an unnamed temporary file in `dir` (gone
/// when closed), ready to be read from its start; its length.
fn predict_to_spool(
    model: &Interpolator,
    mut reader: BodyReader,
    dir: &std::path::Path,
    with_std: bool,
    flag_domain: bool,
) -> Result<(std::fs::File, u64), ApiError> {
    let result = write_predictions(model, &mut reader, dir, with_std, flag_domain);
    // A failure of the body itself (too large, a stalled client) is the real cause of
    // whatever error the CSV reader saw.
    if let Some(failure) = reader.failure() {
        return Err(failure.clone().into());
    }
    result
}

fn write_predictions(
    model: &Interpolator,
    reader: &mut BodyReader,
    dir: &std::path::Path,
    with_std: bool,
    flag_domain: bool,
) -> Result<(std::fs::File, u64), ApiError> {
    let source = "request body";
    let mut rows = FeatureRows::with_options(
        reader,
        source,
        model.feature_names(),
        &CsvOptions::default(),
    )?;
    let column = format!("{}_predicted", model.target_name());
    let std_column = format!("{}_std", model.target_name());
    let domain_column = format!("{}_extrapolated", model.target_name());
    for (name, added) in [
        (&column, true),
        (&std_column, with_std),
        (&domain_column, flag_domain),
    ] {
        if rows.header().contains(name) && added {
            return Err(ApiError::bad_request(format!(
                "{source}: already has a column named {name}"
            ))
            .at(Some(1), None));
        }
    }
    let spool_error = |e: std::io::Error| {
        tracing::error!("spooling predictions in {}: {e}", dir.display());
        ApiError::internal(format!("cannot spool the predictions: {e}"))
    };
    let file = tempfile::tempfile_in(dir).map_err(spool_error)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    // The output is comma-separated whatever the input's separator, each field quoted the
    // way the `csv` crate's writer quotes it.
    let mut header = rows.header().to_vec();
    header.push(column);
    if with_std {
        header.push(std_column);
    }
    if flag_domain {
        header.push(domain_column);
    }
    let mut text = Vec::new();
    for (i, name) in header.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        fivedreg_data::push_field(&mut text, name.as_bytes(), b',');
    }
    text.push(b'\n');
    out.write_all(&text).map_err(spool_error)?;
    let delimiter = rows.delimiter();
    // Rows are read a block at a time by the same reader as `fivedreg predict`: plain
    // lines (most of them) split in place, the others by the `csv` parser.
    let mut chunk = RowChunk::new(true);
    let mut number = Vec::with_capacity(32);
    loop {
        chunk.clear();
        if !rows.read_chunk(&mut chunk)? {
            break;
        }
        let predicted = if with_std {
            model
                .predict_with_std(&chunk.features)
                .map(|w| (w.mean, w.std))
        } else {
            model
                .predict(&chunk.features)
                .map(|mean| (mean, Vec::new()))
        };
        let lines = &chunk.lines;
        let (predictions, stds) = predicted.map_err(|e| {
            let line_of = |row: usize| lines.get(row.saturating_sub(1)).copied();
            match e {
                fivedreg::Error::NonFiniteFeature { row, column, value } => {
                    ApiError::bad_request(format!(
                        "{source}: line {}: feature {} is not a finite number ({value})",
                        line_of(row).unwrap_or(0),
                        model
                            .feature_names()
                            .get(column.saturating_sub(1))
                            .map_or("?", String::as_str)
                    ))
                    .at(line_of(row), None)
                }
                other => {
                    let first = lines.first().copied().unwrap_or(0);
                    ApiError::bad_request(format!(
                        "{source}: lines {first}-{}: {other}",
                        lines.last().copied().unwrap_or(0)
                    ))
                    .at(Some(first), None)
                }
            }
        })?;
        let outside = match model.domain() {
            Some(domain) if flag_domain => domain.outside(&chunk.features),
            _ => Vec::new(),
        };
        text.clear();
        for (i, y) in predictions.iter().enumerate() {
            push_row_fields(&mut text, chunk.text(i), delimiter);
            for value in std::iter::once(y).chain(stds.get(i)) {
                text.push(b',');
                number.clear();
                fivedreg_data::push_shortest(&mut number, *value);
                fivedreg_data::push_field(&mut text, &number, b',');
            }
            if flag_domain {
                let word: &[u8] = if outside.get(i) == Some(&true) {
                    b"true"
                } else {
                    b"false"
                };
                text.push(b',');
                text.extend_from_slice(word);
            }
            text.push(b'\n');
        }
        out.write_all(&text).map_err(spool_error)?;
    }
    let mut file = out.into_inner().map_err(|e| spool_error(e.into_error()))?;
    let length = file.stream_position().map_err(spool_error)?;
    file.rewind().map_err(spool_error)?;
    Ok((file, length))
}

/// Appends a row's input fields, comma-separated: `row` is the row's text as
/// [`RowChunk::text`] gives it, with the input's `delimiter` (a plain line as read, other
/// lines as the `csv` crate's writer writes them).
fn push_row_fields(out: &mut Vec<u8>, row: &[u8], delimiter: u8) {
    if delimiter == b',' {
        // Already what the `csv` writer writes for these fields with commas.
        out.extend_from_slice(row);
    } else if !row.contains(&b'"') {
        // No field was quoted: the fields are the text split on the delimiter.
        for (i, field) in row.split(|&b| b == delimiter).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            fivedreg_data::push_field(out, field, b',');
        }
    } else {
        // Quoted fields: read back as the `csv` parser reads what its writer wrote.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(row);
        let mut record = csv::ByteRecord::new();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                for (i, field) in record.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    fivedreg_data::push_field(out, field, b',');
                }
            }
            // Not reached for the writer's own text; the row as it is rather than nothing.
            _ => out.extend_from_slice(row),
        }
    }
}

/// The contents of `file` as a body stream, read on a blocking thread a chunk at a time
/// (the channel's bound keeps memory flat whatever the file's size).
fn file_stream(
    mut file: std::fs::File,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || loop {
        let mut buffer = vec![0u8; 1 << 16];
        match file.read(&mut buffer) {
            Ok(0) => return,
            Ok(n) => {
                buffer.truncate(n);
                if tx.blocking_send(Ok(Bytes::from(buffer))).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}
