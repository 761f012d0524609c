//! [`AtomicFile::discard_uncommitted_then`] removes every uncommitted temporary file of the
//! process. Alone in its test binary: it would remove other tests' files too.

use fivedreg::AtomicFile;
use std::io::Write;

#[test]
fn uncommitted_files_are_discarded_and_committed_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let temp_files = || {
        dir.path()
            .read_dir()
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
            .count()
    };
    let mut kept = AtomicFile::create(&dir.path().join("kept.txt")).unwrap();
    kept.file().write_all(b"kept").unwrap();
    kept.commit().unwrap();
    drop(AtomicFile::create(&dir.path().join("dropped.txt")).unwrap());
    let mut first = AtomicFile::create(&dir.path().join("first.txt")).unwrap();
    first.file().write_all(b"half").unwrap();
    let second = AtomicFile::create(&dir.path().join("second.txt")).unwrap();
    assert_eq!(temp_files(), 2);
    let ran = AtomicFile::discard_uncommitted_then(temp_files);
    assert_eq!(ran, 0, "removed before `then` runs");
    // Dropping or committing a discarded file is harmless: the commit reports the loss.
    drop(second);
    assert!(first.commit().is_err());
    let names: Vec<_> = dir
        .path()
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["kept.txt"]);
    assert_eq!(std::fs::read(dir.path().join("kept.txt")).unwrap(), b"kept");
}
