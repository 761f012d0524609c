//! `fivedreg export`: the model in a format other programs run (ONNX).

use crate::failure::{display_path, Failure};
use crate::output::print;
use clap::Args;
use fivedreg::Interpolator;
use fivedreg_onnx::{OnnxError, OPSET};
use serde_json::json;
use std::path::PathBuf;

/// `export`'s options.
#[derive(Debug, Args)]
#[command(after_help = concat!(
    "Example: fivedreg export model.fdr --onnx model.onnx\n\n",
    "The ONNX graph uses the default domain's standard operators only, opset 18 (ONNX Runtime ",
    "1.14 or later). Input X: double, [N, features], the raw features in the model's column ",
    "order (`fivedreg inspect` lists them). Outputs: prediction: double, [N], in the target's ",
    "units; std: double, [N], for models that have one (ensembles, kernel, trees and --auto ",
    "models), as `predict --std`. Networks run in f32 as in fivedreg, everything else in f64. ",
    "A model the graph cannot express is refused and no file is written (docs/onnx.md)."
))]
pub struct ExportArgs {
    /// The model file.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Write the model as an ONNX file (opset 18) here.
    #[arg(long, value_name = "OUT.onnx", required = true)]
    pub onnx: PathBuf,
    /// Print one JSON object ({"onnx", "opset", "bytes", "nodes", "std", "inputs"}).
    #[arg(long)]
    pub json: bool,
}

/// `fivedreg export`.
pub fn run(args: &ExportArgs) -> Result<(), Failure> {
    let model = Interpolator::load(&args.model)?;
    let summary = fivedreg_onnx::export(&model, &args.onnx).map_err(|e| match e {
        OnnxError::Write(e) => Failure::from(e),
        unsupported @ OnnxError::Unsupported(_) => {
            Failure::other(unsupported.to_string()).about(&display_path(&args.model))
        }
    })?;
    let out = display_path(&args.onnx);
    let text = if args.json {
        let object = json!({
            "onnx": out, "opset": OPSET, "bytes": summary.bytes, "nodes": summary.nodes,
            "std": summary.has_std, "inputs": summary.feature_names,
        });
        format!("{object}\n")
    } else {
        let outputs = if summary.has_std {
            "prediction, std"
        } else {
            "prediction"
        };
        format!(
            "wrote {out}: ONNX opset {OPSET}, {} nodes, {} bytes; input X (double, N × {}: {}); \
             outputs {outputs} (double, N)\n",
            summary.nodes,
            summary.bytes,
            summary.feature_names.len(),
            summary.feature_names.join(", "),
        )
    };
    print(&text)
}
