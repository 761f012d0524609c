//! `fivedreg evaluate`: a model's metrics on a CSV file that holds the true target
//! (streamed).

use super::io::{chunk_failure, note_unnamed_first, stdin};
use super::report::{metrics_json, metrics_rows};
use crate::args::EvaluateArgs;
use crate::failure::{display_path, Failure};
use crate::output::{column_name, print, table};
use fivedreg::Interpolator;
use fivedreg_data::{CsvOptions, FeatureRows, RowChunk};
use fivedreg_metrics::{Report, ReportBuilder};
use serde_json::json;

/// Rows `evaluate` predicts at a time: enough for prediction to use two threads (it keeps
/// only numbers, 4 MB a chunk of five features, so memory stays bounded).
const EVALUATE_CHUNK_ROWS: usize = 1 << 16;

/// The metrics of `model` on the rows of `reader`, streamed: a chunk of rows in memory at a
/// time, whatever the file's size. Only the model's features and target are read. For an
/// ensemble, also the share of rows whose truth lies within ±1.96 of its standard deviation.
fn evaluate_stream<R: std::io::Read>(
    model: &Interpolator,
    reader: R,
    source: &str,
    delimiter: Option<u8>,
) -> Result<(Report, Option<f64>), Failure> {
    // Only the model's own columns are read: others (a pandas index, text) may hold anything.
    let options = CsvOptions {
        delimiter,
        ..Default::default()
    };
    let mut rows = FeatureRows::with_target(
        reader,
        source,
        model.feature_names(),
        model.target_name(),
        &options,
    )?;
    note_unnamed_first(source, rows.header(), "not used");
    let mut chunk = RowChunk::new(false);
    let mut report = ReportBuilder::new();
    let mut covered = 0usize;
    let mut done = false;
    while !done {
        chunk.clear();
        while chunk.len() < EVALUATE_CHUNK_ROWS {
            if !rows.read_chunk(&mut chunk)? {
                done = true;
                break;
            }
        }
        if chunk.is_empty() {
            break;
        }
        let (features, targets, lines) = (&chunk.features, &chunk.targets, &chunk.lines);
        let predicted = if model.is_ensemble() {
            let with_std = model
                .predict_with_std(features)
                .map_err(|e| chunk_failure(model, source, lines, e))?;
            covered += targets
                .iter()
                .zip(&with_std.mean)
                .zip(&with_std.std)
                .filter(|((y, m), s)| (*y - *m).abs() <= fivedreg::Z95 * **s)
                .count();
            with_std.mean
        } else {
            model
                .predict(features)
                .map_err(|e| chunk_failure(model, source, lines, e))?
        };
        report.extend(targets, &predicted).map_err(|e| {
            Failure::other(format!(
                "{source}: lines {}-{}: {e}",
                lines.first().copied().unwrap_or(0),
                lines.last().copied().unwrap_or(0)
            ))
        })?;
    }
    if report.is_empty() {
        return Err(fivedreg_data::DataError::HeaderOnly {
            file: source.to_string(),
        }
        .into());
    }
    let coverage = model
        .is_ensemble()
        .then(|| covered as f64 / report.len() as f64);
    let report = report
        .finish()
        .map_err(|e| Failure::other(format!("{source}: {e}")))?;
    Ok((report, coverage))
}

/// `fivedreg evaluate`.
pub fn run(args: &EvaluateArgs) -> Result<(), Failure> {
    let model = Interpolator::load(&args.model)?;
    let (report, coverage) = if args.data.as_os_str() == "-" {
        evaluate_stream(&model, stdin()?, "<stdin>", args.delimiter)?
    } else {
        let file = fivedreg_data::open(&args.data)?;
        evaluate_stream(&model, file, &display_path(&args.data), args.delimiter)?
    };
    if args.json {
        let mut object = metrics_json(Some(&report));
        if let Some(map) = object.as_object_mut() {
            map.insert("n".into(), json!(report.n));
            map.insert("coverage_95".into(), json!(coverage));
        }
        return print(&format!("{object}\n"));
    }
    let mut text = format!(
        "{} on {} ({} rows, in the units of {}):\n",
        display_path(&args.model),
        display_path(&args.data),
        report.n,
        column_name(model.target_name())
    );
    let mut rows = metrics_rows(&report);
    if let Some(c) = coverage {
        rows.push(("±1.96 std", format!("covers {:.1}% of rows", 100.0 * c)));
    }
    table(&mut text, &rows);
    print(&text)
}
