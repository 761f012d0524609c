//! Writes the model files that the Python package's ONNX tests export and compare
//! (`crates/python/tests/data/onnx/`): the kinds that no estimator option trains directly —
//! a kernel model of each radial function, boosted trees, kernel and tree models on
//! Yeo-Johnson inputs, an `--auto` model, and a blend of three kinds. Deterministic: the
//! same build writes the same bytes.
//!
//! `cargo run --release -p fivedreg-onnx --example onnx_fixtures -- crates/python/tests/data/onnx`

use fivedreg::{
    AutoOptions, Blend, BlendPart, BlendStd, FitOptions, Interpolator, KernelOptions, MlpParams,
    RbfKernel, SavedModel, TreeOptions,
};
use fivedreg_data::{generate, Dataset, TestFunction};
use std::error::Error;
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Friedman #1 on `n` rows (5 inputs on [0, 1]).
fn friedman(n: usize, seed: u64) -> Result<Dataset> {
    Ok(generate(TestFunction::Friedman1, n, 5, 0.1, seed)?)
}

/// Friedman #1 with skewed inputs (x ↦ exp(4x) − 1 on two of them, x ↦ −exp(3x) on one), so
/// that the power transform has work to do, on both signs.
fn skewed(n: usize, seed: u64) -> Result<Dataset> {
    let data = friedman(n, seed)?;
    let features = data
        .features()
        .chunks(5)
        .flat_map(|row| {
            [
                (4.0 * row[0]).exp() - 1.0,
                row[1],
                -(3.0 * row[2]).exp(),
                (4.0 * row[3]).exp() - 1.0,
                row[4],
            ]
        })
        .collect();
    Ok(Dataset::new(
        data.feature_names().to_vec(),
        data.target_name().to_string(),
        features,
        data.targets().to_vec(),
    )?)
}

fn kernel_options(kernel: RbfKernel, smoothing: f64, power_transform: bool) -> FitOptions {
    FitOptions {
        kernel: Some(KernelOptions { kernel, smoothing }),
        ensemble: 5,
        power_transform,
        ..Default::default()
    }
}

fn tree_options(power_transform: bool) -> FitOptions {
    FitOptions {
        trees: Some(TreeOptions {
            trees: 100,
            learning_rate: 0.1,
            depth: 5,
            l2: 3.0,
            subsample: 1.0,
        }),
        ensemble: 3,
        power_transform,
        ..Default::default()
    }
}

fn fit(data: &Dataset, options: FitOptions) -> Result<Interpolator> {
    Ok(Interpolator::fit(data, &options.check()?, &mut |_| {})?.interpolator)
}

fn save(dir: &Path, name: &str, model: &Interpolator) -> Result<()> {
    let path = dir.join(format!("{name}.fdr"));
    model.save(&path)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn main() -> Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: onnx_fixtures OUT_DIR")?,
    );
    std::fs::create_dir_all(&dir)?;
    let data = friedman(500, 11)?;
    for (kernel, smoothing) in [
        (RbfKernel::ThinPlateSpline, 1e-3),
        (RbfKernel::Cubic, 1e-3),
        (RbfKernel::Quintic, 1e-3),
        (RbfKernel::Gaussian, 1e-2),
        (RbfKernel::GaussianLinear, 1e-2),
        (RbfKernel::GaussianProcess, 1e-2),
    ] {
        let model = fit(&data, kernel_options(kernel, smoothing, false))?;
        save(&dir, &format!("kernel_{}", kernel.name()), &model)?;
    }
    let trees = fit(&data, tree_options(false))?;
    save(&dir, "trees", &trees)?;
    let skewed_data = skewed(500, 12)?;
    save(
        &dir,
        "kernel_yeo_johnson",
        &fit(&skewed_data, kernel_options(RbfKernel::Cubic, 1e-3, true))?,
    )?;
    save(
        &dir,
        "trees_yeo_johnson",
        &fit(&skewed_data, tree_options(true))?,
    )?;

    // A blend of three kinds: a kernel model holding a network ensemble (on Yeo-Johnson
    // inputs) and the trees, as `--auto` makes one.
    let networks = fit(
        &data,
        FitOptions {
            ensemble: 3,
            power_transform: true,
            network: MlpParams {
                hidden_layers: vec![32, 16],
                max_epochs: 60,
                seed: 5,
                ..Default::default()
            },
            ..Default::default()
        },
    )?;
    let holder = fit(&data, kernel_options(RbfKernel::Cubic, 1e-3, false))?;
    let saved = SavedModel {
        model: SavedModel::from(holder).model,
        blend: Some(Blend {
            parts: vec![
                BlendPart {
                    weight: 0.3,
                    model: networks,
                },
                BlendPart {
                    weight: 0.2,
                    model: trees,
                },
            ],
            std_ratio: 0.9,
            // Every part's std, weighted: what `--auto` writes.
            std_rule: BlendStd::WeightedParts,
        }),
    };
    save(&dir, "blend", &Interpolator::try_from(saved)?)?;

    let auto = AutoOptions {
        budget_seconds: 30.0,
        folds: 5,
        base: FitOptions {
            network: MlpParams {
                seed: 7,
                ..Default::default()
            },
            ..Default::default()
        },
    }
    .check()?;
    let fitted = Interpolator::fit_auto(&friedman(400, 13)?, &auto, &mut |_| {})?;
    save(&dir, "auto", &fitted.interpolator)?;
    Ok(())
}
