//! `cargo xtask accuracy`: fivedreg's options (default, `--solver lbfgs`, `--ensemble 8`,
//! `--auto`) against scikit-learn's MLP (adam and lbfgs), random forest, gradient boosting,
//! SVR, a Gaussian process, LightGBM, XGBoost, CatBoost and SciPy's RBFInterpolator, on the
//! same 80/20 splits; writes `<out>/ACCURACY.md` and `<out>/accuracy.json`.
//!
//! The measuring is `scripts/accuracy.py`, run with `$FIVEDREG_PYTHON` (else `python3`): it
//! generates the data, runs the `fivedreg` binary as a user would (`train`, `evaluate`) and
//! the Python regressors in its own process. This task finds or builds the binary and hands
//! it over.

use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs the accuracy report into `out` (`quick`: two small sets, for CI).
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
        "; it needs numpy, scipy, scikit-learn, lightgbm, xgboost and catboost (set \
         FIVEDREG_PYTHON to such an interpreter)",
    )?;
    eprintln!(
        "[accuracy] report written to {}",
        out.join("ACCURACY.md").display()
    );
    Ok(())
}
