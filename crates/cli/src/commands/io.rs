//! Files and streams shared by the commands: whether an output is an input under another
//! name, stdin, the prediction column, notes on a file's columns.

use crate::failure::Failure;
use fivedreg::Interpolator;
use std::path::Path;

/// The metadata of the file `path` names; `-` names stdin, whatever it was redirected
/// from (so that `-o /proc/self/fd/0` or `--history /dev/stdin` is seen to be the input
/// read from `-`).
pub(super) fn metadata_of(path: &Path) -> std::io::Result<std::fs::Metadata> {
    #[cfg(unix)]
    if path.as_os_str() == "-" {
        use std::os::fd::AsFd;
        let stdin = std::io::stdin();
        let fd = stdin.as_fd().try_clone_to_owned()?;
        return std::fs::File::from(fd).metadata();
    }
    std::fs::metadata(path)
}

/// Whether the output `a` and the input `b` name the same existing regular file, through
/// symbolic or hard links; an input `-` is stdin, an output `-` (stdout) is never the
/// same. (Devices are left out: `/dev/stdin` and `/dev/stdout` may be one terminal.)
pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    if a.as_os_str() == "-" {
        return false;
    }
    let (Ok(meta_a), Ok(meta_b)) = (std::fs::metadata(a), metadata_of(b)) else {
        return false;
    };
    if !(meta_a.is_file() && meta_b.is_file()) {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta_a.dev() == meta_b.dev() && meta_a.ino() == meta_b.ino()
    }
    #[cfg(not(unix))]
    {
        matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
    }
}

/// The column `predict` adds to its output, named after the model's target.
pub(super) fn prediction_column(target: &str) -> String {
    format!("{target}_predicted")
}

/// Says on stderr that the unnamed first column of a file to predict or evaluate (pandas'
/// index, as `df.to_csv(path)` writes it) is not a feature, and what becomes of it.
pub(super) fn note_unnamed_first(source: &str, header: &[String], fate: &str) {
    if header.len() > 1 && header.first().is_some_and(|name| name.is_empty()) {
        eprintln!(
            "note: {source}: the unnamed first column (a pandas index?) is not a feature of \
             the model: {fate}"
        );
    }
}

/// Standard input, refused when it was closed at start-up.
pub(super) fn stdin() -> Result<std::io::StdinLock<'static>, Failure> {
    if crate::stdio::stdin_closed() {
        return Err(Failure::other(
            "<stdin>: standard input is closed, so there is nothing to read",
        ));
    }
    Ok(std::io::stdin().lock())
}

/// A failed prediction of a chunk of streamed rows (`lines`: each row's line), named by
/// its line.
pub(super) fn chunk_failure(
    model: &Interpolator,
    source: &str,
    lines: &[u64],
    e: fivedreg::Error,
) -> Failure {
    match e {
        fivedreg::Error::NonFiniteFeature { row, column, value } => Failure::other(format!(
            "{source}:{}: feature {} is not a finite number ({value})",
            lines.get(row.saturating_sub(1)).copied().unwrap_or(0),
            model
                .feature_names()
                .get(column.saturating_sub(1))
                .map_or("?", String::as_str)
        )),
        other => Failure::other(format!(
            "{source}: lines {}-{}: {other}",
            lines.first().copied().unwrap_or(0),
            lines.last().copied().unwrap_or(0)
        )),
    }
}
