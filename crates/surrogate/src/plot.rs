//! What the response looks like: a slice along one input (with the ±1.96 std band where
//! the model has one, and individual conditional expectation curves), or a 2-D map over two
//! inputs, computed from the model and drawn as SVG by hand.
//!
//! The other inputs are held at `at`: by default the middle of each range (the median of a
//! uniform distribution over the training domain). Each SVG carries its numbers exactly, in
//! `data-` attributes (values in Rust's shortest round-trip form), beside the drawn paths.
//!
//! | parameter | default | meaning | valid |
//! |---|---|---|---|
//! | `points` (slice) | 101 | points along the input | 2 to 100000 |
//! | `ice` (slice) | 0 | individual curves, through scrambled Sobol' points of the box | 0 to 100 |
//! | `grid` (map) | 60 | cells per side | 2 to 1000 |
//! | `seed` | 42 | seed of the ICE curves' points | any `u64` |

use crate::error::check;
use crate::sobol::SobolSequence;
use crate::surrogate::finite;
use crate::{Bounds, Result, Surrogate};
use serde::Serialize;
use std::fmt::Write;

/// Points along a slice when none are asked for.
pub const SLICE_POINTS: usize = 101;
/// Cells per side of a map when none are asked for.
pub const MAP_CELLS: usize = 60;
/// ICE curves drawn when they are asked for (`--ice`).
pub const ICE_CURVES: usize = 8;

/// The indices in `bounds` of the two inputs of a map (`--contour X,Y`): exactly two
/// inputs of the box.
pub fn contour_inputs(bounds: &Bounds, names: &[String]) -> Result<(usize, usize)> {
    let [x, y] = names else {
        return Err(crate::SurrogateError::InvalidParam {
            name: "--contour",
            value: names.join(","),
            valid: "two inputs, X,Y",
        });
    };
    // `map` refuses the same input twice.
    Ok((
        bounds.index_of("--contour", x)?,
        bounds.index_of("--contour", y)?,
    ))
}

/// One individual conditional expectation curve: the prediction along the slice's input
/// with the other inputs at `through`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IceCurve {
    /// The point the curve passes through (its value of the slice's input is ignored).
    pub through: Vec<f64>,
    /// Predictions at the slice's `x`.
    pub y: Vec<f64>,
}

/// A slice along one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slice {
    /// The inputs' names.
    pub inputs: Vec<String>,
    /// The input varied.
    pub input: String,
    /// Where the other inputs are held.
    pub at: Vec<f64>,
    /// The input's values.
    pub x: Vec<f64>,
    /// The predictions there.
    pub mean: Vec<f64>,
    /// Their std, if the model has one.
    pub std: Option<Vec<f64>>,
    /// ICE curves.
    pub ice: Vec<IceCurve>,
}

/// A 2-D map over two inputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Map {
    /// The inputs' names.
    pub inputs: Vec<String>,
    /// The horizontal input.
    pub x_input: String,
    /// The vertical input.
    pub y_input: String,
    /// Where the other inputs are held.
    pub at: Vec<f64>,
    /// Horizontal grid values.
    pub x: Vec<f64>,
    /// Vertical grid values.
    pub y: Vec<f64>,
    /// Predictions, row-major by `y` then `x`: `values[j·nx + i]` is at `(x[i], y[j])`.
    pub values: Vec<f64>,
}

fn grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            if i + 1 == n {
                hi
            } else {
                lo + (hi - lo) * i as f64 / (n - 1) as f64
            }
        })
        .collect()
}

/// The rows of `point` with input `k` set to each of `xs`.
fn along(point: &[f64], k: usize, xs: &[f64]) -> Vec<f64> {
    let mut rows = Vec::with_capacity(xs.len() * point.len());
    for &x in xs {
        rows.extend_from_slice(point);
        let last = rows.len() - point.len() + k;
        rows[last] = x;
    }
    rows
}

/// The slice of `model` along input `k` of `bounds`, the others at `at`.
pub fn slice(
    model: &dyn Surrogate,
    bounds: &Bounds,
    k: usize,
    at: &[f64],
    points: usize,
    ice: usize,
    seed: u64,
) -> Result<Slice> {
    check(
        "points",
        points,
        (2..=100_000).contains(&points),
        "2 to 100000",
    )?;
    check("ICE curves", ice, ice <= 100, "0 to 100")?;
    let d = bounds.dim();
    let x = grid(bounds.low()[k], bounds.high()[k], points);
    let rows = along(at, k, &x);
    let (mean, std) = if model.has_std() {
        let (m, s) = model.predict_with_std(&rows)?;
        crate::surrogate::finite_or_err(d, &rows, &m)?;
        (m, Some(s))
    } else {
        (finite(model, &rows)?, None)
    };
    let mut curves = Vec::with_capacity(ice);
    if ice > 0 {
        let mut through = SobolSequence::scrambled(d, seed)?.points(ice)?;
        bounds.scale(&mut through);
        for p in through.chunks_exact(d) {
            let y = finite(model, &along(p, k, &x))?;
            curves.push(IceCurve {
                through: p.to_vec(),
                y,
            });
        }
    }
    Ok(Slice {
        inputs: bounds.names().to_vec(),
        input: bounds.names()[k].clone(),
        at: at.to_vec(),
        x,
        mean,
        std,
        ice: curves,
    })
}

/// The map of `model` over inputs `kx` and `ky` of `bounds`, the others at `at`.
pub fn map(
    model: &dyn Surrogate,
    bounds: &Bounds,
    (kx, ky): (usize, usize),
    at: &[f64],
    cells: usize,
) -> Result<Map> {
    check("grid", cells, (2..=1000).contains(&cells), "2 to 1000")?;
    check(
        "--contour",
        "the same input twice",
        kx != ky,
        "two different inputs",
    )?;
    let x = grid(bounds.low()[kx], bounds.high()[kx], cells);
    let y = grid(bounds.low()[ky], bounds.high()[ky], cells);
    let mut rows = Vec::with_capacity(cells * cells * at.len());
    for &yv in &y {
        for &xv in &x {
            rows.extend_from_slice(at);
            let base = rows.len() - at.len();
            rows[base + kx] = xv;
            rows[base + ky] = yv;
        }
    }
    let values = finite(model, &rows)?;
    Ok(Map {
        inputs: bounds.names().to_vec(),
        x_input: bounds.names()[kx].clone(),
        y_input: bounds.names()[ky].clone(),
        at: at.to_vec(),
        x,
        y,
        values,
    })
}

/// XML text escaping.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Values as a `data-` attribute: space-separated, shortest round-trip form.
fn data(values: &[f64]) -> String {
    let parts: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    parts.join(" ")
}

/// A tick label: four significant digits.
fn label(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

const W: f64 = 640.0;
const H: f64 = 420.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 50.0;

/// Maps data ranges onto the plot area.
struct Frame {
    x: (f64, f64),
    y: (f64, f64),
    right: f64,
}

impl Frame {
    fn px(&self, v: f64) -> f64 {
        let span = self.x.1 - self.x.0;
        let t = if span > 0.0 {
            (v - self.x.0) / span
        } else {
            0.5
        };
        LEFT + t * (self.right - LEFT)
    }
    fn py(&self, v: f64) -> f64 {
        let span = self.y.1 - self.y.0;
        let t = if span > 0.0 {
            (v - self.y.0) / span
        } else {
            0.5
        };
        H - BOTTOM - t * (H - BOTTOM - TOP)
    }
    fn axes(&self, svg: &mut String, x_name: &str, y_name: &str) {
        let (l, r, t, b) = (LEFT, self.right, TOP, H - BOTTOM);
        let _ = writeln!(
            svg,
            r##"<rect x="{l}" y="{t}" width="{}" height="{}" fill="none" stroke="#444"/>"##,
            r - l,
            b - t
        );
        for i in 0..=4 {
            let f = i as f64 / 4.0;
            let xv = self.x.0 + f * (self.x.1 - self.x.0);
            let yv = self.y.0 + f * (self.y.1 - self.y.0);
            let (px, py) = (self.px(xv), self.py(yv));
            let _ = writeln!(
                svg,
                r##"<line x1="{px:.2}" y1="{b}" x2="{px:.2}" y2="{}" stroke="#444"/><text x="{px:.2}" y="{}" text-anchor="middle">{}</text>"##,
                b + 5.0,
                b + 18.0,
                label(xv)
            );
            let _ = writeln!(
                svg,
                r##"<line x1="{}" y1="{py:.2}" x2="{l}" y2="{py:.2}" stroke="#444"/><text x="{}" y="{:.2}" text-anchor="end">{}</text>"##,
                l - 5.0,
                l - 8.0,
                py + 4.0,
                label(yv)
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            (l + r) / 2.0,
            H - 10.0,
            escape(x_name)
        );
        let _ = writeln!(
            svg,
            r#"<text x="15" y="{:.1}" text-anchor="middle" transform="rotate(-90 15 {:.1})">{}</text>"#,
            (t + b) / 2.0,
            (t + b) / 2.0,
            escape(y_name)
        );
    }
}

fn header(title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{LEFT}\" y=\"20\" font-size=\"14\">{}</text>\n",
        escape(title)
    )
}

fn polyline(frame: &Frame, x: &[f64], y: &[f64]) -> String {
    let mut d = String::new();
    for (i, (a, b)) in x.iter().zip(y).enumerate() {
        let _ = write!(
            d,
            "{}{:.2},{:.2}",
            if i == 0 { "M" } else { " L" },
            frame.px(*a),
            frame.py(*b)
        );
    }
    d
}

/// Where the held inputs are, for a title.
fn held(inputs: &[String], at: &[f64], skip: &[&str]) -> String {
    let parts: Vec<String> = inputs
        .iter()
        .zip(at)
        .filter(|(n, _)| !skip.contains(&n.as_str()))
        .map(|(n, v)| format!("{n}={}", label(*v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" at {}", parts.join(", "))
    }
}

/// The slice as an SVG: the band (if any), the ICE curves in grey, the prediction in blue;
/// the mean curve's path carries `data-x` and `data-y`, the band `data-std`.
pub fn slice_svg(s: &Slice, target: &str) -> String {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    let mut see = |v: f64| {
        lo = lo.min(v);
        hi = hi.max(v);
    };
    for (i, m) in s.mean.iter().enumerate() {
        see(*m);
        if let Some(std) = &s.std {
            see(m - fivedreg::Z95 * std[i]);
            see(m + fivedreg::Z95 * std[i]);
        }
    }
    s.ice.iter().flat_map(|c| c.y.iter()).for_each(|v| see(*v));
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
    let frame = Frame {
        x: (s.x[0], s.x[s.x.len() - 1]),
        y: (lo - pad, hi + pad),
        right: W - RIGHT,
    };
    let mut svg = header(&format!(
        "{target} along {}{}",
        s.input,
        held(&s.inputs, &s.at, &[&s.input])
    ));
    if let Some(std) = &s.std {
        let upper: Vec<f64> = s
            .mean
            .iter()
            .zip(std)
            .map(|(m, d)| m + fivedreg::Z95 * d)
            .collect();
        let lower: Vec<f64> = s
            .mean
            .iter()
            .zip(std)
            .map(|(m, d)| m - fivedreg::Z95 * d)
            .collect();
        let mut d = polyline(&frame, &s.x, &upper);
        for (a, b) in s.x.iter().zip(&lower).rev() {
            let _ = write!(d, " L{:.2},{:.2}", frame.px(*a), frame.py(*b));
        }
        let _ = writeln!(
            svg,
            r##"<path class="band" d="{d} Z" fill="#1f77b4" fill-opacity="0.2" stroke="none" data-std="{}"><title>±1.96 std</title></path>"##,
            data(std)
        );
    }
    for c in &s.ice {
        let _ = writeln!(
            svg,
            r##"<path class="ice" d="{}" fill="none" stroke="#999" stroke-width="1" data-through="{}" data-y="{}"/>"##,
            polyline(&frame, &s.x, &c.y),
            data(&c.through),
            data(&c.y)
        );
    }
    let _ = writeln!(
        svg,
        r##"<path class="mean" d="{}" fill="none" stroke="#1f77b4" stroke-width="2" data-at="{}" data-x="{}" data-y="{}"/>"##,
        polyline(&frame, &s.x, &s.mean),
        data(&s.at),
        data(&s.x),
        data(&s.mean)
    );
    frame.axes(&mut svg, &s.input, target);
    svg.push_str("</svg>\n");
    svg
}

/// A colour of the viridis scale at `t` in [0, 1].
fn colour(t: f64) -> String {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let f = t * 4.0;
    let i = (f.floor() as usize).min(3);
    let w = f - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |p: f64, q: f64| (p + w * (q - p)).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// The map as an SVG: a coloured cell per grid value and a colour bar; the cells' group
/// carries `data-x`, `data-y` and `data-values`.
pub fn map_svg(m: &Map, target: &str) -> String {
    let (lo, hi) = m
        .values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let (nx, ny) = (m.x.len(), m.y.len());
    // Each value is the centre of its cell: the frame spans half a cell beyond the grid.
    let (hx, hy) = (
        (m.x[nx - 1] - m.x[0]) / (2 * (nx - 1)) as f64,
        (m.y[ny - 1] - m.y[0]) / (2 * (ny - 1)) as f64,
    );
    let frame = Frame {
        x: (m.x[0] - hx, m.x[nx - 1] + hx),
        y: (m.y[0] - hy, m.y[ny - 1] + hy),
        right: W - RIGHT - 70.0,
    };
    let mut svg = header(&format!(
        "{target} over {}, {}{}",
        m.x_input,
        m.y_input,
        held(&m.inputs, &m.at, &[&m.x_input, &m.y_input])
    ));
    let _ = writeln!(
        svg,
        r#"<g class="map" data-at="{}" data-x="{}" data-y="{}" data-values="{}">"#,
        data(&m.at),
        data(&m.x),
        data(&m.y),
        data(&m.values)
    );
    let span = hi - lo;
    for (j, yv) in m.y.iter().enumerate() {
        for (i, xv) in m.x.iter().enumerate() {
            let v = m.values[j * nx + i];
            let (x0, x1) = (frame.px(xv - hx), frame.px(xv + hx));
            let (y0, y1) = (frame.py(yv + hy), frame.py(yv - hy));
            let t = if span > 0.0 { (v - lo) / span } else { 0.5 };
            let _ = writeln!(
                svg,
                r#"<rect x="{x0:.2}" y="{y0:.2}" width="{:.2}" height="{:.2}" fill="{}"/>"#,
                x1 - x0 + 0.3,
                y1 - y0 + 0.3,
                colour(t)
            );
        }
    }
    svg.push_str("</g>\n");
    // The colour bar, low at the bottom.
    let bx = W - RIGHT - 50.0;
    for k in 0..50 {
        let t = k as f64 / 49.0;
        let y = H - BOTTOM - (k + 1) as f64 * (H - BOTTOM - TOP) / 50.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{bx}" y="{y:.2}" width="15" height="{:.2}" fill="{}"/>"#,
            (H - BOTTOM - TOP) / 50.0 + 0.3,
            colour(t)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}">{}</text><text x="{}" y="{}">{}</text>"#,
        bx + 18.0,
        H - BOTTOM,
        label(lo),
        bx + 18.0,
        TOP + 10.0,
        label(hi)
    );
    frame.axes(&mut svg, &m.x_input, &m.y_input);
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FnSurrogate, RangeSpec};

    fn attr(svg: &str, class: &str, name: &str) -> Vec<f64> {
        let start = svg.find(&format!("class=\"{class}\"")).unwrap();
        let rest = &svg[start..];
        let from = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let to = from + rest[from..].find('"').unwrap();
        rest[from..to]
            .split(' ')
            .map(|v| v.parse().unwrap())
            .collect()
    }

    #[test]
    fn the_slice_carries_the_model_values_exactly() {
        let bounds = Bounds::from_specs(&RangeSpec::parse_list("a=0:2,b=-1:1").unwrap()).unwrap();
        let f = |x: &[f64]| x[0] * x[0] + 3.0 * x[1];
        let model = FnSurrogate {
            n_inputs: 2,
            f,
            std: Some(|x: &[f64]| 0.1 + x[0]),
        };
        let at = bounds.point_at(Some("b=0.5")).unwrap();
        let s = slice(&model, &bounds, 0, &at, 11, 3, 1).unwrap();
        let svg = slice_svg(&s, "y<&>");
        let (x, y) = (attr(&svg, "mean", "data-x"), attr(&svg, "mean", "data-y"));
        assert_eq!(x.len(), 11);
        assert_eq!((x[0], x[10]), (0.0, 2.0));
        for (xi, yi) in x.iter().zip(&y) {
            assert_eq!(*yi, f(&[*xi, 0.5]));
        }
        assert_eq!(attr(&svg, "band", "data-std")[10], 2.1);
        assert_eq!(s.ice.len(), 3);
        assert!(svg.contains("y&lt;&amp;&gt; along a at b=0.5"));
        assert_eq!(svg.matches("class=\"ice\"").count(), 3);
    }

    #[test]
    fn the_map_carries_the_model_values_exactly() {
        let bounds =
            Bounds::from_specs(&RangeSpec::parse_list("a=0:2,b=-1:1,c=5:6").unwrap()).unwrap();
        let f = |x: &[f64]| x[0] - 2.0 * x[1] + x[2];
        let model = FnSurrogate::new(3, f);
        let m = map(&model, &bounds, (2, 0), &bounds.middle(), 4).unwrap();
        let svg = map_svg(&m, "y");
        let (x, y, v) = (
            attr(&svg, "map", "data-x"),
            attr(&svg, "map", "data-y"),
            attr(&svg, "map", "data-values"),
        );
        assert_eq!(v.len(), 16);
        for j in 0..4 {
            for i in 0..4 {
                assert_eq!(v[j * 4 + i], f(&[y[j], 0.0, x[i]]));
            }
        }
        assert!(map(&model, &bounds, (1, 1), &bounds.middle(), 4).is_err());
        assert_eq!(colour(0.0), "#440154");
        assert_eq!(colour(1.0), "#fde725");
    }
}
