//! Shared helpers of the end-to-end tests in `tests/tests/`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The binary, built by cargo with the profile the tests run under (it lives in another
/// package, so `CARGO_BIN_EXE_fivedreg` is not set here).
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let profile = if cfg!(debug_assertions) {
            "test"
        } else {
            "bench"
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = std::process::Command::new(cargo)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "build",
                "--quiet",
                "--message-format=json",
                "--profile",
                profile,
            ])
            .args(["-p", "fivedreg-cli", "--bin", "fivedreg"])
            .output()
            .expect("cannot run cargo");
        assert!(
            output.status.success(),
            "cargo build failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "fivedreg")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported no fivedreg executable")
    })
}
