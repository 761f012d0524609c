//! `fivedreg plot`: a slice or a 2-D map of the prediction, as SVG.

use super::{model_and_bounds, point_words};
use crate::failure::{display_path, Failure};
use crate::output::{output_name, print, write_to};
use clap::{ArgGroup, Args};
use fivedreg_surrogate::plot::{
    contour_inputs, map, map_svg, slice, slice_svg, ICE_CURVES, MAP_CELLS, SLICE_POINTS,
};
use serde_json::json;
use std::path::PathBuf;

/// ICE curves drawn by `--ice`.
/// `plot`'s options.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("kind").required(true).args(["slice", "contour"])),
    after_help = "Examples:\n  fivedreg plot model.fdr --slice x1 --at x2=0.5 --ice -o x1.svg\n  \
    fivedreg plot model.fdr --contour x1,x2 -o map.svg\n\n\
    The other inputs are held at the middle of their training range unless --at sets them. \
    The model file holds no training rows, so none are drawn. The SVG carries the plotted \
    numbers exactly in data- attributes (data-x, data-y, data-std, data-values)."
)]
pub struct PlotArgs {
    /// The model file.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Plot the prediction along this input over its range, with a ±1.96 std band if the
    /// model has a std (an ensemble or an --auto model).
    #[arg(long, value_name = "INPUT")]
    pub slice: Option<String>,
    /// Map the prediction over these two inputs (horizontal, vertical).
    #[arg(long, value_name = "X,Y", value_delimiter = ',', num_args = 1)]
    pub contour: Option<Vec<String>>,
    /// Values of the inputs held fixed: x2=0.5,x3=1 [default: the middle of each range].
    #[arg(long, value_name = "NAME=VALUE,..", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// With --slice, also draw 8 individual curves, each through a point of the box
    /// (scrambled Sobol' points: the model file holds no training rows).
    #[arg(long, requires = "slice")]
    pub ice: bool,
    /// Ranges of some inputs, replacing their training ranges: x1=LOW:HIGH,...
    #[arg(long, value_name = "NAME=LOW:HIGH,..", allow_hyphen_values = true)]
    pub ranges: Option<String>,
    /// Points along the slice (2 to 100000), or cells per side of the map (2 to 1000)
    /// [default: 101 for a slice, 60 for a map].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub points: Option<usize>,
    /// Seed of the ICE curves' points.
    #[arg(long, value_name = "S", default_value_t = fivedreg_surrogate::DEFAULT_SEED)]
    pub seed: u64,
    /// The SVG file to write (`-` is stdout).
    #[arg(short, long, value_name = "OUT.svg")]
    pub output: PathBuf,
    /// Print one JSON object (the plotted numbers) after writing the SVG.
    #[arg(long)]
    pub json: bool,
}

/// `fivedreg plot`.
pub fn run(args: &PlotArgs) -> Result<(), Failure> {
    let (model, bounds) = model_and_bounds(&args.model, args.ranges.as_deref())?;
    let at = bounds.point_at(args.at.as_deref())?;
    let target = model.target_name().to_string();
    let (svg, data, what) = if let Some(name) = &args.slice {
        let k = bounds.index_of("--slice", name)?;
        let ice = if args.ice { ICE_CURVES } else { 0 };
        let s = slice(
            &model,
            &bounds,
            k,
            &at,
            args.points.unwrap_or(SLICE_POINTS),
            ice,
            args.seed,
        )?;
        let note = if s.std.is_some() {
            "with its ±1.96 std band"
        } else {
            "without a std band (a single network has no std)"
        };
        let what = format!("{target} along {name} {note}");
        (slice_svg(&s, &target), json!(s), what)
    } else {
        let names = args.contour.as_deref().unwrap_or_default();
        let (kx, ky) = contour_inputs(&bounds, names)?;
        let m = map(
            &model,
            &bounds,
            (kx, ky),
            &at,
            args.points.unwrap_or(MAP_CELLS),
        )?;
        let what = format!("{target} over {}, {}", m.x_input, m.y_input);
        (map_svg(&m, &target), json!(m), what)
    };
    write_to(&args.output, |out| {
        out.write_all(svg.as_bytes())
            .map_err(|e| Failure::other(format!("{}: {e}", output_name(&args.output))))
    })?;
    if args.json {
        let object = json!({
            "model": display_path(&args.model),
            "output": output_name(&args.output),
            "ranges": bounds.ranges(),
            "plot": data,
        });
        return print(&format!("{object}\n"));
    }
    if args.output.as_os_str() == "-" {
        return Ok(());
    }
    print(&format!(
        "{}: {what}, other inputs at {}; no training rows drawn (the model file holds none)\n",
        output_name(&args.output),
        point_words(bounds.names(), &at)
    ))
}
