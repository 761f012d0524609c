//! `/api/v1/jobs`: training jobs. A job is queued, waits for one of the `--jobs` slots,
//! trains in a blocking thread while its progress goes out to watchers (server-sent
//! events), and ends `done` (with a model), `failed`, `cancelled` or `interrupted` (the
//! server stopped). Every change of state is written to the data directory.

use crate::datasets;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::models::{ModelEntry, ModelInfo, ModelSource, StoredModel, TestPredictions};
use crate::state::{lock, read, write, AppState};
use crate::store::{new_id, now_ms, valid_id, Kind, Store};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
pub use fivedreg::Plan;
use fivedreg::{Interpolator, TrainSpec};
use fivedreg_data::CsvOptions;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use utoipa::ToSchema;

/// Training options: the library's [`TrainSpec`] (`fivedreg train`'s flags by their long
/// names with `_`); a missing option takes its default (see `GET /api/v1/hyperparameters`).
/// Its rules and ranges are the library's ([`TrainSpec::plan`]), so the HTTP API, the
/// command line and Python accept the same options and build the same model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TrainOptions(pub TrainSpec);

impl std::ops::Deref for TrainOptions {
    type Target = TrainSpec;
    fn deref(&self) -> &TrainSpec {
        &self.0
    }
}

impl std::ops::DerefMut for TrainOptions {
    fn deref_mut(&mut self) -> &mut TrainSpec {
        &mut self.0
    }
}

impl utoipa::ToSchema for TrainOptions {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("TrainOptions")
    }
}

impl utoipa::PartialSchema for TrainOptions {
    /// The schema, built from the library's description of each option.
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        let mut object = ObjectBuilder::new().description(Some(
            "Training options (fivedreg train's flags by their long names with _); a missing \
             one takes its default.",
        ));
        for info in fivedreg::params() {
            let kind = |ty: Type| {
                ObjectBuilder::new()
                    .schema_type(ty)
                    .minimum(info.min)
                    .maximum(info.max)
            };
            let described = |o: ObjectBuilder| {
                o.description(Some(format!(
                    "{} (default: {}{})",
                    info.doc,
                    info.default_text,
                    if info.valid.is_empty() {
                        String::new()
                    } else {
                        format!("; valid: {}", info.valid)
                    }
                )))
            };
            let schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> = match info.kind {
                fivedreg::ParamKind::Integer => described(kind(Type::Integer)).into(),
                fivedreg::ParamKind::Real => described(kind(Type::Number)).into(),
                fivedreg::ParamKind::Bool => {
                    described(ObjectBuilder::new().schema_type(Type::Boolean)).into()
                }
                fivedreg::ParamKind::Choice => described(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(info.choices.iter().copied())),
                )
                .into(),
                fivedreg::ParamKind::IntegerList | fivedreg::ParamKind::RealList => {
                    let element = if info.kind == fivedreg::ParamKind::IntegerList {
                        kind(Type::Integer)
                    } else {
                        kind(Type::Number)
                    };
                    ArrayBuilder::new()
                        .items(element)
                        .max_items(info.max_len)
                        .description(Some(format!(
                            "{} (default: {})",
                            info.doc, info.default_text
                        )))
                        .into()
                }
            };
            object = object.property(info.name, schema);
        }
        object
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ))
            .into()
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a training slot.
    Queued,
    /// Training.
    Running,
    /// Trained; `model` names the model.
    Done,
    /// Training failed; `error` says why.
    Failed,
    /// Cancelled by a `DELETE`.
    Cancelled,
    /// Cut off by a stop of the server (no model was stored).
    Interrupted,
}

impl JobState {
    /// The name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Interrupted => "interrupted",
        }
    }
    /// Whether the job has ended.
    pub fn is_terminal(self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }
}

/// One configuration `auto` has tried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CandidateScore {
    /// The configuration, in words.
    pub config: String,
    /// Mean R² of its fold models on the folds they held out.
    pub cv_r2_mean: f64,
    /// Standard deviation of those R² across the folds.
    pub cv_r2_std: f64,
    /// Seconds its cross-validation took.
    pub seconds: f64,
}

/// A job's state, as stored and as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobRecord {
    /// Its id (`j` and 16 hex digits).
    pub id: String,
    /// What it trains: `network`, `ensemble` (then `epoch` counts the epochs of all its
    /// members, and `max_epochs` bounds their sum) or `auto` (then `candidates` grows).
    #[serde(default)]
    pub kind: String,
    /// The data set it trains on.
    pub dataset: String,
    /// The target column.
    pub target: String,
    /// The feature columns, in this order, as given (`fivedreg train --features`); none:
    /// every column but the target, the `drop`ped ones and the data set's columns of text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    /// Columns left out of the features, as given (`fivedreg train --drop`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop: Vec<String>,
    /// The options as given.
    pub options: TrainOptions,
    /// Where it is.
    pub state: JobState,
    /// Epochs done so far.
    pub epoch: usize,
    /// The most epochs it will run.
    pub max_epochs: usize,
    /// Training loss of the last epoch, in the target's units squared (scikit-learn's loss:
    /// half the mean squared error plus the L2 term), as `train --history` writes it.
    pub train_loss: Option<f64>,
    /// Validation R² of the last epoch.
    pub validation_r2: Option<f64>,
    /// The configurations `auto` has tried so far.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<CandidateScore>,
    /// The model, once done.
    pub model: Option<String>,
    /// Why it failed or stopped.
    pub error: Option<String>,
    /// Its peak memory as estimated when it was submitted, in bytes (see `--memory-limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_estimate: Option<u64>,
    /// When it was submitted (ms since the Unix epoch).
    pub created_ms: u64,
    /// When it started training.
    pub started_ms: Option<u64>,
    /// When it ended.
    pub finished_ms: Option<u64>,
}

/// The per-epoch curves of a job so far: at most [`fivedreg::MAX_CURVE_POINTS`] points
/// each, as in a model file (a longer run keeps every k-th epoch and the last).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Curves {
    /// Training loss per epoch, in the target's units squared (as `train --history`).
    pub train_loss: Vec<f64>,
    /// Validation R² per epoch (empty without early stopping's validation split).
    pub validation_r2: Vec<f64>,
}

/// `GET /api/v1/jobs/{id}`: the state and the curves so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    /// The state.
    #[serde(flatten)]
    pub record: JobRecord,
    /// Training loss and validation R² per epoch so far (while the server has run the
    /// job; a finished job's model holds the full curves).
    pub curves: Curves,
}

/// A job's curves as they grow, thinned to at most [`fivedreg::MAX_CURVE_POINTS`] points
/// each: epochs are kept every `step`, and when the curve is full every other kept point
/// goes and `step` doubles. The last epoch is kept aside and shown too.
#[derive(Debug, Default)]
struct CurveRecorder {
    kept: Curves,
    step: usize,
    seen: usize,
    last: Option<(f64, Option<f64>)>,
    /// Whether the last epoch is among the kept points.
    last_kept: bool,
}

impl CurveRecorder {
    fn push(&mut self, train_loss: f64, validation_r2: Option<f64>) {
        let step = self.step.max(1);
        self.last = Some((train_loss, validation_r2));
        self.last_kept = self.seen.is_multiple_of(step);
        self.seen += 1;
        if !self.last_kept {
            return;
        }
        self.kept.train_loss.push(train_loss);
        if let Some(r2) = validation_r2 {
            self.kept.validation_r2.push(r2);
        }
        // One place is left for the last epoch.
        if self.kept.train_loss.len() >= fivedreg::MAX_CURVE_POINTS - 1 {
            let halve = |curve: &mut Vec<f64>| {
                *curve = curve.iter().copied().step_by(2).collect();
            };
            halve(&mut self.kept.train_loss);
            halve(&mut self.kept.validation_r2);
            self.step = step * 2;
        }
    }

    fn curves(&self) -> Curves {
        let mut curves = self.kept.clone();
        if let (Some((loss, r2)), false) = (self.last, self.last_kept) {
            curves.train_loss.push(loss);
            if let Some(r2) = r2 {
                curves.validation_r2.push(r2);
            }
        }
        curves
    }
}

/// How often a running job's progress (its epoch, loss and R²) is written to the data
/// directory, so that a crash leaves a record of how far it got.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Why a training run is asked to stop.
const RUN: u8 = 0;
const CANCEL: u8 = 1;
const INTERRUPT: u8 = 2;

/// The payload unwound out of the library's epoch callback to stop a training run; caught
/// by the job's thread (`resume_unwind` runs no panic hook, so nothing is printed).
struct StopTraining;

/// A job in memory: its state (watched by event streams), its curves, and a stop flag that
/// the training thread reads after every epoch.
pub struct Job {
    status: watch::Sender<JobRecord>,
    curves: Mutex<CurveRecorder>,
    stop: AtomicU8,
    /// The training's own stop flag, once it runs: set with `stop`, it stops the library
    /// at its next minibatch, L-BFGS iteration or candidate.
    training: Mutex<Option<fivedreg::StopFlag>>,
    /// When its progress was last written ([`PROGRESS_EVERY`]).
    saved: Mutex<Instant>,
    /// The factor that turns the library's training losses (standardized units) into the
    /// target's units squared, as `train --history` writes them (the bits of an f64).
    loss_factor: AtomicU64,
}

impl Job {
    fn new(record: JobRecord) -> Job {
        Job {
            status: watch::Sender::new(record),
            curves: Mutex::new(CurveRecorder::default()),
            stop: AtomicU8::new(RUN),
            training: Mutex::new(None),
            saved: Mutex::new(Instant::now()),
            loss_factor: AtomicU64::new(1.0f64.to_bits()),
        }
    }

    /// A job read back from the data directory.
    pub(crate) fn restored(record: JobRecord) -> Job {
        Job::new(record)
    }

    /// Its id.
    pub fn id(&self) -> String {
        self.status.borrow().id.clone()
    }
    /// The data set it trains on.
    pub fn dataset(&self) -> String {
        self.status.borrow().dataset.clone()
    }
    /// Where it is.
    pub fn state(&self) -> JobState {
        self.status.borrow().state
    }
    /// Whether it is queued or running.
    pub fn is_active(&self) -> bool {
        !self.state().is_terminal()
    }
    /// Its state now.
    pub fn record(&self) -> JobRecord {
        self.status.borrow().clone()
    }

    /// Applies `change` to the record if it returns true, storing the new record before
    /// anyone can see it (so a state seen through the API is the one a restart finds);
    /// whether it changed.
    fn transition(&self, store: &Store, change: impl FnOnce(&mut JobRecord) -> bool) -> bool {
        self.status.send_if_modified(|r| {
            if !change(r) {
                return false;
            }
            // A failure is logged by write_meta; the job goes on in memory.
            let _ = store.write_meta(Kind::Job, &r.id, r);
            true
        })
    }

    /// Ends the job as `state` if it has not ended; whether it did.
    fn end(&self, store: &Store, state: JobState, error: Option<String>) -> bool {
        self.transition(store, |r| {
            if r.state.is_terminal() {
                return false;
            }
            r.state = state;
            r.error = error;
            r.finished_ms = Some(now_ms());
            true
        })
    }

    /// Marks a job that was queued or running when the server stopped.
    pub(crate) fn mark_interrupted_if_active(&self, store: &Store, why: &str) -> bool {
        self.end(store, JobState::Interrupted, Some(why.to_string()))
    }

    /// Marks a job found queued or running when the server starts: the server it ran on
    /// ended without recording its end, so it was cut off by a crash (`kill -9`, running
    /// out of memory, a power cut). It is never resumed: a job that crashed the server
    /// would crash it again. The record says why, with the epoch it had reached.
    pub(crate) fn mark_cut_off(&self, store: &Store) -> bool {
        let record = self.record();
        let why = match record.state {
            JobState::Queued => "the server stopped before the job started; it is not \
                                 started again: submit it again"
                .to_string(),
            _ => format!(
                "the server ended abruptly while this job was training (at epoch {} or \
                 later; a crash, kill -9 or the machine running out of memory{}); it is not \
                 resumed, in case it was the cause: submit it again, smaller if it was",
                record.epoch,
                record
                    .memory_estimate
                    .map_or(String::new(), |bytes| format!(
                        ", with an estimated peak of {}",
                        crate::admission::human(bytes as f64)
                    ))
            ),
        };
        self.mark_interrupted_if_active(store, &why)
    }

    /// Stops the job because the server is stopping: a queued job ends now, a running one
    /// at its next epoch.
    pub(crate) fn interrupt(&self, store: &Store) {
        self.ask_to_stop(INTERRUPT);
        if self.state() == JobState::Queued {
            self.mark_interrupted_if_active(store, "the server stopped before the job started");
        }
    }

    /// Waits until the job has ended.
    pub(crate) async fn wait_until_ended(&self) {
        let mut rx = self.status.subscribe();
        let _ = rx.wait_for(|r| r.state.is_terminal()).await;
    }

    fn on_epoch(&self, store: &Store, stats: &fivedreg::EpochStats) {
        let single = self.status.borrow().kind == KIND_NETWORK;
        let train_loss =
            stats.train_loss * f64::from_bits(self.loss_factor.load(Ordering::Relaxed));
        if single {
            lock(&self.curves).push(train_loss, stats.validation_r2);
        }
        self.status.send_modify(|r| {
            // An ensemble's members report their epochs interleaved: count them all.
            r.epoch = if single { stats.epoch } else { r.epoch + 1 };
            r.train_loss = Some(train_loss);
            r.validation_r2 = stats.validation_r2;
        });
        self.save_progress(store);
    }

    /// Writes the record every [`PROGRESS_EVERY`], so that after a crash it shows how far
    /// the job got.
    fn save_progress(&self, store: &Store) {
        let mut saved = lock(&self.saved);
        if saved.elapsed() < PROGRESS_EVERY {
            return;
        }
        *saved = Instant::now();
        let record = self.record();
        if record.state == JobState::Running {
            // A failure is logged by write_meta; the job goes on.
            let _ = store.write_meta(Kind::Job, &record.id, &record);
        }
    }

    fn on_candidate(&self, store: &Store, entry: &fivedreg::LeaderboardEntry) {
        self.status.send_modify(|r| {
            r.candidates.push(CandidateScore {
                config: entry.config.clone(),
                cv_r2_mean: entry.cv_r2_mean,
                cv_r2_std: entry.cv_r2_std,
                seconds: entry.seconds,
            })
        });
        self.save_progress(store);
    }

    /// Records why the job is to stop (`CANCEL` or `INTERRUPT`) and tells its training.
    fn ask_to_stop(&self, why: u8) {
        self.stop.store(why, Ordering::Relaxed);
        if let Some(flag) = lock(&self.training).as_ref() {
            flag.stop();
        }
    }

    /// Unwinds out of the library's progress callback when the job is asked to stop.
    fn stop_if_asked(&self) {
        if self.stop.load(Ordering::Relaxed) != RUN {
            std::panic::resume_unwind(Box::new(StopTraining));
        }
    }
}

/// `JobRecord::kind` of a single network.
const KIND_NETWORK: &str = "network";

/// A job submission.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// The data set to train on.
    pub dataset: String,
    /// The target column; by default the data set's last column.
    #[serde(default)]
    pub target: Option<String>,
    /// The feature columns, in this order (`fivedreg train --features`); by default every
    /// column but the target, the `drop`ped ones and the data set's columns of text.
    #[serde(default)]
    pub features: Option<Vec<String>>,
    /// Columns to leave out of the features (`fivedreg train --drop`).
    #[serde(default)]
    pub drop: Vec<String>,
    /// Training options; missing ones take their defaults.
    #[serde(default)]
    pub options: TrainOptions,
}

/// Submit a training job.
///
/// The options are checked now (a bad one is a 400 naming `options.<name>`); the job then
/// waits for one of the server's `--jobs` training slots.
#[utoipa::path(post, path = "/api/v1/jobs", tag = "jobs",
    request_body = JobRequest,
    responses(
        (status = 202, description = "queued", body = JobRecord),
        (status = 400, description = "a bad option, target or body (field named)", body = ErrorBody),
        (status = 404, description = "no such data set", body = ErrorBody),
        (status = 503, description = "the server is stopping", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(mut request): ApiJson<JobRequest>,
) -> Result<(StatusCode, Json<JobRecord>), ApiError> {
    if state.is_stopping() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is stopping",
        ));
    }
    let dataset = datasets::find(&state, &request.dataset).map_err(|e| e.with_field("dataset"))?;
    let columns: Vec<&str> = dataset.columns.iter().map(|c| c.name.as_str()).collect();
    let target = match request.target {
        Some(t) if columns.contains(&t.as_str()) => t,
        Some(t) => {
            return Err(ApiError::bad_request(format!(
                "data set {} has no column named {t:?} (columns: {})",
                dataset.id,
                columns.join(", ")
            ))
            .with_field("target"))
        }
        None => columns.last().map(|c| c.to_string()).unwrap_or_default(),
    };
    let n_features = chosen_features(&dataset, &target, &request.features, &request.drop)?;
    // A batch larger than the data is the whole data: capped, so that neither the
    // estimate below nor the training sizes anything by the number given.
    if let Some(batch) = request.options.batch_size {
        if batch > dataset.rows {
            request.options.batch_size = Some(dataset.rows.max(1));
        }
    }
    let plan = request.options.plan()?;
    let (kind, max_epochs) = match &plan {
        Plan::Fit(options) => {
            // The network's size depends on the data's width: checked now rather than by a
            // job that fails later.
            options
                .network()
                .layer_sizes(n_features)
                .map_err(|e| ApiError::bad_request(e.to_string()).with_field("options.hidden"))?;
            let o = options.options();
            match o.ensemble {
                1 => (KIND_NETWORK, o.network.max_epochs),
                k => ("ensemble", o.network.max_epochs.saturating_mul(k)),
            }
        }
        Plan::Auto(_) => ("auto", 0),
    };
    let estimate =
        crate::admission::admit(&plan, dataset.rows, n_features, state.config().memory_limit)?;
    // A quick refusal before anything is written; checked again, exactly, below.
    queue_room(&state, &lock(&state.inner.jobs))?;
    let record = JobRecord {
        id: new_id(Kind::Job),
        kind: kind.into(),
        dataset: dataset.id.clone(),
        target,
        features: request.features,
        drop: request.drop,
        options: request.options,
        state: JobState::Queued,
        epoch: 0,
        max_epochs,
        train_loss: None,
        validation_r2: None,
        candidates: Vec::new(),
        model: None,
        error: None,
        memory_estimate: Some(estimate.memory as u64),
        created_ms: now_ms(),
        started_ms: None,
        finished_ms: None,
    };
    state
        .inner
        .store
        .write_meta(Kind::Job, &record.id, &record)?;
    let job = Arc::new(Job::new(record.clone()));
    {
        // Under the jobs' lock, so that the data set cannot be deleted in between.
        let mut jobs = lock(&state.inner.jobs);
        if !read(&state.inner.datasets).contains_key(&dataset.id) {
            state.inner.store.discard(Kind::Job, &record.id);
            return Err(ApiError::not_found("data set", &dataset.id).with_field("dataset"));
        }
        if let Err(e) = queue_room(&state, &jobs) {
            state.inner.store.discard(Kind::Job, &record.id);
            return Err(e);
        }
        jobs.insert(record.id.clone(), job.clone());
    }
    tracing::info!(
        "job {} queued: data set {}, target {}",
        record.id,
        record.dataset,
        record.target
    );
    tokio::spawn(run(state, job));
    Ok((StatusCode::ACCEPTED, Json(record)))
}

/// The number of features a job's `features` and `drop` choose from `dataset` (checked by
/// the data crate's rules, as `fivedreg train --features/--drop` are); a bad choice is a 400
/// naming `features` or `drop`.
fn chosen_features(
    dataset: &datasets::DatasetInfo,
    target: &str,
    features: &Option<Vec<String>>,
    drop: &[String],
) -> Result<usize, ApiError> {
    let names: Vec<String> = dataset
        .columns
        .iter()
        .map(|c| c.name.clone())
        .chain(dataset.text_columns.iter().cloned())
        .collect();
    let csv = CsvOptions {
        target: Some(target.to_string()),
        features: features.clone(),
        drop: drop.to_vec(),
        ..Default::default()
    };
    let field = |e: &fivedreg_data::DataError| match e {
        fivedreg_data::DataError::DropNotFound { .. } => "drop",
        _ if features.is_none() => "drop",
        _ => "features",
    };
    let (_, chosen) = fivedreg_data::choose_feature_columns(&names, &csv, &dataset.name)
        .map_err(|e| ApiError::bad_request(e.to_string()).with_field(field(&e)))?;
    let text = |c: &usize| {
        names
            .get(*c)
            .is_some_and(|n| dataset.text_columns.contains(n))
    };
    if let Some(c) = chosen.iter().find(|c| features.is_some() && text(c)) {
        return Err(ApiError::bad_request(format!(
            "the column {:?} of data set {} holds text, so it cannot be a feature",
            names[*c], dataset.id
        ))
        .with_field("features"));
    }
    let n = chosen.iter().filter(|c| !text(c)).count();
    if n == 0 {
        return Err(ApiError::bad_request(format!(
            "no feature column is left in data set {} (columns: {})",
            dataset.id,
            names.join(", ")
        ))
        .with_field(if features.is_some() {
            "features"
        } else {
            "drop"
        }));
    }
    Ok(n)
}

/// 429 when `--max-queue` jobs are waiting already (logged: a cap being hit is worth
/// knowing about).
fn queue_room(
    state: &AppState,
    jobs: &std::collections::HashMap<String, Arc<Job>>,
) -> Result<(), ApiError> {
    let limit = state.config().max_queue;
    let queued = jobs
        .values()
        .filter(|job| job.state() == JobState::Queued)
        .count();
    if queued < limit {
        return Ok(());
    }
    // Once a second at most: a flood would otherwise flood the log too.
    static LAST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = now_ms() / 1000;
    if LAST.swap(now, Ordering::Relaxed) != now {
        tracing::warn!("job refused: {queued} jobs are queued already (--max-queue {limit})");
    }
    Err(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!(
            "{queued} jobs are waiting for a training slot already (--max-queue {limit}); \
             try again when one has started"
        ),
    )
    .retry_after(30))
}

/// Waits for a slot, trains, and records the outcome.
async fn run(state: AppState, job: Arc<Job>) {
    let mut rx = job.status.subscribe();
    let permit = tokio::select! {
        permit = state.inner.queue.clone().acquire_owned() => match permit {
            Ok(permit) => permit,
            Err(_) => return,
        },
        // Cancelled or interrupted while queued (whoever ended it stored it).
        _ = rx.wait_for(|r| r.state.is_terminal()) => return,
    };
    let store = &state.inner.store;
    // Once shutting down has begun no job starts: the shutdown marks the queued ones.
    let started = job.transition(store, |r| {
        if r.state != JobState::Queued
            || state.is_stopping()
            || job.stop.load(Ordering::Relaxed) != RUN
        {
            return false;
        }
        r.state = JobState::Running;
        r.started_ms = Some(now_ms());
        true
    });
    if !started {
        return;
    }
    let (train_state, train_job) = (state.clone(), job.clone());
    let outcome = tokio::task::spawn_blocking(move || train(&train_state, &train_job))
        .await
        .unwrap_or_else(|e| Err((JobState::Failed, format!("internal error: {e}"))));
    drop(permit);
    let id = job.id();
    match outcome {
        Ok(model) => {
            tracing::info!("job {id} done: model {model}");
            job.transition(store, |r| {
                r.state = JobState::Done;
                r.model = Some(model);
                r.finished_ms = Some(now_ms());
                true
            });
        }
        Err((ended, why)) => {
            tracing::info!("job {id} {}: {why}", ended.as_str());
            job.end(store, ended, Some(why));
        }
    }
}

/// Trains the job's model and stores it; the model's id, or how the job ended instead.
fn train(state: &AppState, job: &Job) -> Result<String, (JobState, String)> {
    let failed = |why: String| (JobState::Failed, why);
    let record = job.record();
    let plan = record
        .options
        .plan()
        .map_err(|e| failed(ApiError::from(e).body().error.clone()))?;
    let dataset =
        datasets::find(state, &record.dataset).map_err(|e| failed(e.body().error.clone()))?;
    let path = state.inner.store.data_path(Kind::Dataset, &record.dataset);
    let csv = CsvOptions {
        target: Some(record.target.clone()),
        features: record.features.clone(),
        drop: record.drop.clone(),
        ..Default::default()
    };
    let data = fivedreg_data::open(&path)
        .and_then(|file| fivedreg_data::read_csv(file, &dataset.name, &csv))
        .map_err(|e| failed(e.to_string()))?
        .0;
    if let Plan::Fit(options) = &plan {
        let factor = Interpolator::loss_to_target_units(&data, options)
            .map_err(|e| failed(e.to_string()))?;
        job.loss_factor.store(factor.to_bits(), Ordering::Relaxed);
    }
    let clock = Instant::now();
    // The plan's stop flag stops the library at its next minibatch, L-BFGS iteration or
    // candidate; a stop asked before this line is passed on now.
    let flag = plan.base().network.stop.clone();
    *lock(&job.training) = Some(flag.clone());
    if job.stop.load(Ordering::Relaxed) != RUN {
        flag.stop();
    }
    // The progress callbacks also unwind on a stop (at an epoch's or a candidate's end,
    // where the library holds no lock), caught here. Any other panic is a bug; it fails
    // the job instead of the server.
    let fitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &plan {
        Plan::Fit(options) => Interpolator::fit(&data, options, &mut |stats| {
            job.on_epoch(&state.inner.store, stats);
            job.stop_if_asked();
        }),
        Plan::Auto(auto) => Interpolator::fit_auto(&data, auto, &mut |entry| {
            job.on_candidate(&state.inner.store, entry);
            job.stop_if_asked();
        }),
    }));
    let stopped = |fitted: &std::thread::Result<fivedreg::Result<fivedreg::Fitted>>| match fitted {
        Ok(Err(fivedreg::Error::Nn(fivedreg::NnError::Stopped))) => true,
        Err(payload) => payload.is::<StopTraining>(),
        _ => false,
    };
    let fitted = match fitted {
        Ok(Ok(fitted)) => fitted,
        f if stopped(&f) => {
            return Err(match job.stop.load(Ordering::Relaxed) {
                CANCEL => (JobState::Cancelled, "cancelled by a DELETE request".into()),
                _ => (
                    JobState::Interrupted,
                    "the server stopped while the job was training".into(),
                ),
            })
        }
        Ok(Err(e)) => return Err(failed(e.to_string())),
        Err(_) => {
            return Err(failed(
                "internal error: training stopped unexpectedly (see the server's log)".into(),
            ))
        }
    };
    let seconds = clock.elapsed().as_secs_f64();
    let id = new_id(Kind::Model);
    let model = fitted.interpolator;
    let bytes = model.to_bytes().map_err(|e| failed(e.to_string()))?;
    let store = &state.inner.store;
    fivedreg::AtomicFile::write(&store.data_path(Kind::Model, &id), &bytes).map_err(|e| {
        tracing::error!("{e}");
        failed(format!("cannot store the model: {e}"))
    })?;
    let info = ModelInfo::describe(
        &id,
        &format!("{} → {}", dataset.name, record.target),
        &model,
        bytes.len() as u64,
        ModelSource {
            job: Some(record.id.clone()),
            dataset: Some(record.dataset.clone()),
            train_seconds: Some(seconds),
        },
    );
    // The test rows' predictions, for the page's predicted-against-actual plot: the rows
    // of the split the library made with the plan's split and seed. A failure here only
    // leaves the plot out.
    let test_predictions =
        TestPredictions::compute(&model, &data, plan.base()).unwrap_or_else(|e| {
            tracing::warn!("model {id}: cannot predict its test rows: {e}");
            None
        });
    let stored = StoredModel {
        info,
        test_predictions,
    };
    if let Err(e) = store.write_meta(Kind::Model, &id, &stored) {
        store.discard(Kind::Model, &id);
        return Err(failed(e.body().error.clone()));
    }
    write(&state.inner.models).insert(id.clone(), Arc::new(ModelEntry::loaded(stored, model)));
    Ok(id)
}

/// List the jobs, oldest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    responses((status = 200, body = Vec<JobRecord>)))]
pub async fn list(State(state): State<AppState>) -> Json<Vec<JobRecord>> {
    let mut all: Vec<JobRecord> = lock(&state.inner.jobs)
        .values()
        .map(|j| j.record())
        .collect();
    all.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
    Json(all)
}

fn find(state: &AppState, id: &str) -> Result<Arc<Job>, ApiError> {
    if !valid_id(id, Kind::Job) {
        return Err(ApiError::not_found("job", id));
    }
    lock(&state.inner.jobs)
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("job", id))
}

/// Show a job: its state, the last epoch's figures, and the curves so far.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "job id")),
    responses((status = 200, body = JobView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    let job = find(&state, &id)?;
    let curves = lock(&job.curves).curves();
    Ok(Json(JobView {
        record: job.record(),
        curves,
    }))
}

/// Follow a job: server-sent events named `status`, each the job's state as
/// `GET /api/v1/jobs/{id}` gives it without the curves, at most one per epoch; the stream
/// ends after the event of the final state.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/events", tag = "jobs",
    params(("id" = String, Path, description = "job id")),
    responses(
        (status = 200, description = "text/event-stream of `status` events", content_type = "text/event-stream", body = JobRecord),
        (status = 404, body = ErrorBody),
    ))]
pub async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = find(&state, &id)?;
    let rx = job.status.subscribe();
    let shutdown = state.shutdown_signal();
    // (receiver, shutdown, whether the last state was sent)
    let stream = futures_util::stream::unfold(
        (rx, shutdown, false, true),
        |(mut rx, mut shutdown, ended, first)| async move {
            if ended {
                return None;
            }
            if !first {
                tokio::select! {
                    changed = rx.changed() => changed.ok()?,
                    _ = shutdown.wait_for(|stop| *stop) => return None,
                }
            }
            let record = rx.borrow_and_update().clone();
            let ended = record.state.is_terminal();
            let event = Event::default()
                .event("status")
                .json_data(&record)
                .unwrap_or_else(|_| Event::default().event("status"));
            Some((
                Ok::<_, std::convert::Infallible>(event),
                (rx, shutdown, ended, false),
            ))
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// Cancel a queued or running job (it stops at its next epoch, and the answer waits for
/// that), or delete the record of one that has ended (its model stays).
#[utoipa::path(delete, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "job id")),
    responses(
        (status = 200, description = "cancelled: the job's final state", body = JobRecord),
        (status = 202, description = "cancelling: the job had not stopped within 10 s", body = JobRecord),
        (status = 204, description = "the ended job's record is deleted"),
        (status = 404, body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = find(&state, &id)?;
    if !job.is_active() {
        state
            .inner
            .store
            .remove(Kind::Job, &id)
            .map_err(|e| ApiError::internal(format!("cannot delete job {id}: {e}")))?;
        lock(&state.inner.jobs).remove(&id);
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    job.ask_to_stop(CANCEL);
    if job.state() == JobState::Queued
        && job.end(
            &state.inner.store,
            JobState::Cancelled,
            Some("cancelled by a DELETE request".into()),
        )
    {
        tracing::info!("job {id} cancelled while queued");
    }
    let ended = tokio::time::timeout(Duration::from_secs(10), job.wait_until_ended()).await;
    let status = if ended.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(job.record())).into_response())
}
