//! The surrogate toolkit's commands end to end: sensitivity, plot, design, suggest and
//! optimize on models of known functions, and their refusals.
//!
//! The models are RBF kernel ensembles (cubic, 5 folds) fitted through the library: they
//! give a std as `--auto` models do, and fit in seconds where `--auto` would take minutes.

mod common;

use common::{fivedreg, fixtures, run_ok};
use fivedreg::{FitOptions, Interpolator, KernelOptions, RbfKernel};
use fivedreg_data::{Dataset, SplitFractions};
use serde_json::Value;
use std::f64::consts::PI;
use std::path::Path;

/// Fits a cubic kernel ensemble of `rows` (row-major, inputs `names`) and saves it.
fn kernel_model(path: &Path, names: &[&str], rows: Vec<f64>, y: Vec<f64>) {
    let data = Dataset::new(
        names.iter().map(|n| n.to_string()).collect(),
        "y".into(),
        rows,
        y,
    )
    .unwrap();
    let options = FitOptions {
        split: SplitFractions::new(0.8, 0.2, 0.0).unwrap(),
        ensemble: 5,
        kernel: Some(KernelOptions {
            kernel: RbfKernel::Cubic,
            smoothing: 0.0,
        }),
        ..FitOptions::default()
    }
    .check()
    .unwrap();
    let fitted = Interpolator::fit(&data, &options, &mut |_| {}).unwrap();
    fitted.interpolator.save(path).unwrap();
}

/// `n` points uniform in the box (a plain LCG: the tests need no statistical quality).
fn uniform(n: usize, low: &[f64], high: &[f64], seed: u64) -> Vec<f64> {
    let mut state = seed;
    let mut out = Vec::with_capacity(n * low.len());
    for _ in 0..n {
        for (l, h) in low.iter().zip(high) {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            out.push(l + (h - l) * ((state >> 11) as f64 / (1u64 << 53) as f64));
        }
    }
    out
}

fn json(stdout: &[u8]) -> Value {
    serde_json::from_slice(stdout).unwrap()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn ishigami(x: &[f64]) -> f64 {
    x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
}

#[test]
fn sensitivity_of_an_ishigami_model_gives_the_analytic_indices() {
    let dir = tempfile::tempdir().unwrap();
    let rows = uniform(2000, &[-PI; 3], &[PI; 3], 1);
    let y = rows.chunks_exact(3).map(ishigami).collect();
    kernel_model(&dir.path().join("m.fdr"), &["x1", "x2", "x3"], rows, y);
    let out = json(&run_ok(
        dir.path(),
        &["sensitivity", "m.fdr", "--n", "16384", "--json"],
    ));
    let s1 = [0.3139, 0.4424, 0.0];
    let st = [0.5576, 0.4424, 0.2437];
    for (k, row) in out["indices"].as_array().unwrap().iter().enumerate() {
        let (a, b) = (row["S1"].as_f64().unwrap(), row["ST"].as_f64().unwrap());
        eprintln!(
            "x{}: S1 {a:.4} (error {:+.4}), ST {b:.4} (error {:+.4})",
            k + 1,
            a - s1[k],
            b - st[k]
        );
        assert!((a - s1[k]).abs() < 0.02, "S1 of x{}: {a}", k + 1);
        assert!((b - st[k]).abs() < 0.02, "ST of x{}: {b}", k + 1);
        assert!(row["S1_conf"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(out["evaluations"], 16384 * 5);
    // The table says the same in words.
    let text =
        String::from_utf8(run_ok(dir.path(), &["sensitivity", "m.fdr", "--n", "256"])).unwrap();
    assert!(
        text.contains("first order S1") && text.contains("x3"),
        "{text}"
    );
}

/// Parses `name="v v v"` of the element of class `class`.
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
fn plots_carry_the_models_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let rows = uniform(300, &[0.0, -1.0], &[1.0, 1.0], 2);
    let y = rows
        .chunks_exact(2)
        .map(|x| (3.0 * x[0]).sin() + x[1] * x[1])
        .collect();
    kernel_model(&path.join("m.fdr"), &["a", "b"], rows, y);
    let model = Interpolator::load(&path.join("m.fdr")).unwrap();
    run_ok(
        path,
        &[
            "plot", "m.fdr", "--slice", "a", "--at", "b=0.25", "--ice", "-o", "s.svg",
        ],
    );
    let svg = std::fs::read_to_string(path.join("s.svg")).unwrap();
    let x = attr(&svg, "mean", "data-x");
    let rows: Vec<f64> = x.iter().flat_map(|&a| [a, 0.25]).collect();
    let expected = model.predict_with_std(&rows).unwrap();
    assert_eq!(attr(&svg, "mean", "data-y"), expected.mean);
    assert_eq!(attr(&svg, "band", "data-std"), expected.std);
    assert_eq!(svg.matches("class=\"ice\"").count(), 8);
    assert_eq!(x.len(), 101);

    let out = json(&run_ok(
        path,
        &[
            "plot",
            "m.fdr",
            "--contour",
            "b,a",
            "--points",
            "7",
            "-o",
            "c.svg",
            "--json",
        ],
    ));
    let svg = std::fs::read_to_string(path.join("c.svg")).unwrap();
    let (gx, gy) = (attr(&svg, "map", "data-x"), attr(&svg, "map", "data-y"));
    let rows: Vec<f64> = gy
        .iter()
        .flat_map(|&a| gx.iter().flat_map(move |&b| [a, b]))
        .collect();
    assert_eq!(
        attr(&svg, "map", "data-values"),
        model.predict(&rows).unwrap()
    );
    assert_eq!(
        numbers(&out["plot"]["values"]),
        model.predict(&rows).unwrap()
    );
}

/// A kernel ensemble's std is one width everywhere, so this test trains an ensemble of
/// networks, whose spread grows away from the data.
#[test]
fn suggest_points_into_the_unexplored_half() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let rows = uniform(400, &[0.0, 0.0], &[0.5, 1.0], 3);
    let mut csv = String::from("x1,x2,y\n");
    for x in rows.chunks_exact(2) {
        csv.push_str(&format!(
            "{},{},{}\n",
            x[0],
            x[1],
            x[0] * x[0] + (2.0 * x[1]).cos()
        ));
    }
    std::fs::write(path.join("half.csv"), csv).unwrap();
    run_ok(
        path,
        &[
            "train",
            "half.csv",
            "--ensemble",
            "5",
            "--solver",
            "lbfgs",
            "--hidden",
            "32,16",
            "--max-epochs",
            "300",
            "-o",
            "m.fdr",
        ],
    );
    let out = json(&run_ok(
        path,
        &[
            "suggest",
            "m.fdr",
            "--n",
            "5",
            "--ranges",
            "x1=0:1,x2=0:1",
            "--json",
        ],
    ));
    let picks = out["suggestions"].as_array().unwrap();
    assert_eq!(picks.len(), 5);
    for p in picks {
        let x = numbers(&p["point"]);
        assert!(x[0] > 0.5 && (0.0..=1.0).contains(&x[1]), "{x:?}");
    }
    assert_eq!(out["constant_std"], false);
    // Within the training domain (x1 < 0.5) the picks stay inside it.
    let csv = String::from_utf8(run_ok(path, &["suggest", "m.fdr", "--n", "3"])).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "x1,x2,y,y_std");
    for line in &lines[1..] {
        let x1: f64 = line.split(',').next().unwrap().parse().unwrap();
        assert!(x1 <= 0.5, "{line}");
    }
}

/// A kernel model's std grows away from its centres, so trained on half the square it
/// proposes runs in the empty half, spread apart (#32: its std used to be one number).
#[test]
fn suggest_on_a_kernel_model_proposes_the_empty_half() {
    let dir = tempfile::tempdir().unwrap();
    let rows = uniform(200, &[0.0, 0.0], &[0.5, 1.0], 5);
    let y = rows.chunks_exact(2).map(|x| x[0] + x[1] * x[1]).collect();
    kernel_model(&dir.path().join("k.fdr"), &["x1", "x2"], rows, y);
    let out = json(&run_ok(
        dir.path(),
        &[
            "suggest",
            "k.fdr",
            "--n",
            "4",
            "--ranges",
            "x1=0:1,x2=0:1",
            "--json",
        ],
    ));
    assert_eq!(out["constant_std"], false);
    let picks = out["suggestions"].as_array().unwrap();
    assert_eq!(picks.len(), 4);
    for p in picks {
        let x = numbers(&p["point"]);
        assert!(x[0] > 0.5, "{x:?}");
    }
}

/// A kernel model written before its std depended on the position (format version 4) has
/// one std everywhere: its runs are spread over the box, with a note.
#[test]
fn suggest_says_when_the_std_is_flat() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fivedreg/tests/fixtures/v4-auto.fdr");
    std::fs::copy(fixture, dir.path().join("k.fdr")).unwrap();
    let output = fivedreg(dir.path())
        .args(["suggest", "k.fdr", "--n", "4"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("the same everywhere"));
}

fn branin(x: &[f64]) -> f64 {
    let (b, c, t) = (5.1 / (4.0 * PI * PI), 5.0 / PI, 1.0 / (8.0 * PI));
    (x[1] - b * x[0] * x[0] + c * x[0] - 6.0).powi(2) + 10.0 * (1.0 - t) * x[0].cos() + 10.0
}

#[test]
fn optimize_finds_the_three_minima_of_a_branin_model() {
    let dir = tempfile::tempdir().unwrap();
    let rows = uniform(2000, &[-5.0, 0.0], &[10.0, 15.0], 4);
    let y = rows.chunks_exact(2).map(branin).collect();
    kernel_model(&dir.path().join("m.fdr"), &["x1", "x2"], rows, y);
    let out = json(&run_ok(
        dir.path(),
        &[
            "optimize",
            "m.fdr",
            "--minimize",
            "--starts",
            "20",
            "--json",
        ],
    ));
    let optima = out["optima"].as_array().unwrap();
    for (x1, x2) in [(-PI, 12.275), (PI, 2.275), (9.42478, 2.475)] {
        let hit = optima.iter().find(|m| {
            let p = numbers(&m["point"]);
            // 1% of each range: 0.15.
            (p[0] - x1).abs() < 0.15 && (p[1] - x2).abs() < 0.15
        });
        let hit = hit.unwrap_or_else(|| panic!("({x1}, {x2}) missing from {optima:?}"));
        eprintln!(
            "({x1:.4}, {x2}) found at {} value {}",
            hit["point"], hit["value"]
        );
        assert!((hit["value"].as_f64().unwrap() - 0.397887).abs() < 0.05);
        assert!(hit["std"].as_f64().unwrap() >= 0.0);
    }
    let text = String::from_utf8(run_ok(dir.path(), &["optimize", "m.fdr", "--maximize"])).unwrap();
    assert!(
        text.contains("maximum of y") && text.contains("best: x1="),
        "{text}"
    );
}

#[test]
fn a_latin_hypercube_is_stratified() {
    let dir = tempfile::tempdir().unwrap();
    let csv = String::from_utf8(run_ok(
        dir.path(),
        &[
            "design",
            "--lhs",
            "40",
            "--ranges",
            "u=0:4,v=-1:1",
            "--seed",
            "3",
        ],
    ))
    .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "u,v");
    let mut hits = [[0; 40]; 2];
    for line in &lines[1..] {
        let v: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
        hits[0][(v[0] / 4.0 * 40.0) as usize] += 1;
        hits[1][((v[1] + 1.0) / 2.0 * 40.0) as usize] += 1;
    }
    assert!(hits.iter().flatten().all(|&h| h == 1));
    run_ok(
        dir.path(),
        &[
            "design", "--sobol", "16", "--ranges", "u=0:1", "-o", "d.csv",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("d.csv"))
            .unwrap()
            .lines()
            .count(),
        17
    );
}

/// Each refusal: one line on stderr, a non-zero exit, and no output file.
#[test]
fn refusals_are_one_line_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    // A single network: no std.
    std::fs::write(path.join("net.fdr"), &fixtures().model).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["sensitivity", "net.fdr", "--ranges", "x9=0:1"],
            "unknown input \"x9\" in --ranges: the model's inputs are x1,x2",
        ),
        (
            vec!["sensitivity", "net.fdr", "--ranges", "x1=1:0"],
            "invalid range for x1: 1:0",
        ),
        (
            vec!["sensitivity", "net.fdr", "--ranges", "x1"],
            "invalid --ranges entry \"x1\"",
        ),
        (
            vec!["suggest", "net.fdr", "--n", "3", "-o", "out.csv"],
            "suggest needs a model with a standard deviation",
        ),
        (
            vec![
                "plot", "net.fdr", "--slice", "x1", "--at", "z=1", "-o", "out.svg",
            ],
            "unknown input \"z\" in --at",
        ),
        (
            vec!["plot", "net.fdr", "--slice", "nope", "-o", "out.svg"],
            "unknown input \"nope\" in --slice",
        ),
        (
            vec!["plot", "net.fdr", "--contour", "x1", "-o", "out.svg"],
            "invalid --contour x1",
        ),
        (
            vec![
                "design",
                "--sobol",
                "8",
                "--ranges",
                "a=0:1,a=1:2",
                "-o",
                "out.csv",
            ],
            "input \"a\" appears twice in --ranges",
        ),
        (vec!["optimize", "missing.fdr", "--minimize"], "missing.fdr"),
        (
            vec!["optimize", "net.fdr", "--minimize", "--starts", "0"],
            "invalid --starts 0",
        ),
    ];
    for (args, expected) in cases {
        let output = fivedreg(path).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        for file in ["out.csv", "out.svg"] {
            assert!(!path.join(file).exists(), "{args:?} wrote {file}");
        }
    }
    // A single network plots without a band, and says so.
    let text = String::from_utf8(run_ok(
        path,
        &["plot", "net.fdr", "--slice", "x1", "-o", "s.svg"],
    ))
    .unwrap();
    assert!(
        text.contains("without a std band") && text.contains("no training rows"),
        "{text}"
    );
    assert!(!std::fs::read_to_string(path.join("s.svg"))
        .unwrap()
        .contains("class=\"band\""));
}
