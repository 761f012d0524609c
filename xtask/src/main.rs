//! `cargo xtask bench`: measures fivedreg against the seed system's performance page, the
//! alternative regressors and scikit-learn, and writes the report folder.
//!
//! Each measurement runs in a fresh child process (`xtask bench-worker`, hidden), so its peak
//! RSS is its own; the counting global allocator below gives heap peaks per phase. Timed
//! figures are medians of repeated runs, fivedreg and scikit-learn alternating (see
//! `pairs.rs` and `stats.rs`).

mod accuracy;
mod alloc_counter;
mod baselines;
mod child;
mod machine;
mod markdown;
mod measure;
mod model;
mod onnx_proto;
mod output;
mod pairs;
mod plots;
mod results_json;
mod run;
mod sklearn;
mod speed;
mod stats;
mod table;
mod task;
mod test_all;
mod worker;

#[cfg(test)]
mod formula_tests;

use clap::{Parser, Subcommand};
use run::{BenchOptions, SklearnChoice};
use std::path::{Path, PathBuf};

#[global_allocator]
static ALLOCATOR: alloc_counter::CountingAllocator = alloc_counter::CountingAllocator;

#[derive(Parser)]
#[command(name = "xtask", about = "fivedreg project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Benchmark fivedreg and write REPORT.md, benchmark_results.json and SVG plots.
    Bench(BenchArgs),
    /// One measurement in a fresh process (used by `bench`; reads a job as JSON on stdin).
    #[command(hide = true)]
    BenchWorker,
    /// The speed figures (throughput, prediction, CLI, kernel ceiling) next to
    /// scikit-learn's, as a table and `<out>/SPEED.md`.
    Speed(SpeedArgs),
    /// Test R² of fivedreg's options against the usual regressors, as `<out>/ACCURACY.md`.
    Accuracy(AccuracyArgs),
    /// Every test: `cargo test --workspace`, then the Python package's tests in a venv.
    Test(test_all::TestOptions),
    /// Regenerates crates/onnx/src/proto/onnx.rs from the vendored onnx.proto (needs the
    /// `onnx-proto` feature: `cargo run -p xtask --release --features onnx-proto -- onnx-proto`).
    OnnxProto,
}

#[derive(clap::Args)]
struct AccuracyArgs {
    /// Output folder.
    #[arg(long, default_value = "target/accuracy")]
    out: PathBuf,
    /// Two small sets only.
    #[arg(long)]
    quick: bool,
    /// The `fivedreg` binary (default: beside xtask, built if missing).
    #[arg(long)]
    fivedreg: Option<PathBuf>,
}

#[derive(clap::Args)]
struct SpeedArgs {
    /// Output folder.
    #[arg(long, default_value = "target/bench-report")]
    out: PathBuf,
    /// Small sizes (a few seconds).
    #[arg(long)]
    quick: bool,
    /// Do not run scikit-learn.
    #[arg(long)]
    no_sklearn: bool,
    /// The `fivedreg` binary (default: beside xtask, built if missing).
    #[arg(long)]
    fivedreg: Option<PathBuf>,
    /// Seed of the data, the split and the network.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Output folder.
    #[arg(long, default_value = "target/bench-report")]
    out: PathBuf,
    /// Dataset sizes, comma-separated (default 1000,5000,10000).
    #[arg(long, value_delimiter = ',', value_parser = parse_size)]
    sizes: Option<Vec<usize>>,
    /// Also measure 50,000, 100,000 and 1,000,000 rows (and run everything at every size).
    #[arg(long, conflicts_with = "quick")]
    full: bool,
    /// Small sizes and few epochs, about a minute; scikit-learn still runs when importable.
    #[arg(long)]
    quick: bool,
    /// Run scikit-learn (the default already, whenever it can be imported; it is found via
    /// $FIVEDREG_PYTHON, else python3).
    #[arg(long, conflicts_with = "no_sklearn")]
    sklearn: bool,
    /// Do not run scikit-learn.
    #[arg(long)]
    no_sklearn: bool,
    /// Seed of the data, the split and the network.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Epoch limit of the default runs (default 500; 100 with `--quick`).
    #[arg(long)]
    max_epochs: Option<usize>,
    /// Largest size also run with early stopping off (default 100000; every size with `--full`).
    #[arg(long)]
    no_early_stopping_max: Option<usize>,
    /// Largest size run with scikit-learn (default 100000; every size with `--full`).
    #[arg(long)]
    sklearn_max: Option<usize>,
}

fn parse_size(text: &str) -> Result<usize, String> {
    let digits: String = text.chars().filter(|c| *c != '_').collect();
    digits
        .trim()
        .parse::<usize>()
        .map_err(|_| format!("`{text}` is not a row count"))
}

impl BenchArgs {
    fn options(&self) -> BenchOptions {
        let mut options = BenchOptions::defaults(self.quick);
        let mut command = vec!["cargo xtask bench".to_string()];
        if self.quick {
            command.push("--quick".into());
        }
        if self.full {
            options.sizes = vec![1_000, 5_000, 10_000, 50_000, 100_000, 1_000_000];
            // The full run measures everything at every size.
            options.no_early_stopping_max_n = usize::MAX;
            options.sklearn_max_n = usize::MAX;
            command.push("--full".into());
        }
        if let Some(sizes) = &self.sizes {
            options.sizes = sizes.clone();
            let list: Vec<String> = sizes.iter().map(usize::to_string).collect();
            command.push(format!("--sizes {}", list.join(",")));
        }
        if self.sklearn {
            options.sklearn = SklearnChoice::On;
            command.push("--sklearn".into());
        }
        if self.no_sklearn {
            options.sklearn = SklearnChoice::Off;
            command.push("--no-sklearn".into());
        }
        if self.seed != 42 {
            options.seed = self.seed;
            command.push(format!("--seed {}", self.seed));
        }
        if let Some(epochs) = self.max_epochs {
            options.max_epochs = epochs;
            command.push(format!("--max-epochs {epochs}"));
        }
        if let Some(n) = self.no_early_stopping_max {
            options.no_early_stopping_max_n = n;
            command.push(format!("--no-early-stopping-max {n}"));
        }
        if let Some(n) = self.sklearn_max {
            options.sklearn_max_n = n;
            command.push(format!("--sklearn-max {n}"));
        }
        options.out = self.out.clone();
        options.command = command.join(" ");
        options
    }
}

/// The workspace root (xtask's parent folder).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {
        Command::BenchWorker => worker::worker_main(),
        Command::Accuracy(args) => accuracy::accuracy(
            &args.out,
            args.quick,
            args.fivedreg.as_deref(),
            &repo_root(),
        ),
        Command::Test(options) => test_all::test_all(&options, &repo_root()),
        Command::OnnxProto => onnx_proto::onnx_proto(&repo_root()),
        Command::Speed(args) => {
            let mut options = speed::SpeedOptions::defaults(args.quick);
            let mut command = vec!["cargo xtask speed".to_string()];
            if args.quick {
                command.push("--quick".into());
            }
            if args.no_sklearn {
                options.sklearn = false;
                command.push("--no-sklearn".into());
            }
            if args.seed != 42 {
                command.push(format!("--seed {}", args.seed));
            }
            options.seed = args.seed;
            options.out = args.out;
            options.fivedreg = args.fivedreg;
            options.command = command.join(" ");
            speed::speed(&options, &repo_root()).map(drop)
        }
        Command::Bench(args) => {
            let options = args.options();
            run::bench(&options, &repo_root()).map(|_| {
                eprintln!(
                    "[bench] report written to {}",
                    options.out.join("REPORT.md").display()
                );
            })
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // The whole chain of context, on one line.
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
