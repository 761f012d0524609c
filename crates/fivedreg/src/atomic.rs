//! Files that appear complete or not at all.

use crate::error::{Error, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// A file written under a temporary name in its destination's folder and renamed into place
/// by [`commit`](Self::commit). Dropped uncommitted, it leaves nothing behind, so a failed
/// run never leaves a partial output file.
///
/// A destination that is a symbolic link is followed (the link stays a link); one that is
/// not a regular file (a device such as `/dev/stdout`, a named pipe) is written directly,
/// since it cannot be replaced.
pub struct AtomicFile {
    target: Target,
    path: PathBuf,
}

enum Target {
    Temporary(tempfile::NamedTempFile, PathBuf),
    Direct(File),
}

impl AtomicFile {
    /// Opens a temporary file beside `path` (or `path` itself when it is a device or pipe).
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let destination = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(io(std::io::Error::other("is a directory, not a file name")))
            }
            Ok(meta) if !meta.is_file() => {
                let file = File::create(path).map_err(io)?;
                return Ok(AtomicFile {
                    target: Target::Direct(file),
                    path: path.to_path_buf(),
                });
            }
            // An existing file, perhaps behind symbolic links: replace the file itself.
            Ok(_) => std::fs::canonicalize(path).map_err(io)?,
            Err(_) => path.to_path_buf(),
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
        Ok(AtomicFile {
            target: Target::Temporary(temp, destination),
            path: path.to_path_buf(),
        })
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
        match &mut self.target {
            Target::Temporary(temp, _) => temp.as_file_mut(),
            Target::Direct(file) => file,
        }
    }

    /// The destination path, as given.
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
        match self.target {
            Target::Temporary(temp, destination) => {
                temp.as_file().sync_all().map_err(io)?;
                temp.persist(&destination).map_err(|e| io(e.error))?;
            }
            Target::Direct(_) => {}
        }
        Ok(())
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

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = AtomicFile::create(dir.path()).err().unwrap();
        assert!(err.to_string().contains("directory"), "{err}");
    }
}
