//! The one way xtask runs another program: the bench workers, scikit-learn's runner, the
//! `fivedreg` binary, cargo and the accuracy script all go through here, so a failing child
//! is reported the same way everywhere (its command line and the end of its stderr).

use anyhow::{bail, Context, Result};
use serde::de::DeserializeOwned;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// What a finished child printed, and how long it ran.
pub struct Finished {
    /// Its standard output.
    pub stdout: String,
    /// Wall-clock seconds from spawn to exit.
    pub seconds: f64,
}

/// The command line of `command`, for messages.
fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last few non-empty lines of a child's stderr: where a traceback or an `error:` line is.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

/// Runs `command` to its end with `input` on its stdin, capturing stdout and stderr; fails
/// unless it exits with success.
pub fn run(command: &mut Command, input: Option<&[u8]>) -> Result<Finished> {
    let what = describe(command);
    let start = Instant::now();
    let mut child = command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting `{what}`"))?;
    if let Some(bytes) = input {
        child
            .stdin
            .take()
            .context("the child has no stdin")?
            .write_all(bytes)
            .with_context(|| format!("writing to the stdin of `{what}`"))?;
    }
    let output = child
        .wait_with_output()
        .with_context(|| format!("waiting for `{what}`"))?;
    let seconds = start.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!(
            "`{what}` failed ({}): {}",
            output.status,
            tail(&output.stderr)
        );
    }
    Ok(Finished {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        seconds,
    })
}

/// Runs `command` like [`run`] and reads the last line of its stdout as JSON.
pub fn run_json<T: DeserializeOwned>(command: &mut Command, input: Option<&[u8]>) -> Result<T> {
    let what = describe(command);
    let finished = run(command, input)?;
    let line = finished.stdout.lines().last().unwrap_or("");
    serde_json::from_str(line).with_context(|| format!("reading the JSON `{what}` printed: {line}"))
}

/// Runs `command` with the terminal as its stdout and stderr (its progress stays visible);
/// fails unless it exits with success. `hint` is added to the failure.
pub fn run_visible(command: &mut Command, hint: &str) -> Result<()> {
    let what = describe(command);
    let status = command
        .status()
        .with_context(|| format!("starting `{what}`"))?;
    if !status.success() {
        bail!("`{what}` failed ({status}){hint}");
    }
    Ok(())
}

/// GNU time, which reads a finished child's peak RSS from the kernel (`%M`).
pub const GNU_TIME: &str = "/usr/bin/time";

/// A finished child's wall time and peak resident set size.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Measured {
    /// Wall-clock seconds from spawn to exit.
    pub seconds: f64,
    /// Peak resident set size, KiB.
    pub peak_rss_kib: u64,
}

/// How [`run_measured`] reads the peak RSS on this machine.
pub fn peak_rss_method() -> &'static str {
    if Path::new(GNU_TIME).exists() {
        "GNU time %M (rusage maxrss)"
    } else {
        "VmHWM polled every 5 ms"
    }
}

/// Runs `program args` to its end, timing it; the peak RSS comes from GNU time's `%M` (the
/// kernel's rusage of the child) when /usr/bin/time exists, else from polling
/// `/proc/<pid>/status` VmHWM every 5 ms (which may miss a final spike).
pub fn run_measured(program: &Path, args: &[String], workdir: &Path) -> Result<Measured> {
    if Path::new(GNU_TIME).exists() {
        let report = workdir.join("time.txt");
        let finished = run(
            Command::new(GNU_TIME)
                .arg("-f")
                .arg("%M")
                .arg("-o")
                .arg(&report)
                .arg(program)
                .args(args),
            None,
        )?;
        let text = std::fs::read_to_string(&report)
            .with_context(|| format!("reading {}", report.display()))?;
        let peak_rss_kib = text
            .lines()
            .rev()
            .find_map(|l| l.trim().parse::<u64>().ok())
            .with_context(|| format!("no peak RSS in {}: {text}", report.display()))?;
        return Ok(Measured {
            seconds: finished.seconds,
            peak_rss_kib,
        });
    }
    let mut command = Command::new(program);
    command.args(args);
    let what = describe(&command);
    let start = Instant::now();
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting `{what}`"))?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            let hwm = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok());
            peak = peak.max(hwm.unwrap_or(0));
        }
        match child
            .try_wait()
            .with_context(|| format!("waiting for `{what}`"))?
        {
            Some(status) => break status,
            None => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    if !status.success() {
        bail!("`{what}` failed ({status})");
    }
    Ok(Measured {
        seconds,
        peak_rss_kib: peak,
    })
}

/// The `fivedreg` binary: the one given, else the one beside this executable, else built
/// with cargo into this executable's target folder (release when xtask is a release build).
pub fn fivedreg_binary(given: Option<&Path>, repo: &Path) -> Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path.to_path_buf());
    }
    let exe = std::env::current_exe().context("finding xtask's executable")?;
    let dir = exe.parent().context("xtask's executable has no folder")?;
    let binary = dir.join("fivedreg");
    if binary.exists() {
        return Ok(binary);
    }
    let target = dir.parent().context("xtask's folder has no parent")?;
    let release = env!("XTASK_BUILD_PROFILE") == "release";
    eprintln!(
        "[xtask] building fivedreg-cli ({}) into {}",
        if release { "release" } else { "dev" },
        target.display()
    );
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .args(["build", "-p", "fivedreg-cli"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(repo);
    if release {
        cargo.arg("--release");
    }
    run_visible(&mut cargo, "")?;
    if !binary.exists() {
        bail!(
            "cargo build -p fivedreg-cli did not produce {}",
            binary.display()
        );
    }
    Ok(binary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_child_is_named_with_its_stderr() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo first >&2; echo last words >&2; exit 3"]);
        let message = format!("{:#}", run(&mut command, None).err().unwrap());
        assert!(message.contains("`sh -c"), "{message}");
        assert!(message.contains("last words"), "{message}");
    }

    #[test]
    fn the_last_line_of_stdout_is_read_as_json() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo progress; cat"]);
        let value: serde_json::Value = run_json(&mut command, Some(b"{\"a\": 2}")).unwrap();
        assert_eq!(value["a"], 2);
    }
}
