//! Model files of earlier format versions load and predict as the build that wrote them
//! did: files written by the format-version-3 build (commit 6a702e1) and the version-4 build
//! (commit 5b9e30c), with that build's `fivedreg predict` output on `fixtures/points.csv`
//! beside each.

use fivedreg::Interpolator;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The rows of a CSV file with a header, parsed as f64 (Rust's shortest round-trip
/// printing, as `fivedreg predict` writes, parses back to the same bits).
fn read_rows(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    (header, rows)
}

/// Version 4's files: written by the build of commit 5b9e30c (`--auto --budget 2` on 300
/// rows of `fivedreg generate --function friedman1 --noise 2`, seeds 1 and 3): a blend of
/// two kernel models, and a kernel model alone. Their std is what that build gave, though
/// today's kernel models' std depends on the position: a file keeps the std it was
/// calibrated with.
#[test]
fn version_4_files_load_and_predict_as_their_build_did() {
    check_version(4, &["auto", "autoblend"]);
}

#[test]
fn version_3_files_load_and_predict_as_their_build_did() {
    check_version(3, &["single", "ens", "auto", "autoblend"]);
}

fn check_version(written: u32, names: &[&str]) {
    let (_, points) = read_rows(&fixture("points.csv"));
    let features: Vec<f64> = points.iter().flat_map(|r| r[..5].to_vec()).collect();
    for name in names {
        let (model, version) =
            Interpolator::load_versioned(&fixture(&format!("v{written}-{name}.fdr"))).unwrap();
        assert_eq!(version, written, "{name}");
        let (header, expected) = read_rows(&fixture(&format!("v{written}-{name}.pred.csv")));
        let predicted_column = header.iter().position(|h| h == "y_predicted").unwrap();
        let want: Vec<f64> = expected.iter().map(|r| r[predicted_column]).collect();
        if let Some(std_column) = header.iter().position(|h| h == "y_std") {
            let with_std = model.predict_with_std(&features).unwrap();
            assert_eq!(with_std.mean, want, "{name}");
            let want_std: Vec<f64> = expected.iter().map(|r| r[std_column]).collect();
            assert_eq!(with_std.std, want_std, "{name}");
        } else {
            assert_eq!(model.predict(&features).unwrap(), want, "{name}");
        }
        // Written back in today's version, the model is the same.
        let again = Interpolator::from_bytes(&model.to_bytes().unwrap(), "m").unwrap();
        assert_eq!(again, model, "{name}");
    }
}

/// The tree model the cross-surface tests read (the server's API test, the command's and
/// the Python package's): this build writes exactly the committed bytes for it, so the
/// current format's bytes are pinned too. `FIVEDREG_BLESS=1` rewrites the file.
#[test]
fn the_committed_tree_model_is_what_this_build_writes() {
    let data =
        fivedreg_data::generate(fivedreg_data::TestFunction::Friedman1, 400, 5, 0.5, 17).unwrap();
    let options = fivedreg::FitOptions {
        ensemble: 3,
        trees: Some(fivedreg::TreeOptions {
            trees: 120,
            learning_rate: 0.1,
            depth: 4,
            l2: 3.0,
            subsample: 0.8,
        }),
        ..Default::default()
    };
    let model = Interpolator::fit(&data, &options.check().unwrap(), &mut |_| {})
        .unwrap()
        .interpolator;
    let bytes = model.to_bytes().unwrap();
    let path = fixture("v4-trees.fdr");
    let committed = std::fs::read(&path).unwrap();
    // Version 5 changed only blends: this build writes the version-4 file's payload under
    // a version-5 header.
    let (header, trailer) = (fivedreg::HEADER_LEN, 4);
    assert_eq!(
        bytes[header..bytes.len() - trailer],
        committed[header..committed.len() - trailer],
        "the tree model's bytes changed"
    );
    assert_eq!(bytes[8..12], fivedreg::FORMAT_VERSION.to_le_bytes());
    assert_eq!(committed[8..12], 4u32.to_le_bytes());
    let (_, points) = read_rows(&fixture("points.csv"));
    let features: Vec<f64> = points.iter().flat_map(|r| r[..5].to_vec()).collect();
    let loaded = Interpolator::load(&path).unwrap();
    assert_eq!(
        loaded.predict(&features).unwrap(),
        model.predict(&features).unwrap()
    );
}
