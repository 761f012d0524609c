//! `Interpolator::from_bytes` on an arbitrary payload in a valid frame (magic, version,
//! length, checksums all right), so the postcard decoder and the checks after it are
//! fuzzed rather than the CRC. Seeded with the payloads of real model files
//! (fuzz/seeds/model_payload).
#![no_main]

use fivedreg::{Interpolator, FORMAT_VERSION, MAGIC};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    let bytes = frame(payload);
    if let Ok(model) = Interpolator::from_bytes(&bytes, "fuzz.fdr") {
        let zeros = vec![0.0; model.feature_names().len()];
        let _ = model.predict_point(&zeros);
        let _ = model.predict(&[zeros.clone(), zeros].concat());
        let encoded = model.to_bytes().expect("a loaded model encodes");
        let again = Interpolator::from_bytes(&encoded, "again").expect("its encoding loads");
        // Compare encodings: a model may hold NaN in its history, and NaN != NaN.
        assert_eq!(again.to_bytes().expect("encodes"), encoded);
    }
});

/// The model file around `payload`, as documented in crates/fivedreg/src/model_file.rs.
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(payload.len() + 28);
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    let header_crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&header_crc.to_le_bytes());
    bytes.extend_from_slice(payload);
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}
