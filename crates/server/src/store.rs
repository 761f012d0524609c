//! The data directory: every data set, model and job is a file in it, written whole or not
//! at all ([`fivedreg::AtomicFile`]), so that a restart finds exactly what was stored.
//!
//! ```text
//! DIR/datasets/ID.csv   the uploaded CSV, as sent      DIR/datasets/ID.json  its description
//! DIR/models/ID.fdr     the model file                  DIR/models/ID.json    its description
//! DIR/jobs/ID.json      a training job's last state     DIR/tmp/              spooled predictions
//! ```
//!
//! A description is written after its file, so a file without one is debris of a crash and
//! is removed when the server starts.

use crate::error::{ApiError, ServerError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The folders of the data directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// What an id names; its first letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A data set (`d…`).
    Dataset,
    /// A model (`m…`).
    Model,
    /// A training job (`j…`).
    Job,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Kind::Dataset => 'd',
            Kind::Model => 'm',
            Kind::Job => 'j',
        }
    }
}

/// A fresh id: the kind's letter and 16 random hex digits.
pub fn new_id(kind: Kind) -> String {
    format!("{}{:016x}", kind.letter(), rand::random::<u64>())
}

/// Whether `id` is an id of `kind` (and so safe to use in a file name).
pub fn valid_id(id: &str, kind: Kind) -> bool {
    let mut chars = id.chars();
    id.len() == 17
        && chars.next() == Some(kind.letter())
        && chars.all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Store {
    /// Opens (creating if missing) the data directory at `root`, removing the debris of a
    /// crash: temporary files and files without a description.
    pub fn open(root: &Path) -> Result<Store, ServerError> {
        let store = Store {
            root: root.to_path_buf(),
        };
        for dir in [
            store.root.clone(),
            store.dir(Kind::Dataset),
            store.dir(Kind::Model),
            store.dir(Kind::Job),
            store.tmp_dir(),
        ] {
            std::fs::create_dir_all(&dir).map_err(|source| ServerError::DataDir {
                path: dir.clone(),
                source,
            })?;
        }
        store.remove_debris()?;
        Ok(store)
    }

    fn dir(&self, kind: Kind) -> PathBuf {
        self.root.join(match kind {
            Kind::Dataset => "datasets",
            Kind::Model => "models",
            Kind::Job => "jobs",
        })
    }

    /// Where predictions are spooled before they are sent.
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// The description of `id`.
    pub fn meta_path(&self, kind: Kind, id: &str) -> PathBuf {
        self.dir(kind).join(format!("{id}.json"))
    }

    /// The data file of `id` (a CSV for a data set, a model file for a model).
    pub fn data_path(&self, kind: Kind, id: &str) -> PathBuf {
        let extension = match kind {
            Kind::Dataset => "csv",
            Kind::Model => "fdr",
            Kind::Job => "json",
        };
        self.dir(kind).join(format!("{id}.{extension}"))
    }

    fn remove_debris(&self) -> Result<(), ServerError> {
        let io = |path: &Path, source| ServerError::DataDir {
            path: path.to_path_buf(),
            source,
        };
        let tmp = self.tmp_dir();
        for entry in std::fs::read_dir(&tmp).map_err(|e| io(&tmp, e))? {
            let path = entry.map_err(|e| io(&tmp, e))?.path();
            remove_quietly(&path);
        }
        for kind in [Kind::Dataset, Kind::Model, Kind::Job] {
            let dir = self.dir(kind);
            for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
                let path = entry.map_err(|e| io(&dir, e))?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name.starts_with(".fivedreg-") && name.ends_with(".tmp") {
                    remove_quietly(&path);
                    continue;
                }
                let id = name.split('.').next().unwrap_or("");
                let is_data = kind != Kind::Job && path.extension().is_some_and(|e| e != "json");
                if is_data && valid_id(id, kind) && !self.meta_path(kind, id).exists() {
                    tracing::warn!(
                        "removing {} (no description: cut off by a crash)",
                        path.display()
                    );
                    remove_quietly(&path);
                }
            }
        }
        Ok(())
    }

    /// Every description of `kind` that reads; a damaged one is logged and skipped.
    pub fn load_all<T: DeserializeOwned>(&self, kind: Kind) -> Vec<T> {
        self.load_all_or_damaged(kind).0
    }

    /// Every description of `kind` that reads, and the ids of the damaged ones with what
    /// is wrong with them (logged).
    pub fn load_all_or_damaged<T: DeserializeOwned>(
        &self,
        kind: Kind,
    ) -> (Vec<T>, Vec<(String, String)>) {
        let dir = self.dir(kind);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return (Vec::new(), Vec::new());
        };
        let mut items = Vec::new();
        let mut damaged = Vec::new();
        for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
            let id = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if path.extension().is_none_or(|e| e != "json") || !valid_id(id, kind) {
                continue;
            }
            match std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
            {
                Ok(item) => items.push(item),
                Err(e) => {
                    tracing::warn!("damaged description {}: {e}", path.display());
                    damaged.push((id.to_string(), e));
                }
            }
        }
        (items, damaged)
    }

    /// Writes the description of `id`, whole or not at all.
    pub fn write_meta<T: Serialize>(
        &self,
        kind: Kind,
        id: &str,
        value: &T,
    ) -> Result<(), ApiError> {
        let bytes = serde_json::to_vec_pretty(value)
            .map_err(|e| ApiError::internal(format!("cannot encode the description: {e}")))?;
        let path = self.meta_path(kind, id);
        fivedreg::AtomicFile::write(&path, &bytes).map_err(|e| {
            tracing::error!("{e}");
            ApiError::internal(format!("cannot store {id}: {e}"))
        })
    }

    /// Removes `id`'s description, then its data file. Fails when the description stays
    /// (then nothing is removed, and a restart finds `id` again); a data file that stays
    /// is only logged, being debris that the next start removes.
    pub fn remove(&self, kind: Kind, id: &str) -> Result<(), std::io::Error> {
        match std::fs::remove_file(self.meta_path(kind, id)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::error!("cannot remove {}: {e}", self.meta_path(kind, id).display());
                return Err(e);
            }
        }
        if kind != Kind::Job {
            remove_quietly(&self.data_path(kind, id));
        }
        Ok(())
    }

    /// [`remove`](Self::remove) when cleaning up after a failure, which is already being
    /// reported (what stays is logged).
    pub fn discard(&self, kind: Kind, id: &str) {
        let _ = self.remove(kind, id);
    }
}

fn remove_quietly(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!("cannot remove {}: {e}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_before_they_name_a_file() {
        let id = new_id(Kind::Model);
        assert!(valid_id(&id, Kind::Model));
        assert!(!valid_id(&id, Kind::Dataset));
        for bad in [
            "",
            "m",
            "../etc/passwd",
            "m0123456789abcdeF",
            "m0123456789abcdef0",
            "m/123456789abcdef",
        ] {
            assert!(!valid_id(bad, Kind::Model), "{bad}");
        }
    }

    #[test]
    fn debris_of_a_crash_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let kept = new_id(Kind::Model);
        let orphan = new_id(Kind::Model);
        std::fs::write(store.data_path(Kind::Model, &kept), b"x").unwrap();
        std::fs::write(store.meta_path(Kind::Model, &kept), b"{}").unwrap();
        std::fs::write(store.data_path(Kind::Model, &orphan), b"x").unwrap();
        std::fs::write(store.dir(Kind::Dataset).join(".fivedreg-abc.tmp"), b"x").unwrap();
        std::fs::write(store.tmp_dir().join("spool"), b"x").unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(store.data_path(Kind::Model, &kept).exists());
        assert!(!store.data_path(Kind::Model, &orphan).exists());
        assert_eq!(
            std::fs::read_dir(store.dir(Kind::Dataset)).unwrap().count(),
            0
        );
        assert_eq!(std::fs::read_dir(store.tmp_dir()).unwrap().count(), 0);
    }
}
