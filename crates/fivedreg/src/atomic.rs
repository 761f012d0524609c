//! Files that appear complete or not at all.

use crate::error::{Error, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// A file written under a temporary name in its destination's folder and renamed into place
/// by [`commit`](Self::commit). Dropped uncommitted, it leaves nothing behind, so a failed
/// run never leaves a partial output file.
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Opens a temporary file beside `path`.
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".fivedreg-").suffix(".tmp");
        // Temporary files are private by default; the result is an ordinary file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(dir).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(AtomicFile {
            temp,
            path: path.to_path_buf(),
        })
    }

    /// The temporary file, to write to.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// The destination path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the data to disk and renames the file into place.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        self.temp.as_file().sync_all().map_err(io)?;
        self.temp.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }
}
