//! `fivedreg design`: space-filling input points for the first runs.

use crate::failure::Failure;
use crate::output::{column_name, output_name, print, write_to};
use clap::{ArgGroup, Args};
use fivedreg_surrogate::design::{design, DesignKind};
use fivedreg_surrogate::{Bounds, RangeSpec};
use serde_json::json;
use std::path::PathBuf;

/// `design`'s options.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("kind").required(true).args(["lhs", "sobol"])),
    after_help = "Example: fivedreg design --lhs 50 --ranges x1=0:1,x2=-5:5 --seed 7 -o runs.csv\n\n\
    A CSV with a header of the inputs' names, one point a row. --lhs: each of the N equal \
    intervals of each input holds exactly one point, and column swaps push the closest \
    points apart (maximin, φ15). --sobol: scrambled Sobol' points (Joe-Kuo direction \
    numbers, linear matrix scrambling and a digital shift), balanced when N is a power of 2."
)]
pub struct DesignArgs {
    /// A Latin hypercube of N points (1 to 1000000), optimised for spread.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub lhs: Option<usize>,
    /// N scrambled Sobol' points (1 to 1000000; 1 to 64 inputs).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub sobol: Option<usize>,
    /// The inputs and their ranges, in column order: x1=LOW:HIGH,x2=LOW:HIGH,...
    #[arg(long, value_name = "NAME=LOW:HIGH,..", allow_hyphen_values = true)]
    pub ranges: String,
    /// Seed of the design.
    #[arg(long, value_name = "S", default_value_t = fivedreg_surrogate::DEFAULT_SEED)]
    pub seed: u64,
    /// Output CSV file; `-` is stdout.
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    pub output: PathBuf,
    /// Write one JSON object ({"inputs", "points", ...}) instead of CSV.
    #[arg(long)]
    pub json: bool,
}

/// `fivedreg design`.
pub fn run(args: &DesignArgs) -> Result<(), Failure> {
    let bounds = Bounds::from_specs(&RangeSpec::parse_list(&args.ranges)?)?;
    let (kind, n) = DesignKind::choose(args.lhs, args.sobol)?;
    let points = design(kind, n, &bounds, args.seed)?;
    let d = bounds.dim();
    let text = if args.json {
        let rows: Vec<&[f64]> = points.chunks_exact(d).collect();
        let object = json!({
            "design": kind.name(), "n": n, "seed": args.seed,
            "inputs": bounds.names(), "ranges": bounds.ranges(), "points": rows,
        });
        format!("{object}\n")
    } else {
        let header: Vec<String> = bounds
            .names()
            .iter()
            .map(|n| column_name(n).into_owned())
            .collect();
        let mut text = header.join(",") + "\n";
        for row in points.chunks_exact(d) {
            let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        text
    };
    if args.output.as_os_str() == "-" {
        return print(&text);
    }
    write_to(&args.output, |out| {
        out.write_all(text.as_bytes())
            .map_err(|e| Failure::other(format!("{}: {e}", output_name(&args.output))))
    })
}
