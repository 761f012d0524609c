//! `cargo xtask accuracy`: fivedreg's options (default, `--solver lbfgs`, `--ensemble 8`,
//! `--auto`) against tuned peers (scikit-learn's MLPs, random forest, linear and ridge
//! regression, SVR with C, gamma and epsilon by CV, two ARD Gaussian processes, histogram
//! gradient boosting, LightGBM, XGBoost and CatBoost with learning rate and trees chosen on a
//! validation fold, CatBoost's defaults, SciPy's RBFInterpolator), on synthetic sets and
//! real tables from R packages, five random 80/20 splits each; writes `<out>/ACCURACY.md`
//! (mean test R² and range per method and set, and generated counts) and `<out>/accuracy.json`
//! (every split's R²). With `--out docs/accuracy` it also rewrites README.md's
//! `accuracy-summary` block.
//!
//! The measuring is `scripts/accuracy.py`, run with `$FIVEDREG_PYTHON` (else `python3`), which
//! needs `scripts/requirements-accuracy.txt`: it generates or loads the data, runs the
//! `fivedreg` binary as a user would (`train`, `evaluate`) and the peers in its own process.
//! This task finds or builds the binary and hands it over, with the report split seeds (the
//! script's `--dev` selects the development seeds: docs/accuracy/splits.md).

use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs the accuracy report into `out` (`quick`: two small sets, two splits, small grids).
pub fn accuracy(out: &Path, quick: bool, fivedreg: Option<&Path>, repo: &Path) -> Result<()> {
    let binary: PathBuf = crate::child::fivedreg_binary(fivedreg, repo)?;
    let python = crate::sklearn::interpreter();
    let script = repo.join("scripts").join("accuracy.py");
    let mut command = Command::new(&python);
    command
        .arg(&script)
        .arg("--fivedreg")
        .arg(&binary)
        .arg("--out")
        .arg(out);
    // numpy's bundled OpenBLAS mistakes an AVX-512 CPU for an old one unless told.
    crate::sklearn::with_openblas_coretype(&mut command);
    if quick {
        command.arg("--quick");
    }
    crate::child::run_visible(
        &mut command,
        "; it needs scripts/requirements-accuracy.txt installed (set FIVEDREG_PYTHON to \
         such an interpreter)",
    )?;
    eprintln!(
        "[accuracy] report written to {}",
        out.join("ACCURACY.md").display()
    );
    Ok(())
}
