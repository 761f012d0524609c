//! The command line, as clap parses it.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use fivedreg_data::TestFunction;
use std::path::PathBuf;

/// Train small neural networks that interpolate a smooth function of a few inputs, and
/// predict it in your own units.
#[derive(Debug, Parser)]
#[command(
    name = "fivedreg",
    version,
    max_term_width = 100,
    after_help = "Limits: CSV files of at most 1024 columns and 16 MiB a line; networks of at most \
                  64 hidden layers, each at most 65536 wide, 268435456 parameters in all; at most \
                  1000000 epochs. Every limit, and why: docs/limits.md."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write samples of a synthetic test function as CSV (features x1..xD, target y).
    Generate(GenerateArgs),
    /// Train a model on a CSV file and save it.
    Train(Box<TrainArgs>),
    /// Predict with a model, for every row of a CSV file or for one point.
    Predict(PredictArgs),
    /// Measure a model on a CSV file that holds the true target.
    Evaluate(EvaluateArgs),
    /// Show what a model file holds: features, network, options, training summary.
    Inspect(InspectArgs),
    /// The whole job on the seed task, no files needed: generate, train, show the metrics,
    /// predict fresh points next to their true values.
    Demo(DemoArgs),
    /// Serve the HTTP API and the browser page: upload data sets, train with live progress,
    /// predict (docs/serve.md). Stops on Ctrl-C.
    Serve(ServeArgs),
    /// Print a shell completion script (bash, zsh or fish).
    ///
    /// bash: `fivedreg completions bash > ~/.local/share/bash-completion/completions/fivedreg`;
    /// zsh: save it as `_fivedreg` in a folder of $fpath; fish:
    /// `fivedreg completions fish > ~/.config/fish/completions/fivedreg.fish`.
    Completions(CompletionsArgs),
    /// Sobol' sensitivity indices of each input: first order and total effect, with 95%
    /// intervals (docs/surrogate.md).
    Sensitivity(crate::commands::sensitivity::SensitivityArgs),
    /// Draw the prediction along one input (--slice) or over two (--contour) as SVG.
    Plot(crate::commands::plot::PlotArgs),
    /// Write space-filling input points (Latin hypercube or scrambled Sobol') as CSV.
    Design(crate::commands::design::DesignArgs),
    /// Suggest the next runs: where the model's std is largest, spread apart.
    Suggest(crate::commands::suggest::SuggestArgs),
    /// Find the smallest or largest prediction within the box (multi-start L-BFGS-B).
    Optimize(crate::commands::optimize::OptimizeArgs),
    /// Write the model as an ONNX file (opset 18) for ONNX Runtime and other runtimes.
    Export(crate::commands::export::ExportArgs),
}

/// `completions`' options.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// Most rows `generate` and `demo` make (`demo` holds them all in memory, 48 bytes a row of
/// five inputs; `generate` streams them).
pub const MAX_SAMPLES: u64 = 100_000_000;

fn function_parser() -> impl TypedValueParser<Value = TestFunction> {
    PossibleValuesParser::new(TestFunction::ALL.map(TestFunction::name))
        .try_map(|name| name.parse::<TestFunction>())
}

/// `generate`'s options.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of rows to generate, 1 to 100000000.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=MAX_SAMPLES))]
    pub samples: u64,
    /// The test function: sum-of-squares is the seed task (y = sum of x_i^2, x ~ N(0,1)).
    #[arg(long, value_name = "NAME", default_value = "sum-of-squares", value_parser = function_parser())]
    pub function: TestFunction,
    /// Number of inputs [default: the function's own: 5; ishigami 3, borehole 8].
    /// sum-of-squares and styblinski-tang take 1 or more, rosenbrock 2 or more, friedman1
    /// 5 or more, each at most 1023 (with y, the 1024 columns a CSV file may have); ishigami
    /// and borehole only their own.
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    pub inputs: Option<usize>,
    /// Standard deviation of the Gaussian noise added to y, 0 to 1e300.
    #[arg(
        long,
        value_name = "SIGMA",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    pub noise: f64,
    /// Seed of the random samples (any integer from 0 to 2^64-1).
    #[arg(
        long,
        value_name = "S",
        default_value_t = 42,
        allow_negative_numbers = true
    )]
    pub seed: u64,
    /// Output CSV file; `-` is stdout.
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    pub output: PathBuf,
}

/// `train`'s options.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training data: CSV with a header row; the last column is the target unless --target
    /// names another, the other columns are the features. At most 1024 columns and 16 MiB a
    /// line; lines end with \n or \r\n. `-` is stdin.
    #[arg(value_name = "DATA.csv")]
    pub data: PathBuf,
    /// Where to save the model (written whole or not at all, and only once the report is
    /// out; an existing file keeps its permissions, a read-only one is not replaced).
    #[arg(short, long, value_name = "MODEL")]
    pub output: PathBuf,
    /// The training options: one flag per option of the library's `TrainSpec`.
    #[command(flatten)]
    pub spec: crate::spec_args::SpecArgs,
    /// Name of the target column [default: the last column].
    #[arg(long, value_name = "COLUMN")]
    pub target: Option<String>,
    /// The feature columns, comma-separated, in the order the model takes them [default:
    /// every column but the target, the --drop ones and an unnamed pandas index].
    #[arg(long, value_name = "A,B,..", value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Columns to leave out of the features, comma-separated (e.g. an ID column).
    #[arg(
        long,
        value_name = "A,B,..",
        value_delimiter = ',',
        conflicts_with = "features"
    )]
    pub drop: Vec<String>,
    /// The field separator: `,`, `;`, `tab` (or any one ASCII character) [default: detected
    /// from the header line: the most frequent of comma, tab and semicolon].
    #[arg(long, value_name = "SEP", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Write the training curve as CSV: member, epoch, train_loss (scikit-learn's loss —
    /// half the mean squared error plus the L2 term — in the target's units squared),
    /// validation_r2 (empty without validation rows), seconds since training began. One row
    /// per epoch of each network (member 0 to K-1 of an ensemble). Not with --auto; not `-`
    /// (stdout carries the report).
    #[arg(long, value_name = "FILE", conflicts_with = "auto")]
    pub history: Option<PathBuf>,
    /// Print one JSON object (test metrics, epochs, timing, sizes) instead of the progress
    /// bar and the table.
    #[arg(long)]
    pub json: bool,
}

/// `predict`'s options.
#[derive(Debug, Args)]
#[command(
    group = clap::ArgGroup::new("what").required(true).args(["input", "point"]),
    override_usage = "fivedreg predict <MODEL> <INPUT.csv> [-o <OUT.csv>]\n       \
                      fivedreg predict <MODEL> --point <X,X,..>"
)]
pub struct PredictArgs {
    /// A model file written by `fivedreg train`.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Rows to predict: CSV with a header that holds every feature of the model (any order,
    /// other columns are copied through); at most 1024 columns and 16 MiB a line. `-` is
    /// stdin.
    #[arg(value_name = "INPUT.csv")]
    pub input: Option<PathBuf>,
    /// Predict one point: its features, comma-separated, in the model's order (see
    /// `fivedreg inspect`); prints the prediction alone (with --std, then its std).
    #[arg(
        long,
        value_name = "X,X,..",
        value_delimiter = ',',
        allow_hyphen_values = true,
        conflicts_with_all = ["input", "output"]
    )]
    pub point: Option<Vec<f64>>,
    /// Output CSV: the input's columns plus the prediction, named after the target
    /// (e.g. y_predicted). `-` is stdout; a file is written whole or not at all.
    #[arg(short, long, value_name = "OUT.csv", default_value = "-")]
    pub output: PathBuf,
    /// The field separator: `,`, `;`, `tab` (or any one ASCII character) [default: detected
    /// from the header line: the most frequent of comma, tab and semicolon].
    #[arg(long, value_name = "SEP", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Add a `<target>_extrapolated` column: `true` where the row lies outside the training
    /// domain (outside a feature's training range, or far from every training row). The
    /// count of such rows is always reported on stderr.
    #[arg(long)]
    pub flag_domain: bool,
    /// Refuse rows (and a --point) outside the training domain instead of predicting them.
    #[arg(long)]
    pub strict_domain: bool,
    /// Add a `<target>_std` column: the ensemble's calibrated standard deviation (about 95%
    /// of unseen rows lie within ±1.96 of it); ensembles only. With --point, the std is
    /// printed after the prediction, comma-separated.
    #[arg(long)]
    pub std: bool,
}

/// `evaluate`'s options.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A model file written by `fivedreg train`.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// CSV with a header that holds every feature of the model (any order; other columns are
    /// ignored, they need not be numbers) and its target column; at most 1024 columns and
    /// 16 MiB a line. Read as a stream, in constant memory. `-` is stdin.
    #[arg(value_name = "DATA.csv")]
    pub data: PathBuf,
    /// Print one JSON object (r2, mse, rmse, mae, max_error, n) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// The field separator: `,`, `;`, `tab` (or any one ASCII character) [default: detected
    /// from the header line: the most frequent of comma, tab and semicolon].
    #[arg(long, value_name = "SEP", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
}

/// `inspect`'s options.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A model file written by `fivedreg train`.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Print one JSON object instead of the text.
    #[arg(long)]
    pub json: bool,
}

/// `demo`'s options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Rows of the seed task to generate, 10 to 100000000.
    #[arg(long, value_name = "N", default_value_t = 10_000, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(10..=MAX_SAMPLES))]
    pub samples: u64,
    /// Seed of the data, the split and the training (0 to 2^64-1).
    #[arg(
        long,
        value_name = "S",
        default_value_t = 42,
        allow_negative_numbers = true
    )]
    pub seed: u64,
}

/// `serve`'s options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on; port 0 picks a free one. Only a loopback address
    /// (127.0.0.1, [::1]) is accepted without --token.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8000")]
    pub listen: std::net::SocketAddr,
    /// Where data sets, models and jobs are stored (created if missing); what is there is
    /// served again after a restart.
    #[arg(long, value_name = "DIR", default_value = "fivedreg-data")]
    pub data_dir: PathBuf,
    /// Largest upload, in MiB: a data set, a model file, or a CSV to predict (1 to 1048576).
    #[arg(long, value_name = "N", default_value_t = 1024, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    pub max_upload_mb: u64,
    /// Training jobs run at once (1 to 64); the others wait in a queue.
    #[arg(long, value_name = "N", default_value_t = 1, allow_negative_numbers = true,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub jobs: usize,
    /// Require the header `Authorization: Bearer T` on every API request (401 otherwise).
    /// Needed to listen on an address other than loopback.
    #[arg(long, value_name = "T")]
    pub token: Option<String>,
    /// Most memory a training job may be estimated to need (weights × optimiser copies ×
    /// members at once, a batch's activations, the data); a job over it is refused. Bytes,
    /// or a size such as 8GiB or 512MB. Default: half of the machine's memory.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<u64>,
    /// Another host name the server may be reached by (e.g. a proxy's), besides its listen
    /// address and localhost; repeatable. Requests for other names are refused (DNS
    /// rebinding).
    #[arg(long = "allowed-host", value_name = "NAME")]
    pub allowed_hosts: Vec<String>,
    /// Most connections open at once; at the cap the oldest idle one is closed.
    #[arg(long, value_name = "N", default_value_t = 512,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_connections: usize,
    /// Most uploads (data sets, models, CSV predictions, JSON bodies over 1 MiB) read at
    /// once; more get 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=4096))]
    pub max_uploads: usize,
    /// Most jobs waiting for a training slot; more get 429 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub max_queue: usize,
    /// Seconds a client has to send a request's head, and that a keep-alive connection
    /// may stay idle.
    #[arg(long, value_name = "S", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Seconds a JSON body has to arrive whole (408 after); below --request-timeout.
    #[arg(long, value_name = "S", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout: u64,
    /// Seconds a request that is not a streamed upload has to be answered (503 after).
    #[arg(long, value_name = "S", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(2..=3600))]
    pub request_timeout: u64,
    /// Longest pause, in seconds, between two pieces of a streamed body (408 after).
    #[arg(long, value_name = "S", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout: u64,
    /// Slowest average rate, bytes per second, of a streamed body after its first 10 s
    /// (408 below it); 0 turns the check off.
    #[arg(long, value_name = "BYTES", default_value_t = 1024)]
    pub min_body_rate: u64,
}

/// A size in bytes: a number, optionally followed by a unit (`B`, `K`/`KB`/`KiB`, `M`…,
/// `G`…, `T`…; all binary, 1K = 1024 bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size: give bytes or e.g. 8GiB, 512MB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => {
            return Err(format!(
                "unknown size unit {other:?}: use B, KiB, MiB, GiB or TiB"
            ))
        }
    };
    let bytes = value * (1u64 << shift) as f64;
    if !(1.0..1.8e19).contains(&bytes) {
        return Err(format!("{text:?}: the size must be at least 1 byte"));
    }
    Ok(bytes as u64)
}

/// `--delimiter`'s value: a word (`comma`, `semicolon`, `tab`), `\t`, or one ASCII
/// character other than a quote or a line end.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "comma" => Ok(b','),
        "semicolon" => Ok(b';'),
        "tab" | "\\t" => Ok(b'\t'),
        _ => match text.as_bytes() {
            [b] if b.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r') => Ok(*b),
            _ => Err(format!(
                "{text:?} is not a separator: give one ASCII character (e.g. ';'), `tab`, \
                 `comma` or `semicolon`"
            )),
        },
    }
}
