//! Where results go, and how numbers and tables look.

use crate::failure::{display_path, Failure};
use fivedreg::AtomicFile;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Runs `write` on stdout when `path` is `-`, otherwise on a temporary file beside `path`
/// that is renamed into place only when `write` succeeds, so no partial file is ever left.
pub fn write_to(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), Failure>,
) -> Result<(), Failure> {
    if path.as_os_str() == "-" {
        check_stdout_open()?;
        let mut out = PipeWatch {
            inner: BufWriter::new(std::io::stdout().lock()),
            closed: false,
        };
        let result = write(&mut out).and_then(|()| {
            out.flush()
                .map_err(|e| Failure::io(Path::new("<stdout>"), e))
        });
        // The reader went away (`| head`): it has what it wanted; nothing to report.
        return if out.closed { Ok(()) } else { result };
    }
    let mut file = AtomicFile::create(path)?;
    // A second handle for flushing to disk early, for a regular file only (a device such
    // as /dev/null refuses a sync).
    let early = file
        .file()
        .metadata()
        .is_ok_and(|m| m.is_file())
        .then(|| file.file().try_clone().ok())
        .flatten();
    let synced = std::thread::scope(|scope| -> Result<(), Failure> {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let flusher = early.map(|handle| {
            scope.spawn(move || -> std::io::Result<()> {
                while rx.recv().is_ok() {
                    while rx.try_recv().is_ok() {}
                    handle.sync_data()?;
                }
                Ok(())
            })
        });
        let mut out = BufWriter::new(EarlySync {
            inner: file.file(),
            written: 0,
            ask: flusher.is_some().then_some(tx),
        });
        let result = write(&mut out).and_then(|()| out.flush().map_err(|e| Failure::io(path, e)));
        drop(out);
        // A failure of an early flush is the file's failure (the final sync might not see it
        // again).
        let flushed = match flusher.map(|f| f.join()) {
            Some(Ok(Err(e))) => Err(Failure::io(path, e)),
            _ => Ok(()),
        };
        result.and(flushed)
    });
    synced?;
    file.commit()?;
    Ok(())
}

/// Bytes written between two early flushes to disk.
const EARLY_SYNC_BYTES: u64 = 16 << 20;

/// Writes through to a file and, every [`EARLY_SYNC_BYTES`], asks a background thread to
/// flush what has been written so far to disk. The file is synced before it is renamed into
/// place; without this, a large output (predictions for a million rows) was all flushed in
/// that final sync, after the work, instead of while it was being done.
struct EarlySync<W: Write> {
    inner: W,
    written: u64,
    /// Where to ask for a flush (`None`: never).
    ask: Option<std::sync::mpsc::Sender<()>>,
}

impl<W: Write> Write for EarlySync<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        let before = self.written / EARLY_SYNC_BYTES;
        self.written += n as u64;
        if self.written / EARLY_SYNC_BYTES != before {
            if let Some(ask) = &self.ask {
                // The flusher is gone only after its own error, which the caller reports.
                let _ = ask.send(());
            }
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A writer that remembers whether its reader closed the pipe.
struct PipeWatch<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> PipeWatch<W> {
    fn watch<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result {
            self.closed |= e.kind() == std::io::ErrorKind::BrokenPipe;
        }
        result
    }
}

impl<W: Write> Write for PipeWatch<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.watch(result)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.watch(result)
    }
}

/// Names the output in messages.
pub fn output_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdout>".into()
    } else {
        display_path(path)
    }
}

/// A number with about six significant digits, in plain or scientific notation as suits
/// its magnitude.
pub fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor();
    if !(-4.0..9.0).contains(&magnitude) {
        return format!("{v:.5e}");
    }
    let decimals = (5.0 - magnitude).max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// An R² in [`num`]'s form, or the words for an undefined one (a constant target) and for
/// one below what `f64` holds (the metrics crate gives [`f64::MIN`] for it).
pub fn r2(v: f64) -> String {
    if v.is_nan() {
        "undefined (the target is constant)".into()
    } else if v == f64::MIN {
        format!(
            "below {} (the errors dwarf the target's spread)",
            num(f64::MIN)
        )
    } else {
        num(v)
    }
}

/// A column name as text shows it (the data crate's rule, which its notes use too).
pub use fivedreg_data::column_name;

/// Column names as text shows them, comma-separated.
pub fn column_names(names: &[String]) -> String {
    names
        .iter()
        .map(|n| column_name(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Bytes in human units (`13.2 KB`).
pub fn bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

/// Writes `rows` as two aligned columns, each line indented by two spaces.
pub fn table(out: &mut String, rows: &[(&str, String)]) {
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (key, value) in rows {
        let pad = width - key.chars().count();
        out.push_str(&format!("  {key}{}  {value}\n", " ".repeat(pad)));
    }
}

/// Refuses a standard output that was closed when the command started (`>&-`): whatever
/// it would print would be lost without a word.
pub fn check_stdout_open() -> Result<(), Failure> {
    if crate::stdio::stdout_closed() {
        return Err(Failure::other(
            "<stdout>: standard output is closed, so the output cannot be written",
        ));
    }
    Ok(())
}

/// Prints `text` on stdout; a closed pipe is not an error worth a message (its reader
/// has what it wanted), but every other failure, the final flush included, is.
pub fn print(text: &str) -> Result<(), Failure> {
    check_stdout_open()?;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::io(Path::new("<stdout>"), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_six_significant_digits() {
        assert_eq!(num(0.994312345), "0.994312");
        assert_eq!(num(1234.56789), "1234.57");
        assert_eq!(num(0.00123456789), "0.00123457");
        assert_eq!(num(1.5e-7), "1.50000e-7");
        assert_eq!(num(2.5e12), "2.50000e12");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(-3.25), "-3.25000");
    }

    #[test]
    fn names_are_quoted_and_escaped_when_not_plain() {
        assert_eq!(column_name("x1"), "x1");
        assert_eq!(column_name("flow rate (m³/s)"), "flow rate (m³/s)");
        assert_eq!(column_name("a,b"), "\"a,b\"");
        assert_eq!(column_name("bell\u{7}\x1b[2J"), "\"bell\\u{7}\\u{1b}[2J\"");
        assert_eq!(column_name("line\nbreak"), "\"line\\nbreak\"");
        assert_eq!(column_name(" padded"), "\" padded\"");
        assert_eq!(column_names(&["a".into(), "b,c".into()]), "a, \"b,c\"");
        assert_eq!(r2(f64::NAN), "undefined (the target is constant)");
        assert_eq!(
            r2(f64::MIN),
            "below -1.79769e308 (the errors dwarf the target's spread)"
        );
        assert_eq!(r2(0.5), "0.500000");
    }

    #[test]
    fn byte_counts_in_human_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(13_517), "13.2 KB");
        assert_eq!(bytes(3 << 20), "3.0 MB");
    }

    #[test]
    fn tables_align_their_values() {
        let mut out = String::new();
        table(&mut out, &[("R²", "1".into()), ("max error", "2".into())]);
        assert_eq!(out, "  R²         1\n  max error  2\n");
    }
}
