//! The server's settings and shared state: the indexes of data sets, models and jobs (their
//! files are in the [`Store`]), the training queue, and the shutdown signal.

use crate::datasets::DatasetInfo;
use crate::error::ServerError;
use crate::jobs::{Job, JobRecord};
use crate::models::{ModelEntry, ModelInfo};
use crate::store::{Kind, Store};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;
use tokio::sync::{watch, Semaphore};

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
        let models = store
            .load_all::<ModelInfo>(Kind::Model)
            .into_iter()
            .filter(|m| store.data_path(Kind::Model, &m.id).exists())
            .map(|m| (m.id.clone(), Arc::new(ModelEntry::new(m))))
            .collect();
        let mut jobs = HashMap::new();
        for record in store.load_all::<JobRecord>(Kind::Job) {
            let job = Job::restored(record);
            job.mark_interrupted_if_active(&store, "the server stopped before the job ended");
            jobs.insert(job.id().to_string(), Arc::new(job));
        }
        let queue = Arc::new(Semaphore::new(config.jobs));
        Ok(AppState {
            inner: Arc::new(Shared {
                config,
                store,
                datasets: RwLock::new(datasets),
                models: RwLock::new(models),
                jobs: Mutex::new(jobs),
                queue,
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

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }
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
