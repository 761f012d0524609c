//! Operations counted by `fit_operations` per second of fitting, and prediction rows per
//! second, on one thread: how `--auto`'s work rate for trees was set.
//!
//! `cargo run --release -p fivedreg-trees --example fit_rate -- [ROWS] [FEATURES]`

use fivedreg_trees::{fit_operations, BoostParams, BoostedTrees};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(6_400);
    let features: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(6);
    let mut rng = fivedreg_rng::rng(1, fivedreg_rng::Stream::Generate);
    let x: Vec<f64> = (0..rows * features)
        .map(|_| fivedreg_rng::unit_f64(&mut rng))
        .collect();
    let y: Vec<f64> = x
        .chunks(features)
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, v)| (v * (i + 1) as f64).sin())
                .sum()
        })
        .collect();
    for (depth, trees) in [(4, 500), (6, 500), (8, 300)] {
        let params = BoostParams {
            depth,
            trees,
            ..BoostParams::default()
        };
        let ops = fit_operations(rows, features, &params);
        let checked = match params.check() {
            Ok(p) => p,
            Err(e) => return eprintln!("{e}"),
        };
        let t0 = Instant::now();
        let model = match BoostedTrees::fit(&x, &y, features, &checked) {
            Ok(m) => m,
            Err(e) => return eprintln!("{e}"),
        };
        let fit = t0.elapsed().as_secs_f64();
        let many: Vec<f64> = x
            .iter()
            .cycle()
            .take(1_000_000 * features)
            .copied()
            .collect();
        let mut out = vec![0.0; 1_000_000];
        let t0 = Instant::now();
        model.predict(&many, &mut out);
        let predict = t0.elapsed().as_secs_f64();
        println!(
            "depth {depth} trees {trees}: {:.3} s, {:.2e} ops/s; predict {:.2e} rows/s ({:.1} ns per tree-row)",
            fit,
            ops / fit,
            1e6 / predict,
            predict / 1e6 / trees as f64 * 1e9
        );
    }
}
