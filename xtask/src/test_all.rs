//! `cargo xtask test`: every test of the repository, the Python package's included.
//!
//! 1. a virtual environment in `<target>/py-venv` (made once, then reused) with the pinned
//!    build and test requirements of `crates/python/requirements-test.txt`, from PyPI;
//! 2. `cargo test --workspace` (the Rust tests), with `FIVEDREG_PYTHON` set to that
//!    environment so that xtask's scikit-learn tests run rather than skip (no other Rust
//!    test needs Python);
//! 3. `cargo fmt --check` and `cargo clippy -D warnings` on `crates/python` (it is outside
//!    the workspace, so that the workspace's build and clippy never need Python);
//! 4. `pip install ./crates/python` into the environment (maturin, with `CARGO_TARGET_DIR`
//!    the workspace's target folder); the round-trip tests run the `fivedreg` command that
//!    step 2 built;
//! 5. `pytest crates/python/tests`.

use anyhow::{Context, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `cargo xtask test`'s options.
#[derive(clap::Args)]
pub struct TestOptions {
    /// Interpreter that makes the venv (default: $FIVEDREG_PYTHON, else python3).
    #[arg(long)]
    pub python: Option<String>,
    /// Extra arguments for pytest, after `--` (e.g. `-- -k pickle`).
    #[arg(last = true)]
    pub pytest_args: Vec<String>,
}

fn progress(message: &str) {
    eprintln!("[test] {message}");
}

/// Runs `command`, inheriting stdout and stderr; an error names the step when it fails.
fn run(step: &str, command: &mut Command) -> Result<()> {
    progress(step);
    crate::child::run_visible(command, "").with_context(|| step.to_string())
}

/// `python -m pip install`, quietly.
fn pip_install(python: &Path) -> Command {
    let mut command = Command::new(python);
    command.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]);
    command
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The target folder xtask runs from (`<target>/release/xtask`), so that everything this
/// command builds lands beside what is already built.
fn target_dir(repo: &Path) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| repo.join("target"))
}

/// The executables folder of a virtual environment.
fn venv_bin(venv: &Path) -> PathBuf {
    venv.join(if cfg!(windows) { "Scripts" } else { "bin" })
}

fn venv_python(venv: &Path) -> PathBuf {
    venv_bin(venv).join(if cfg!(windows) {
        "python.exe"
    } else {
        "python"
    })
}

/// `PATH` with the environment's executables first (maturin's build backend runs the
/// `maturin` command it finds there).
fn path_with(bin: &Path) -> Result<OsString> {
    let mut paths = vec![bin.to_path_buf()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).context("building PATH")
}

/// Runs every test; see the module documentation for the steps.
pub fn test_all(options: &TestOptions, repo: &Path) -> Result<()> {
    let target = target_dir(repo);
    let venv = target.join("py-venv");
    let python = venv_python(&venv);
    if !python.exists() {
        let base = options
            .python
            .clone()
            .unwrap_or_else(crate::sklearn::interpreter);
        run(
            &format!("{base} -m venv {}", venv.display()),
            Command::new(&base).arg("-m").arg("venv").arg(&venv),
        )
        .context(
            "a Python 3.9 or later with venv and pip is needed (Debian: apt-get install \
             python3-venv)",
        )?;
    }
    let package = repo.join("crates/python");
    run(
        "pip install -r crates/python/requirements-test.txt",
        pip_install(&python)
            .arg("-r")
            .arg(package.join("requirements-test.txt")),
    )?;
    // The environment has scikit-learn: xtask's tests of the benchmarks' scikit-learn side
    // run with it, and must not skip.
    run(
        "cargo test --workspace",
        cargo()
            .args(["test", "--workspace"])
            .env("CARGO_TARGET_DIR", &target)
            .env("FIVEDREG_PYTHON", &python)
            .env("FIVEDREG_REQUIRE_SKLEARN", "1")
            .current_dir(repo),
    )?;

    let manifest = package.join("Cargo.toml");
    run(
        "cargo fmt --check (crates/python)",
        cargo()
            .arg("fmt")
            .arg("--manifest-path")
            .arg(&manifest)
            .args(["--", "--check"]),
    )?;
    run(
        "cargo clippy (crates/python)",
        cargo()
            .arg("clippy")
            .arg("--manifest-path")
            .arg(&manifest)
            .args(["--release", "--all-targets", "--", "-D", "warnings"])
            .env("CARGO_TARGET_DIR", &target)
            .env("PYO3_PYTHON", &python),
    )?;
    run(
        "pip install ./crates/python (maturin)",
        pip_install(&python)
            .args(["--no-build-isolation", "--no-deps", "--force-reinstall"])
            .arg(&package)
            .env("PATH", path_with(&venv_bin(&venv))?)
            .env("CARGO_TARGET_DIR", &target),
    )?;
    // The `fivedreg` command `cargo test` built for the command line's integration tests
    // (test profile): the round-trip tests need its behaviour, not a second, release build.
    let binary = target
        .join("debug")
        .join(format!("fivedreg{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        anyhow::bail!(
            "cargo test did not leave the fivedreg command at {}",
            binary.display()
        );
    }
    run(
        "pytest crates/python/tests",
        Command::new(&python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(package.join("tests"))
            .args(&options.pytest_args)
            .env("FIVEDREG_BIN", &binary)
            .env("SCIPY_ARRAY_API", "1")
            .current_dir(repo),
    )
}
