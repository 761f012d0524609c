//! SVG plots (plotters): R² and fit time against n on log axes, and the per-epoch training
//! loss and validation R² of every size.

use crate::model::BenchReport;
use plotters::prelude::*;
use std::path::Path;

const SIZE: (u32, u32) = (800, 520);

fn palette(i: usize) -> RGBColor {
    const COLORS: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    COLORS[i % COLORS.len()]
}

fn err(e: impl std::fmt::Display) -> String {
    format!("plot: {e}")
}

fn padded_range(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if log {
        // Whole decades, so a log axis always has labelled ticks.
        let lo = 10f64.powf((lo.log10() + 1e-9).floor());
        let hi = 10f64.powf((hi.log10() - 1e-9).ceil());
        let hi = if hi > lo { hi } else { lo * 10.0 };
        // A hair beyond the decades: plotters rounds the first tick up from the range's
        // start, and a start that computes as a hair above 10^k would lose the 10^k tick.
        (lo * (1.0 - 1e-6), hi * (1.0 + 1e-6))
    } else {
        let pad = ((hi - lo) * 0.08).max(1e-3);
        (lo - pad, hi + pad)
    }
}

/// A tick label: three significant digits without trailing zeros.
fn label(v: f64) -> String {
    let text = crate::markdown::sig(v);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// An empty temporary file beside `path`, for a plot to be drawn into and then renamed
/// over `path` by [`persist`]: an interrupted run leaves the old plot or the new one, never
/// half of one. Removed if dropped.
fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, String> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".fivedreg-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| format!("creating a temporary file in {}: {e}", dir.display()))
}

/// Renames the finished temporary file over `path`.
fn persist(temp: tempfile::NamedTempFile, path: &Path) -> Result<(), String> {
    temp.persist(path)
        .map(drop)
        .map_err(|e| format!("writing {}: {}", path.display(), e.error))?;
    // Temporary files are created private (0600); a report is for everyone to read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| format!("making {} readable: {e}", path.display()))?;
    }
    Ok(())
}

/// One named series of `(n, value)` points.
type Series = (String, Vec<(f64, f64)>);

fn against_n(
    path: &Path,
    title: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<(), String> {
    let temp = temp_beside(path)?;
    let root = SVGBackend::new(temp.path(), SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let all = || series.iter().flat_map(|(_, pts)| pts.iter());
    let (x0, x1) = padded_range(all().map(|p| p.0), true);
    let (y0, y1) = padded_range(all().map(|p| p.1), log_y);
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(45)
        .y_label_area_size(70);
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_labels(12)
                .y_labels(12)
                .x_desc("dataset size n (log scale)")
                .y_desc(y_label)
                .x_label_formatter(&|x| label(*x))
                .y_label_formatter(&|y| label(*y))
                .draw()
                .map_err(err)?;
            for (i, (name, points)) in series.iter().enumerate() {
                let color = palette(i);
                chart
                    .draw_series(LineSeries::new(
                        points.iter().copied(),
                        color.stroke_width(2),
                    ))
                    .map_err(err)?
                    .label(name.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                    });
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                    .map_err(err)?;
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerRight)
                .draw()
                .map_err(err)?;
        }};
    }
    if log_y {
        draw!(builder
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
            .map_err(err)?);
    } else {
        draw!(builder
            .build_cartesian_2d((x0..x1).log_scale(), y0..y1)
            .map_err(err)?);
    }
    root.present().map_err(err)?;
    drop(root);
    persist(temp, path)
}

fn per_epoch(
    path: &Path,
    title: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<(), String> {
    let temp = temp_beside(path)?;
    let root = SVGBackend::new(temp.path(), SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let all = || series.iter().flat_map(|(_, pts)| pts.iter());
    let x1 = all().map(|p| p.0).fold(1.0, f64::max);
    let (y0, y1) = padded_range(all().map(|p| p.1), log_y);
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(45)
        .y_label_area_size(70);
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc("epoch")
                .y_desc(y_label)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| label(*y))
                .draw()
                .map_err(err)?;
            for (i, (name, points)) in series.iter().enumerate() {
                let color = palette(i);
                chart
                    .draw_series(LineSeries::new(
                        points.iter().copied(),
                        color.stroke_width(2),
                    ))
                    .map_err(err)?
                    .label(name.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                    });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(err)?;
        }};
    }
    if log_y {
        draw!(builder
            .build_cartesian_2d(1.0..x1, (y0..y1).log_scale())
            .map_err(err)?);
    } else {
        draw!(builder.build_cartesian_2d(1.0..x1, y0..y1).map_err(err)?);
    }
    root.present().map_err(err)?;
    drop(root);
    persist(temp, path)
}

/// Writes `r2_vs_n.svg`, `time_vs_n.svg`, `training_loss.svg` and `validation_r2.svg`.
pub fn write_all(report: &BenchReport, dir: &Path) -> Result<(), String> {
    let ours = |f: &dyn Fn(&crate::model::SizeRuns) -> f64| -> Vec<(f64, f64)> {
        report
            .sizes
            .iter()
            .map(|s| (s.n_samples as f64, f(s)))
            .collect()
    };
    let mut r2_series: Vec<Series> = vec![("fivedreg".into(), ours(&|s| s.fit.test.r2))];
    let mut time_series: Vec<Series> = vec![("fivedreg".into(), ours(&|s| s.fit.fit_seconds))];
    if !report.sklearn.runs.is_empty() {
        let sk = |f: &dyn Fn(&crate::model::SklearnRun) -> f64| -> Vec<(f64, f64)> {
            report
                .sklearn
                .runs
                .iter()
                .map(|r| (r.n_samples as f64, f(r)))
                .collect()
        };
        r2_series.push(("scikit-learn MLPRegressor".into(), sk(&|r| r.test.r2)));
        time_series.push(("scikit-learn MLPRegressor".into(), sk(&|r| r.fit_seconds)));
    }
    against_n(
        &dir.join("r2_vs_n.svg"),
        "Test R² against dataset size",
        "test R²",
        &r2_series,
        false,
    )?;
    against_n(
        &dir.join("time_vs_n.svg"),
        "Fit time against dataset size",
        "fit time, s (log scale)",
        &time_series,
        true,
    )?;
    let loss: Vec<Series> = report
        .sizes
        .iter()
        .map(|s| {
            (
                format!("n = {}", crate::markdown::int(s.n_samples)),
                s.fit
                    .train_loss
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| **v > 0.0 && v.is_finite())
                    .map(|(i, &v)| ((i + 1) as f64, v))
                    .collect(),
            )
        })
        .collect();
    per_epoch(
        &dir.join("training_loss.svg"),
        "Training loss per epoch (standardized units)",
        "training loss (log scale)",
        &loss,
        true,
    )?;
    let val: Vec<Series> = report
        .sizes
        .iter()
        .map(|s| {
            (
                format!("n = {}", crate::markdown::int(s.n_samples)),
                s.fit
                    .validation_r2
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| ((i + 1) as f64, v))
                    .collect(),
            )
        })
        .collect();
    per_epoch(
        &dir.join("validation_r2.svg"),
        "Validation R² per epoch",
        "validation R²",
        &val,
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn labels_drop_trailing_zeros() {
        assert_eq!(label(0.01), "0.01");
        assert_eq!(label(0.1), "0.1");
        assert_eq!(label(1.0), "1");
        assert_eq!(label(0.985), "0.985");
        assert_eq!(label(100_000.0), "100,000");
    }
}
