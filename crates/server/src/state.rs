//! The server's settings and shared state: the indexes of data sets, models and jobs (their
//! files are in the [`Store`]), the training queue, and the shutdown signal.

use crate::datasets::DatasetInfo;
use crate::error::{ApiError, ServerError};
use crate::jobs::{Job, JobRecord};
use crate::models::{ModelEntry, ModelInfo, StoredModel};
use crate::store::{Kind, Store};
use axum::http::StatusCode;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{
    Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use std::time::Duration;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

/// Most training jobs allowed to run at once.
pub const MAX_JOBS: usize = 64;

/// How `fivedreg serve` is set up.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on (loopback unless a token is set).
    pub listen: SocketAddr,
    /// Where data sets, models and jobs are stored (created if missing).
    pub data_dir: PathBuf,
    /// Largest body accepted: an uploaded data set or model, or a CSV to predict.
    pub max_upload_bytes: u64,
    /// Training jobs run at once; the rest wait in a queue.
    pub jobs: usize,
    /// When set, every API request needs `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Longest wait for a response to a request that is not a streamed upload.
    pub request_timeout: Duration,
    /// Longest pause between two chunks of a streamed body.
    pub idle_timeout: Duration,
    /// Longest wait for a JSON body to arrive whole (408 after it); shorter than
    /// `request_timeout`, so that a stalled body is told 408, not 503.
    pub body_timeout: Duration,
    /// Longest wait for a request's head (request line and headers), and longest a
    /// keep-alive connection may sit idle between requests; the connection is closed after.
    pub header_timeout: Duration,
    /// Slowest average rate, in bytes per second, a streamed body (upload, CSV prediction)
    /// may arrive at once its first [`BODY_GRACE`] has passed (408 below it).
    pub min_body_rate: u64,
    /// Most connections open at once; past it the oldest idle one is closed, or the new one
    /// when none is idle.
    pub max_connections: usize,
    /// Most streamed bodies (data set and model uploads, CSV predictions, JSON bodies over
    /// [`LARGE_JSON`]) read at once; more get 503 with `Retry-After`.
    pub max_uploads: usize,
    /// Most jobs waiting for a training slot; more get 429 with `Retry-After`.
    pub max_queue: usize,
    /// The most memory, in bytes, a training job is estimated to need; a job estimated
    /// above it is refused (400) before anything is queued or allocated.
    pub memory_limit: u64,
    /// Host names accepted in the `Host` header besides the listen address (and
    /// `localhost` on a loopback address), e.g. the name of a proxy in front.
    pub allowed_hosts: Vec<String>,
}

/// Time a streamed body has before [`ServeConfig::min_body_rate`] is enforced (a
/// connection's first seconds are slow to ramp up).
pub const BODY_GRACE: Duration = Duration::from_secs(10);

/// JSON bodies larger than this need an upload slot ([`ServeConfig::max_uploads`]): they
/// are held in memory whole.
pub const LARGE_JSON: u64 = 1 << 20;

/// The default of [`ServeConfig::memory_limit`]: half of the machine's memory
/// (`MemTotal` of `/proc/meminfo`), or 4 GiB where that cannot be read.
pub fn default_memory_limit() -> u64 {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb.saturating_mul(1024));
    match total {
        Some(bytes) if bytes > 0 => bytes / 2,
        _ => 4 << 30,
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            data_dir: PathBuf::from("fivedreg-data"),
            max_upload_bytes: 1024 << 20,
            jobs: 1,
            token: None,
            request_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            min_body_rate: 1024,
            max_connections: 512,
            max_uploads: 4,
            max_queue: 64,
            memory_limit: default_memory_limit(),
            allowed_hosts: Vec::new(),
        }
    }
}

impl ServeConfig {
    /// Refuses settings that are unsafe or cannot work: a non-loopback address without a
    /// token, a token that cannot be sent in a header, no job slot.
    pub fn check(&self) -> Result<(), ServerError> {
        if let Some(token) = &self.token {
            if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ServerError::Config(
                    "--token must be non-empty printable ASCII without spaces".into(),
                ));
            }
        } else if !self.listen.ip().is_loopback() {
            return Err(ServerError::Config(format!(
                "refusing to listen on {} without --token: anyone who can reach it could use \
                 the API; give --token, or listen on a loopback address such as 127.0.0.1",
                self.listen
            )));
        }
        if self.jobs == 0 || self.jobs > MAX_JOBS {
            return Err(ServerError::Config(format!(
                "--jobs must be in 1..={MAX_JOBS}, not {}",
                self.jobs
            )));
        }
        for (name, value) in [
            ("--max-connections", self.max_connections),
            ("--max-uploads", self.max_uploads),
            ("--max-queue", self.max_queue),
        ] {
            if value == 0 {
                return Err(ServerError::Config(format!("{name} must be at least 1")));
            }
        }
        if self.memory_limit == 0 {
            return Err(ServerError::Config(
                "--memory-limit must be more than 0".into(),
            ));
        }
        for (name, value) in [
            ("--request-timeout", self.request_timeout),
            ("--idle-timeout", self.idle_timeout),
            ("--body-timeout", self.body_timeout),
            ("--header-timeout", self.header_timeout),
        ] {
            if value.is_zero() {
                return Err(ServerError::Config(format!("{name} must be more than 0")));
            }
        }
        if self.body_timeout >= self.request_timeout {
            return Err(ServerError::Config(format!(
                "--body-timeout ({} s) must be shorter than --request-timeout ({} s): a \
                 stalled body is then told 408 before the request as a whole times out",
                self.body_timeout.as_secs(),
                self.request_timeout.as_secs()
            )));
        }
        for host in &self.allowed_hosts {
            if host.is_empty() || !host.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ServerError::Config(format!(
                    "--allowed-host {host:?}: give a host name, optionally with :PORT"
                )));
            }
        }
        if self.max_upload_bytes == 0 {
            return Err(ServerError::Config(
                "--max-upload-mb must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// The state every request shares; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Shared>,
}

pub(crate) struct Shared {
    pub config: ServeConfig,
    pub store: Store,
    pub datasets: RwLock<HashMap<String, DatasetInfo>>,
    pub models: RwLock<HashMap<String, Arc<ModelEntry>>>,
    pub jobs: Mutex<HashMap<String, Arc<Job>>>,
    pub queue: Arc<Semaphore>,
    /// Slots for streamed bodies ([`ServeConfig::max_uploads`]).
    pub uploads: Arc<Semaphore>,
    /// Slots for the surrogate toolkit's analyses ([`analysis_slots`]).
    pub analyses: Arc<Semaphore>,
    /// The address actually listened on (the port of `:0` is known only once bound).
    pub bound: OnceLock<SocketAddr>,
    pub shutdown: watch::Sender<bool>,
}

impl AppState {
    /// Checks `config`, opens its data directory and indexes what it holds. Jobs that a
    /// stop cut off (queued or running) are marked `interrupted`.
    pub fn open(config: ServeConfig) -> Result<AppState, ServerError> {
        config.check()?;
        let store = Store::open(&config.data_dir)?;
        let datasets = store
            .load_all::<DatasetInfo>(Kind::Dataset)
            .into_iter()
            .filter(|d| store.data_path(Kind::Dataset, &d.id).exists())
            .map(|d| (d.id.clone(), d))
            .collect();
        let (infos, damaged) = store.load_all_or_damaged::<StoredModel>(Kind::Model);
        let mut models: HashMap<String, Arc<ModelEntry>> = infos
            .into_iter()
            .filter(|m| store.data_path(Kind::Model, &m.info.id).exists())
            .map(|m| (m.info.id.clone(), Arc::new(ModelEntry::new(m))))
            .collect();
        // A damaged description of a model file that is there is listed as damaged, so
        // that it can be seen and deleted (or its file downloaded) rather than stay hidden.
        for (id, why) in damaged {
            if let Ok(meta) = std::fs::metadata(store.data_path(Kind::Model, &id)) {
                let info = ModelInfo::damaged(&id, &why, meta.len());
                let stored = StoredModel {
                    info,
                    test_predictions: None,
                };
                models.insert(id, Arc::new(ModelEntry::new(stored)));
            }
        }
        let mut jobs = HashMap::new();
        for record in store.load_all::<JobRecord>(Kind::Job) {
            let job = Job::restored(record);
            job.mark_cut_off(&store);
            jobs.insert(job.id().to_string(), Arc::new(job));
        }
        let queue = Arc::new(Semaphore::new(config.jobs));
        let uploads = Arc::new(Semaphore::new(config.max_uploads));
        let analyses = Arc::new(Semaphore::new(analysis_slots()));
        Ok(AppState {
            inner: Arc::new(Shared {
                config,
                store,
                datasets: RwLock::new(datasets),
                models: RwLock::new(models),
                jobs: Mutex::new(jobs),
                queue,
                uploads,
                analyses,
                bound: OnceLock::new(),
                shutdown: watch::Sender::new(false),
            }),
        })
    }

    /// The settings.
    pub fn config(&self) -> &ServeConfig {
        &self.inner.config
    }

    /// Starts shutting down: event streams end, queued jobs and running trainings stop
    /// at their next epoch and are recorded as `interrupted`.
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
        for job in lock(&self.inner.jobs).values() {
            job.interrupt(&self.inner.store);
        }
    }

    /// Waits until no job is queued or running, or `timeout` has passed; whether they all
    /// ended.
    pub async fn wait_for_jobs(&self, timeout: Duration) -> bool {
        let active: Vec<Arc<Job>> = lock(&self.inner.jobs).values().cloned().collect();
        let all = async {
            for job in active {
                job.wait_until_ended().await;
            }
        };
        tokio::time::timeout(timeout, all).await.is_ok()
    }

    /// Whether shutting down has begun.
    pub(crate) fn is_stopping(&self) -> bool {
        *self.inner.shutdown.borrow()
    }

    /// The address the server answers on: the bound one once [`crate::serve`] has it,
    /// the configured one before (as in tests that drive the router without a socket).
    pub(crate) fn address(&self) -> SocketAddr {
        self.inner
            .bound
            .get()
            .copied()
            .unwrap_or(self.inner.config.listen)
    }

    /// An upload slot, or 503 with `Retry-After` when all [`ServeConfig::max_uploads`] are
    /// taken (logged: a cap being hit is worth knowing about).
    pub(crate) fn upload_slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.inner.uploads.clone().try_acquire_owned().map_err(|_| {
            // Once a second at most: a flood would otherwise flood the log too.
            static LAST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let now = crate::store::now_ms() / 1000;
            if LAST.swap(now, std::sync::atomic::Ordering::Relaxed) != now {
                tracing::warn!(
                    "upload refused: all {} upload slots are taken (--max-uploads)",
                    self.inner.config.max_uploads
                );
            }
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the server is reading {} uploads already (--max-uploads); try again shortly",
                    self.inner.config.max_uploads
                ),
            )
            .retry_after(5)
        })
    }

    /// A slot for an analysis of the surrogate toolkit (sensitivity, slice, suggest,
    /// optimize, design), held until its work on the blocking pool ends (even when the
    /// request has timed out); 503 with `Retry-After` when all [`analysis_slots`] are taken.
    pub(crate) fn analysis_slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.inner
            .analyses
            .clone()
            .try_acquire_owned()
            .map_err(|_| {
                static LAST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                let now = crate::store::now_ms() / 1000;
                if LAST.swap(now, std::sync::atomic::Ordering::Relaxed) != now {
                    tracing::warn!(
                        "analysis refused: all {} analysis slots are taken",
                        analysis_slots()
                    );
                }
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                    "the server is running {} analyses already (one per core); try again shortly",
                    analysis_slots()
                ),
                )
                .retry_after(2)
            })
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }
}

/// Analyses of the surrogate toolkit run at once: one per core (each is compute-bound).
pub fn analysis_slots() -> usize {
    static SLOTS: OnceLock<usize> = OnceLock::new();
    *SLOTS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Locks `mutex`, even if a panic poisoned it (the data under it is always whole: every
/// update is a single assignment or insert).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads `lock`, even if a panic poisoned it.
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Writes `lock`, even if a panic poisoned it.
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
