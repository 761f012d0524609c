//! Helpers shared by the end-to-end tests of the binary.
// Each test binary uses some of them.
#![allow(dead_code)]

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// The binary under test: the one cargo built for this test run, or the one named by
/// `FIVEDREG_TEST_BINARY` (to check that a test fails on an older build).
pub fn binary() -> PathBuf {
    std::env::var_os("FIVEDREG_TEST_BINARY").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_fivedreg")),
        PathBuf::from,
    )
}

/// The binary, with a backtrace requested so that a panic could not go unnoticed.
pub fn fivedreg(dir: &Path) -> Command {
    let mut command = Command::new(binary());
    command
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1")
        .timeout(Duration::from_secs(60));
    command
}

/// Runs the binary in `dir` and returns its stdout; panics with its stderr when it fails.
pub fn run_ok(dir: &Path, args: &[&str]) -> Vec<u8> {
    let output = fivedreg(dir).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "fivedreg {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Good inputs shared by the cases: a small data set and a model trained on it.
/// (Kept in memory: a static is never dropped, so a folder kept here would outlive the
/// test run.)
pub struct Fixtures {
    /// `x1,x2,y`, 200 rows.
    pub csv: Vec<u8>,
    /// A model of `csv` (features x1, x2; target y).
    pub model: Vec<u8>,
}

/// The shared good inputs, made once per test binary.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path();
        run_ok(
            path,
            &[
                "generate",
                "--samples",
                "200",
                "--inputs",
                "2",
                "--noise",
                "0.01",
                "-o",
                "good.csv",
            ],
        );
        run_ok(
            path,
            &[
                "train",
                "good.csv",
                "-o",
                "good.fdr",
                "--hidden",
                "8,4",
                "--max-epochs",
                "5",
                "--json",
            ],
        );
        Fixtures {
            csv: std::fs::read(path.join("good.csv")).unwrap(),
            model: std::fs::read(path.join("good.fdr")).unwrap(),
        }
    })
}

/// CRC-32 (IEEE), bit by bit: the model file's checksum, kept independent of the crate.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Every file of `dir` (recursively): its bytes, or the target of a link.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
            let content = if kind.is_symlink() {
                std::fs::read_link(&path)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes()
            } else if kind.is_dir() {
                stack.push(path.clone());
                b"<dir>".to_vec()
            } else {
                std::fs::read(&path).unwrap()
            };
            files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), content);
        }
    }
    files
}

/// The temporary files `fivedreg` writes beside its outputs.
pub fn temp_files(dir: &Path) -> Vec<(PathBuf, u64)> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            (name.starts_with(".fivedreg-") && name.ends_with(".tmp"))
                .then(|| (e.path(), e.metadata().map_or(0, |m| m.len())))
        })
        .collect()
}
