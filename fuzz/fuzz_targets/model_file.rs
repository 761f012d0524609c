//! `Interpolator::from_bytes` on arbitrary bytes: an error or a usable model, never a
//! panic. Seeded with real model files (fuzz/seeds/model_file), so mutations start from a
//! valid file; most of them then stop at a checksum, which `model_payload` gets past.
#![no_main]

use fivedreg::Interpolator;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = Interpolator::from_bytes(data, "fuzz.fdr") {
        use_model(&model);
    }
});

/// What a loaded model must support without panicking.
fn use_model(model: &Interpolator) {
    let zeros = vec![0.0; model.feature_names().len()];
    let _ = model.predict_point(&zeros);
    let _ = model.predict(&[zeros.clone(), zeros].concat());
    let bytes = model.to_bytes().expect("a loaded model encodes");
    let again = Interpolator::from_bytes(&bytes, "again").expect("its encoding loads");
    // Compare encodings: a model may hold NaN in its history, and NaN != NaN.
    assert_eq!(again.to_bytes().expect("encodes"), bytes);
}
