//! Files that appear complete or not at all.

use crate::error::{Error, Result};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// A file written under a temporary name in its destination's folder and renamed into place
/// by [`commit`](Self::commit). Dropped uncommitted, it leaves nothing behind, so a failed
/// run never leaves a partial output file; a process interrupted by a signal can remove
/// every uncommitted one with [`AtomicFile::discard_uncommitted_then`].
///
/// A destination that is a symbolic link is followed (the link stays a link); one that is
/// not a regular file (a device such as `/dev/stdout`, a named pipe) is written directly,
/// since it cannot be replaced. An existing file keeps its permissions; a read-only one
/// (no write permission for anyone, or none for this user) is refused rather than replaced.
pub struct AtomicFile {
    target: Option<Target>,
    path: PathBuf,
}

enum Target {
    Temporary(tempfile::NamedTempFile, PathBuf),
    Direct(File),
}

/// The temporary files of every live, uncommitted [`AtomicFile`] of the process. Renaming
/// one into place and removing them all on a signal take this lock, so that neither
/// happens halfway through the other.
static UNCOMMITTED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn uncommitted() -> MutexGuard<'static, Vec<PathBuf>> {
    // The list stays valid whatever a panicking holder did: it only adds or removes paths.
    UNCOMMITTED.lock().unwrap_or_else(|e| e.into_inner())
}

fn forget_uncommitted(list: &mut Vec<PathBuf>, temp: &Path) {
    if let Some(i) = list.iter().position(|p| p == temp) {
        list.swap_remove(i);
    }
}

/// Refuses to replace `destination` (an existing regular file) when it is read-only: when
/// no one may write it (its mode has no write bit: a mark set on purpose, which even the
/// superuser should not override silently), or this user may not.
fn check_replaceable(destination: &Path, meta: &std::fs::Metadata) -> std::io::Result<()> {
    let read_only = || {
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "the file is read-only, so it is not replaced (make it writable first, e.g. chmod u+w)",
        )
    };
    if meta.permissions().readonly() {
        return Err(read_only());
    }
    // Opening for writing without truncating changes nothing and tells whether this user
    // may write the file.
    match std::fs::OpenOptions::new().write(true).open(destination) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(read_only()),
        _ => Ok(()),
    }
}

impl AtomicFile {
    /// Opens a temporary file beside `path` (or `path` itself when it is a device or pipe).
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let (destination, permissions) = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(io(std::io::Error::other("is a directory, not a file name")))
            }
            Ok(meta) if !meta.is_file() => {
                let file = File::create(path).map_err(io)?;
                return Ok(AtomicFile {
                    target: Some(Target::Direct(file)),
                    path: path.to_path_buf(),
                });
            }
            // An existing file, perhaps behind symbolic links: replace the file itself.
            Ok(meta) => {
                let destination = std::fs::canonicalize(path).map_err(io)?;
                check_replaceable(&destination, &meta).map_err(io)?;
                (destination, Some(meta.permissions()))
            }
            Err(_) => (path.to_path_buf(), None),
        };
        let dir = match destination.parent() {
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
        // Registered before it exists, so that no signal can come between its creation and
        // its registration.
        let mut list = uncommitted();
        // tempfile's message names its random file name; the user knows only `path`.
        let temp = builder.tempfile_in(dir).map_err(|e| {
            let text = e.to_string();
            let text = text
                .split(" at path ")
                .next()
                .unwrap_or_default()
                .to_string();
            io(std::io::Error::new(e.kind(), text))
        })?;
        list.push(temp.path().to_path_buf());
        drop(list);
        let file = AtomicFile {
            target: Some(Target::Temporary(temp, destination)),
            path: path.to_path_buf(),
        };
        if let (Some(permissions), Some(Target::Temporary(temp, _))) = (permissions, &file.target) {
            // The replacement keeps the mode of the file it replaces.
            temp.as_file().set_permissions(permissions).map_err(io)?;
        }
        Ok(file)
    }

    /// Writes `bytes` to `path` whole or not at all.
    pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
        let mut file = AtomicFile::create(path)?;
        std::io::Write::write_all(file.file(), bytes).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        file.commit()
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut File {
        match self.target.as_mut() {
            Some(Target::Temporary(temp, _)) => temp.as_file_mut(),
            Some(Target::Direct(file)) => file,
            // `target` is taken only by `commit`, which consumes `self`.
            None => unreachable!("an AtomicFile is used after its commit"),
        }
    }

    /// The destination path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the data to disk and renames the file into place.
    pub fn commit(mut self) -> Result<()> {
        let io = |source| Error::Io {
            path: self.path.clone(),
            source,
        };
        match self.target.take() {
            Some(Target::Temporary(temp, destination)) => {
                temp.as_file().sync_all().map_err(io)?;
                let mut list = uncommitted();
                let temp_path = temp.path().to_path_buf();
                let result = temp.persist(&destination);
                // Renamed, or removed by the failed persist's drop of the temporary file.
                forget_uncommitted(&mut list, &temp_path);
                result.map_err(|e| io(e.error))?;
            }
            Some(Target::Direct(_)) | None => {}
        }
        Ok(())
    }

    /// Removes the temporary file of every uncommitted [`AtomicFile`] of the process, then
    /// runs `then` while none can be committed (for a signal handler, which ends the
    /// process in `then`: the outputs being written are dropped, the old files stay).
    pub fn discard_uncommitted_then<T>(then: impl FnOnce() -> T) -> T {
        let mut list = uncommitted();
        for temp in list.drain(..) {
            let _ = std::fs::remove_file(temp);
        }
        let result = then();
        drop(list);
        result
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(Target::Temporary(temp, _)) = self.target.take() {
            let mut list = uncommitted();
            let temp_path = temp.path().to_path_buf();
            // NamedTempFile removes its file when dropped.
            drop(temp);
            forget_uncommitted(&mut list, &temp_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn nothing_appears_until_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let mut file = AtomicFile::create(&path).unwrap();
        file.file().write_all(b"half").unwrap();
        assert!(!path.exists());
        drop(file);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut file = AtomicFile::create(&path).unwrap();
        file.file().write_all(b"whole").unwrap();
        file.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"whole");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        let link = dir.path().join("link.txt");
        std::fs::write(&real, b"old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut file = AtomicFile::create(&link).unwrap();
        file.file().write_all(b"new").unwrap();
        file.commit().unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_directly() {
        let mut file = AtomicFile::create(Path::new("/dev/null")).unwrap();
        file.file().write_all(b"gone").unwrap();
        file.commit().unwrap();
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_read_only_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        AtomicFile::write(&path, b"new").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let err = AtomicFile::write(&path, b"newer").unwrap_err();
        assert!(err.to_string().contains("read-only"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(dir.path().read_dir().unwrap().count(), 1);
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = AtomicFile::create(dir.path()).err().unwrap();
        assert!(err.to_string().contains("directory"), "{err}");
    }
}
