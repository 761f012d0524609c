//! Robustness III (issue case 6): with the input read from `-`, an output that is stdin's
//! file under another name (`/proc/self/fd/0`, `/dev/stdin`) is refused, as an output that
//! is the input's path already was; the input is left as it was.
#![cfg(target_os = "linux")]

mod common;

use common::{binary, fixtures};
use std::process::{Command, Stdio};

/// Runs `args` in `dir` with stdin read from `dir/victim.csv`; (success, stderr).
fn run_with_stdin_from_victim(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let victim = std::fs::File::open(dir.join("victim.csv")).unwrap();
    let output = Command::new(binary())
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::from(victim))
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn case_6_outputs_that_are_stdin_under_another_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = &fixtures().csv;
    std::fs::write(dir.path().join("m.fdr"), &fixtures().model).unwrap();
    for args in [
        &["train", "-", "-o", "/proc/self/fd/0", "--max-epochs", "2"][..],
        &[
            "train",
            "-",
            "-o",
            "m2.fdr",
            "--history",
            "/dev/stdin",
            "--max-epochs",
            "2",
        ],
        &["predict", "m.fdr", "-", "-o", "/proc/self/fd/0"],
        &["predict", "m.fdr", "-", "-o", "/dev/stdin"],
    ] {
        std::fs::write(dir.path().join("victim.csv"), csv).unwrap();
        let (ok, stderr) = run_with_stdin_from_victim(dir.path(), args);
        assert!(!ok, "{args:?} succeeded");
        assert!(stderr.contains("would replace it"), "{args:?}: {stderr}");
        assert_eq!(
            &std::fs::read(dir.path().join("victim.csv")).unwrap(),
            csv,
            "{args:?} changed the input"
        );
    }
    // Reading from stdin and writing elsewhere still works.
    std::fs::write(dir.path().join("victim.csv"), csv).unwrap();
    let (ok, stderr) =
        run_with_stdin_from_victim(dir.path(), &["predict", "m.fdr", "-", "-o", "out.csv"]);
    assert!(ok, "{stderr}");
    assert!(dir.path().join("out.csv").exists());
}
