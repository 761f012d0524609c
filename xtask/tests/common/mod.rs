//! Helpers the end-to-end tests of xtask share.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `xtask ARGS --out OUT` (with `FIVEDREG_PYTHON` set to `python`, or removed) and
/// checks that it succeeded.
pub fn xtask(args: &[&str], out: &Path, python: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(args).arg("--out").arg(out);
    match python {
        Some(python) => command.env("FIVEDREG_PYTHON", python),
        None => command.env_remove("FIVEDREG_PYTHON"),
    };
    let output = command.output().expect("running xtask");
    assert!(
        output.status.success(),
        "xtask {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The rows (without header and separator) of the first table after `heading`.
pub fn table_after<'a>(markdown: &'a str, heading: &str) -> Vec<&'a str> {
    let start = markdown
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading}"));
    markdown[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .collect()
}

/// The cells of a table row.
pub fn cells(row: &str) -> Vec<&str> {
    row.trim()
        .trim_matches('|')
        .split(" | ")
        .map(str::trim)
        .collect()
}
