//! SVG plots (plotters): R² and fit time against n on log axes, and the per-epoch training
//! loss and validation R² of every size.

use crate::model::{BenchReport, SizeRuns};
use anyhow::{anyhow, Result};
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
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

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("plot: {e}")
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
    let text = crate::table::sig(v);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// One named series of `(x, y)` points.
type Series = (String, Vec<(f64, f64)>);

/// What a line chart shows and how.
struct Chart<'a> {
    title: &'a str,
    x_desc: &'a str,
    y_desc: &'a str,
    /// Against dataset size (log x axis, points marked); else against the epoch (linear x
    /// axis from 1).
    against_n: bool,
    log_y: bool,
}

/// Draws `series` on axes `x` and `y` (linear or logarithmic).
fn draw<X, Y>(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    chart: &Chart,
    series: &[Series],
    x: X,
    y: Y,
) -> Result<()>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut context = ChartBuilder::on(root)
        .caption(chart.title, ("sans-serif", 22))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    context
        .configure_mesh()
        .x_labels(12)
        .y_labels(12)
        .x_desc(chart.x_desc)
        .y_desc(chart.y_desc)
        .x_label_formatter(&|x| label(*x))
        .y_label_formatter(&|y| label(*y))
        .draw()
        .map_err(err)?;
    for (i, (name, points)) in series.iter().enumerate() {
        let color = palette(i);
        context
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        if chart.against_n {
            context
                .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(err)?;
        }
    }
    context
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(if chart.against_n {
            SeriesLabelPosition::LowerRight
        } else {
            SeriesLabelPosition::UpperRight
        })
        .draw()
        .map_err(err)?;
    Ok(())
}

/// Draws the chart and writes it to `path` whole or not at all ([`fivedreg::AtomicFile`]).
fn write_chart(path: &Path, chart: &Chart, series: &[Series]) -> Result<()> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let all = || series.iter().flat_map(|(_, pts)| pts.iter());
        let (x0, x1) = if chart.against_n {
            padded_range(all().map(|p| p.0), true)
        } else {
            (1.0, all().map(|p| p.0).fold(1.0, f64::max))
        };
        let (y0, y1) = padded_range(all().map(|p| p.1), chart.log_y);
        match (chart.against_n, chart.log_y) {
            (true, true) => draw(
                &root,
                chart,
                series,
                (x0..x1).log_scale(),
                (y0..y1).log_scale(),
            ),
            (true, false) => draw(&root, chart, series, (x0..x1).log_scale(), y0..y1),
            (false, true) => draw(&root, chart, series, x0..x1, (y0..y1).log_scale()),
            (false, false) => draw(&root, chart, series, x0..x1, y0..y1),
        }?;
        root.present().map_err(err)?;
    }
    fivedreg::AtomicFile::write(path, svg.as_bytes())?;
    Ok(())
}

/// One point per size.
fn per_size(report: &BenchReport, f: impl Fn(&SizeRuns) -> f64) -> Vec<(f64, f64)> {
    report
        .sizes
        .iter()
        .map(|s| (s.n_samples as f64, f(s)))
        .collect()
}

/// One point per epoch of each size's first default run.
fn per_epoch(report: &BenchReport, curve: impl Fn(&SizeRuns) -> &[f64]) -> Vec<Series> {
    report
        .sizes
        .iter()
        .map(|s| {
            (
                format!("n = {}", crate::table::int(s.n_samples)),
                curve(s)
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(i, &v)| ((i + 1) as f64, v))
                    .collect(),
            )
        })
        .collect()
}

/// Writes `r2_vs_n.svg`, `time_vs_n.svg`, `training_loss.svg` and `validation_r2.svg`.
pub fn write_all(report: &BenchReport, dir: &Path) -> Result<()> {
    let mut r2 = vec![(
        "fivedreg".to_string(),
        per_size(report, |s| s.pairs.seeds.fivedreg_r2().mean),
    )];
    let mut time = vec![(
        "fivedreg".to_string(),
        per_size(report, |s| s.fit().fit_seconds().median),
    )];
    let compared: Vec<&SizeRuns> = report.sklearn_sizes().collect();
    if !compared.is_empty() {
        let sk = |f: &dyn Fn(&SizeRuns) -> Option<f64>| -> Series {
            (
                "scikit-learn MLPRegressor".to_string(),
                compared
                    .iter()
                    .filter_map(|s| Some((s.n_samples as f64, f(s)?)))
                    .collect(),
            )
        };
        r2.push(sk(&|s| s.pairs.seeds.sklearn_r2().map(|m| m.mean)));
        time.push(sk(&|s| Some(s.pairs.sklearn_fit_seconds().median)));
    }
    write_chart(
        &dir.join("r2_vs_n.svg"),
        &Chart {
            title: "Test R² (mean over seeds) against dataset size",
            x_desc: "dataset size n (log scale)",
            y_desc: "test R²",
            against_n: true,
            log_y: false,
        },
        &r2,
    )?;
    write_chart(
        &dir.join("time_vs_n.svg"),
        &Chart {
            title: "Median fit time against dataset size",
            x_desc: "dataset size n (log scale)",
            y_desc: "fit time, s (log scale)",
            against_n: true,
            log_y: true,
        },
        &time,
    )?;
    let mut loss = per_epoch(report, |s| &s.fit().first().train_loss);
    // A log axis has no room for a zero loss.
    for (_, points) in &mut loss {
        points.retain(|p| p.1 > 0.0);
    }
    write_chart(
        &dir.join("training_loss.svg"),
        &Chart {
            title: "Training loss per epoch (standardized units)",
            x_desc: "epoch",
            y_desc: "training loss (log scale)",
            against_n: false,
            log_y: true,
        },
        &loss,
    )?;
    write_chart(
        &dir.join("validation_r2.svg"),
        &Chart {
            title: "Validation R² per epoch",
            x_desc: "epoch",
            y_desc: "validation R²",
            against_n: false,
            log_y: false,
        },
        &per_epoch(report, |s| &s.fit().first().validation_r2),
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
