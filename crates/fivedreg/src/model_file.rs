//! The model file: header, postcard payload, checksum.
//!
//! Layout (integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `FIVEDREG` |
//! | 4 | format version (u32) |
//! | 8 | payload length (u64) |
//! | 4 | CRC-32 of the 20 bytes above |
//! | n | postcard payload ([`Payload`]) |
//! | 4 | CRC-32 of everything before it |
//!
//! The 24-byte header keeps this layout in every version, so that any build can tell a
//! newer file from a damaged one. Its own checksum lets a flipped byte in the length field
//! be reported as corruption rather than truncation.

use crate::atomic::AtomicFile;
use crate::error::{Error, Result};
use crate::interpolator::{
    Interpolator, Members, ModelParts, SavedModel, TrainingHistoryRecord, TrainingSummary,
};
use crate::options::FitOptions;
use fivedreg_data::{SplitFractions, StandardScaler};
use fivedreg_nn::{Mlp, MlpParams};
use serde::Deserialize;
use std::io::Read;
use std::path::Path;

/// The first bytes of every model file.
pub const MAGIC: [u8; 8] = *b"FIVEDREG";
/// The format version this build writes, and the newest it reads. Version 2 added ensembles,
/// the solver, the power transform and `--auto`'s leaderboard; version 3 `--auto`'s blend
/// (its payload is version 2's followed by the optional blend); version 4 tree models and
/// the account of `--auto`'s search; version 5 how a blend's standard deviation is made.
/// Files of versions 1 to 4 still load, each through a frozen decoder of its own
/// (`PayloadV1` here, `format_v3.rs` for versions 2 and 3, `format_v4.rs` for 4).
pub const FORMAT_VERSION: u32 = 5;
/// Bytes of the header (magic, version, payload length, header checksum).
pub const HEADER_LEN: usize = 24;
const TRAILER_LEN: usize = 4;
/// Largest payload a model file may declare: an ensemble of 64 networks at the largest size
/// the network crate accepts would be larger, but no model this build can train and save
/// comes near it (the default network's file is 13 KB); a header declaring more is refused
/// before anything is read.
pub const MAX_PAYLOAD_BYTES: u64 = 4 << 30;

/// Version 1's payload, frozen: one network, no solver or ensemble fields.
#[derive(Deserialize)]
struct PayloadV1 {
    feature_names: Vec<String>,
    target_name: String,
    feature_scaler: StandardScaler,
    target_scaler: StandardScaler,
    layer_sizes: Vec<usize>,
    weights: Vec<Vec<f32>>,
    biases: Vec<Vec<f32>>,
    options: FitOptionsV1,
    summary: SummaryV1,
}

#[derive(Deserialize)]
struct FitOptionsV1 {
    split: SplitFractions,
    scale_features: bool,
    scale_target: bool,
    network: MlpParamsV1,
}

#[derive(Deserialize)]
struct MlpParamsV1 {
    hidden_layers: Vec<usize>,
    learning_rate: f64,
    max_epochs: usize,
    batch_size: Option<usize>,
    alpha: f64,
    early_stopping: bool,
    patience: usize,
    tol: f64,
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    shuffle: bool,
    seed: u64,
}

#[derive(Deserialize)]
struct ReportV1 {
    n: usize,
    r2: f64,
    mse: f64,
    rmse: f64,
    mae: f64,
    max_error: f64,
}

#[derive(Deserialize)]
struct SummaryV1 {
    train_samples: usize,
    validation_samples: usize,
    test_samples: usize,
    history: TrainingHistoryRecord,
    test_metrics: Option<ReportV1>,
}

impl PayloadV1 {
    /// The same model in today's parts (then checked like any other).
    fn into_parts(self) -> std::result::Result<ModelParts, String> {
        let n = self.options.network;
        let network = MlpParams {
            hidden_layers: n.hidden_layers,
            learning_rate: n.learning_rate,
            max_epochs: n.max_epochs,
            batch_size: n.batch_size,
            alpha: n.alpha,
            early_stopping: n.early_stopping,
            patience: n.patience,
            tol: n.tol,
            beta1: n.beta1,
            beta2: n.beta2,
            epsilon: n.epsilon,
            shuffle: n.shuffle,
            seed: n.seed,
            ..MlpParams::default()
        };
        let mlp = Mlp::from_parts(self.layer_sizes, self.weights, self.biases)
            .map_err(|e| e.to_string())?;
        let test_metrics = self.summary.test_metrics.map(|r| fivedreg_metrics::Report {
            n: r.n,
            r2: r.r2,
            mse: r.mse,
            rmse: r.rmse,
            mae: r.mae,
            max_error: r.max_error,
        });
        Ok(ModelParts {
            feature_names: self.feature_names,
            target_name: self.target_name,
            feature_transform: None,
            feature_scaler: self.feature_scaler,
            target_scaler: self.target_scaler,
            members: Members::Networks(vec![mlp]),
            options: FitOptions {
                split: self.options.split,
                scale_features: self.options.scale_features,
                scale_target: self.options.scale_target,
                network,
                ..FitOptions::default()
            },
            summary: TrainingSummary {
                train_samples: self.summary.train_samples,
                validation_samples: self.summary.validation_samples,
                test_samples: self.summary.test_samples,
                history: self.summary.history,
                test_metrics,
                ensemble: None,
                leaderboard: None,
                domain: None,
                search: None,
            },
        })
    }
}

impl Interpolator {
    /// The model file's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let saved = SavedModel::from(self.clone());
        let body = postcard::to_allocvec(&saved).map_err(|e| Error::Encode(e.to_string()))?;
        // What could not be loaded back is not saved.
        if body.len() as u64 > MAX_PAYLOAD_BYTES {
            return Err(Error::Encode(format!(
                "the model needs {} bytes, more than the {MAX_PAYLOAD_BYTES} a model file may hold",
                body.len()
            )));
        }
        Ok(frame(FORMAT_VERSION, &body))
    }

    /// Reads a model from a model file's bytes; `source` names it in errors. Refuses a
    /// truncated, corrupted, foreign or newer-version file with the matching [`Error`]
    /// variant; never panics, whatever the bytes.
    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Interpolator> {
        let truncated = |detail: String| Error::Truncated {
            file: source.to_string(),
            detail,
        };
        let corrupted = |detail: String| Error::Corrupted {
            file: source.to_string(),
            detail,
        };
        let magic_len = bytes.len().min(MAGIC.len());
        // An empty file holds nothing that marks it as a model.
        if bytes.is_empty() || bytes[..magic_len] != MAGIC[..magic_len] {
            return Err(Error::NotAModel {
                file: source.to_string(),
                detail: describe_start(bytes),
            });
        }
        if bytes.len() < HEADER_LEN {
            return Err(truncated(format!(
                "{} bytes, shorter than the {HEADER_LEN}-byte header",
                bytes.len()
            )));
        }
        let header_crc = u32_at(bytes, 20);
        if crc32fast::hash(&bytes[..20]) != header_crc {
            return Err(corrupted("the header's checksum does not match".into()));
        }
        let version = u32_at(bytes, 8);
        if version > FORMAT_VERSION {
            return Err(Error::NewerVersion {
                file: source.to_string(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if version == 0 {
            return Err(corrupted("format version 0 does not exist".into()));
        }
        let declared = u64::from_le_bytes(bytes[12..20].try_into().unwrap_or([0xff; 8]));
        if declared > MAX_PAYLOAD_BYTES {
            return Err(corrupted(format!(
                "its header declares {declared} bytes of contents, more than the largest \
                 model ({MAX_PAYLOAD_BYTES} bytes)"
            )));
        }
        // Compare in u64 so a huge declared length cannot overflow.
        let expected_len = declared.saturating_add((HEADER_LEN + TRAILER_LEN) as u64);
        let actual_len = bytes.len() as u64;
        if actual_len < expected_len {
            return Err(truncated(format!(
                "{actual_len} bytes of the {expected_len} its header declares"
            )));
        }
        if actual_len > expected_len {
            return Err(corrupted(format!(
                "{} bytes follow the end its header declares",
                actual_len - expected_len
            )));
        }
        let body_end = bytes.len() - TRAILER_LEN;
        if crc32fast::hash(&bytes[..body_end]) != u32_at(bytes, body_end) {
            return Err(corrupted("the checksum does not match the contents".into()));
        }
        let body = &bytes[HEADER_LEN..body_end];
        let undecodable = |e: postcard::Error| corrupted(format!("undecodable contents: {e}"));
        let one_model = |model| SavedModel { model, blend: None };
        let (saved, rest) = match version {
            1 => {
                let (v1, rest) =
                    postcard::take_from_bytes::<PayloadV1>(body).map_err(undecodable)?;
                (one_model(v1.into_parts().map_err(corrupted)?), rest)
            }
            2 => {
                let (model, rest) =
                    postcard::take_from_bytes::<crate::format_v3::ModelPartsV3>(body)
                        .map_err(undecodable)?;
                (one_model(model.into_parts()), rest)
            }
            3 => {
                let (saved, rest) =
                    postcard::take_from_bytes::<crate::format_v3::SavedModelV3>(body)
                        .map_err(undecodable)?;
                (
                    saved.into_saved().map_err(|e| corrupted(e.to_string()))?,
                    rest,
                )
            }
            4 => {
                let (saved, rest) =
                    postcard::take_from_bytes::<crate::format_v4::SavedModelV4>(body)
                        .map_err(undecodable)?;
                (
                    saved.into_saved().map_err(|e| corrupted(e.to_string()))?,
                    rest,
                )
            }
            _ => postcard::take_from_bytes::<SavedModel>(body).map_err(undecodable)?,
        };
        if !rest.is_empty() {
            return Err(corrupted(format!(
                "{} undecoded bytes after the contents",
                rest.len()
            )));
        }
        Interpolator::try_from(saved).map_err(|e| corrupted(e.to_string()))
    }

    /// Writes the model file atomically (temporary file in the same folder, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        AtomicFile::write(path, &self.to_bytes()?)
    }

    /// Loads a model file.
    ///
    /// Reads the header first and then no more than it declares (and a byte beyond, to
    /// see trailing bytes), so a wrong path such as `/dev/zero` or a huge foreign file is
    /// refused without being read whole.
    pub fn load(path: &Path) -> Result<Interpolator> {
        Interpolator::load_versioned(path).map(|(model, _)| model)
    }

    /// [`load`](Self::load), with the format version the file was written in (older
    /// versions load, and are written back in [`FORMAT_VERSION`]).
    pub fn load_versioned(path: &Path) -> Result<(Interpolator, u32)> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::with_capacity(HEADER_LEN);
        (&mut file)
            .take(HEADER_LEN as u64)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        let header_valid = bytes.len() == HEADER_LEN
            && bytes[..MAGIC.len()] == MAGIC
            && crc32fast::hash(&bytes[..20]) == u32_at(&bytes, 20);
        let declared = u64::from_le_bytes(
            bytes
                .get(12..20)
                .and_then(|b| b.try_into().ok())
                .unwrap_or([0; 8]),
        );
        // A header declaring more than any model holds is refused before reading on.
        if header_valid && declared <= MAX_PAYLOAD_BYTES {
            let rest = declared.saturating_add(TRAILER_LEN as u64 + 1);
            (&mut file).take(rest).read_to_end(&mut bytes).map_err(io)?;
            // Bytes beyond the declared end: read them too (a regular file is finite) so
            // that the error can count them.
            let past_end = bytes.len() as u64 > rest.saturating_add(HEADER_LEN as u64 - 1);
            if past_end && file.metadata().is_ok_and(|m| m.is_file()) {
                file.read_to_end(&mut bytes).map_err(io)?;
            }
        }
        let model = Interpolator::from_bytes(&bytes, &path.display().to_string())?;
        // `from_bytes` checked the header, so the version is there.
        Ok((model, u32_at(&bytes, 8)))
    }
}

/// Wraps a payload in the header and the trailing checksum.
fn frame(version: u32, body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER_LEN + body.len() + TRAILER_LEN);
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    let header_crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&header_crc.to_le_bytes());
    bytes.extend_from_slice(body);
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(b) = bytes.get(at..at + 4) {
        word.copy_from_slice(b);
    }
    u32::from_le_bytes(word)
}

/// Says what a file that is not a model file looks like, to help the user see the mix-up.
fn describe_start(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "the file is empty".into();
    }
    let head = &bytes[..bytes.len().min(32)];
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    let printable = |b: &u8| b.is_ascii_graphic() || *b == b' ' || *b == b'\t' || *b == b'\r';
    if first_line.iter().all(printable) {
        let text = String::from_utf8_lossy(first_line);
        let kind = if first_line.contains(&b',') {
            " (a CSV file?)"
        } else {
            ""
        };
        format!("it starts with the text {:?}{kind}", text.trim_end())
    } else {
        let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("it starts with the bytes {}", hex.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blend::{Blend, BlendPart};
    use fivedreg_data::YeoJohnson;
    use fivedreg_nn::{StopReason, MAX_HIDDEN_LAYERS, MAX_WIDTH};
    use serde::Serialize;

    /// A network as the file stores it, unchecked (to damage it).
    #[derive(Serialize, Deserialize)]
    struct RawMlp {
        layer_sizes: Vec<usize>,
        weights: Vec<Vec<f32>>,
        biases: Vec<Vec<f32>>,
        /// `Activation`'s variant index (postcard writes it as one byte below 128).
        activation: u8,
    }

    /// `Members::Networks` as postcard writes it: the variant index (0), then the networks.
    #[derive(Serialize, Deserialize)]
    struct RawMembers {
        variant: u8,
        nets: Vec<RawMlp>,
    }

    /// [`ModelParts`] with unchecked networks: the same bytes.
    #[derive(Serialize, Deserialize)]
    struct Payload {
        feature_names: Vec<String>,
        target_name: String,
        feature_transform: Option<YeoJohnson>,
        feature_scaler: StandardScaler,
        target_scaler: StandardScaler,
        members: RawMembers,
        options: FitOptions,
        summary: TrainingSummary,
    }

    /// A small hand-built model (2 inputs, one hidden layer of 3).
    fn model() -> Interpolator {
        let mlp = Mlp::from_parts(
            vec![2, 3, 1],
            vec![
                vec![0.5, -0.25, 1.0, 0.75, -1.5, 0.125],
                vec![1.0, -2.0, 0.5],
            ],
            vec![vec![0.1, 0.0, -0.1], vec![0.25]],
        )
        .unwrap();
        let feature_scaler = StandardScaler::fit(&[0.0, 1.0, 2.0, 5.0, 4.0, 9.0], 2).unwrap();
        let target_scaler = StandardScaler::fit(&[1000.0, 1010.0, 1030.0], 1).unwrap();
        let mut options = FitOptions::default();
        options.network.hidden_layers = vec![3];
        Interpolator {
            feature_names: vec!["a".into(), "b".into()],
            target_name: "y".into(),
            feature_scaler,
            target_scaler,
            feature_transform: None,
            members: Members::Networks(vec![mlp]),
            options,
            summary: TrainingSummary {
                train_samples: 6,
                validation_samples: 2,
                test_samples: 2,
                history: TrainingHistoryRecord {
                    epochs: 2,
                    train_loss: vec![0.5, 0.25],
                    validation_r2: vec![0.5, 0.75],
                    best_epoch: 2,
                    best_validation_r2: Some(0.75),
                    stop_reason: StopReason::MaxEpochs,
                },
                test_metrics: None,
                ensemble: None,
                leaderboard: None,
                domain: None,
                search: None,
            },
            blend: None,
        }
    }

    /// `model()` blended with a copy whose target scaler is shifted by 100, weighing 0.25.
    fn blended() -> Interpolator {
        let mut other = model();
        other.target_scaler = StandardScaler::fit(&[1100.0, 1110.0, 1130.0], 1).unwrap();
        let mut main = model();
        main.set_blend(Blend {
            parts: vec![BlendPart {
                weight: 0.25,
                model: other,
            }],
            std_ratio: 1.5,
            std_rule: crate::BlendStd::HolderTimesRatio,
        })
        .unwrap();
        main
    }

    /// A version-4 file's blend is version 5's without the rule (its last field, and the
    /// payload's last byte): it loads as the holder's std times the ratio.
    #[test]
    fn version_4_blends_load_with_the_holders_std_rule() {
        let main = blended();
        let bytes = main.to_bytes().unwrap();
        let body = &bytes[HEADER_LEN..bytes.len() - TRAILER_LEN];
        assert_eq!(body.last(), Some(&0), "HolderTimesRatio is variant 0");
        let v4 = frame(4, &body[..body.len() - 1]);
        assert_eq!(Interpolator::from_bytes(&v4, "m").unwrap(), main);
        // Version 5's decoder does not read a version-4 payload.
        assert!(Interpolator::from_bytes(&frame(5, &body[..body.len() - 1]), "m").is_err());
        // A model without a blend is the same payload in both versions.
        let plain = model().to_bytes().unwrap();
        let plain_body = &plain[HEADER_LEN..plain.len() - TRAILER_LEN];
        assert_eq!(
            Interpolator::from_bytes(&frame(4, plain_body), "m").unwrap(),
            model()
        );
    }

    #[test]
    fn a_blend_predicts_its_weighted_mean_and_round_trips() {
        let plain = model();
        let main = blended();
        let x = [0.5, 3.0, -1.0, 7.0];
        let (alone, mixed) = (plain.predict(&x).unwrap(), main.predict(&x).unwrap());
        for (a, m) in alone.iter().zip(&mixed) {
            // 0.75·a + 0.25·(a + 100)
            assert!((m - (a + 25.0)).abs() < 1e-9, "{a} {m}");
        }
        let bytes = main.to_bytes().unwrap();
        assert_eq!(u32_at(&bytes, 8), FORMAT_VERSION);
        let back = Interpolator::from_bytes(&bytes, "m").unwrap();
        assert_eq!(back, main);
        assert_eq!(back.to_bytes().unwrap(), bytes);
        let serde_back: Interpolator =
            postcard::from_bytes(&postcard::to_allocvec(&main).unwrap()).unwrap();
        assert_eq!(serde_back, main);
    }

    /// Version 2's payload, written as its build wrote it: fit options without trees, a
    /// summary without the search's account (tuples: postcard writes a struct's fields as
    /// a tuple's).
    #[allow(clippy::type_complexity)]
    #[derive(Serialize)]
    struct PayloadV2<'a> {
        feature_names: &'a [String],
        target_name: &'a str,
        feature_transform: Option<&'a YeoJohnson>,
        feature_scaler: &'a StandardScaler,
        target_scaler: &'a StandardScaler,
        members: &'a Members,
        options: (
            &'a SplitFractions,
            bool,
            bool,
            bool,
            usize,
            Option<crate::KernelOptions>,
            &'a MlpParams,
        ),
        summary: (
            usize,
            usize,
            usize,
            &'a TrainingHistoryRecord,
            Option<&'a fivedreg_metrics::Report>,
            Option<&'a crate::EnsembleSummary>,
            Option<&'a Vec<crate::LeaderboardEntry>>,
            Option<&'a crate::Domain>,
        ),
    }

    fn version_2_bytes(m: &Interpolator) -> Vec<u8> {
        let (o, s) = (&m.options, &m.summary);
        let payload = PayloadV2 {
            feature_names: &m.feature_names,
            target_name: &m.target_name,
            feature_transform: m.feature_transform.as_ref(),
            feature_scaler: &m.feature_scaler,
            target_scaler: &m.target_scaler,
            members: &m.members,
            options: (
                &o.split,
                o.scale_features,
                o.scale_target,
                o.power_transform,
                o.ensemble,
                o.kernel,
                &o.network,
            ),
            summary: (
                s.train_samples,
                s.validation_samples,
                s.test_samples,
                &s.history,
                s.test_metrics.as_ref(),
                s.ensemble.as_ref(),
                s.leaderboard.as_ref(),
                s.domain.as_ref(),
            ),
        };
        frame(2, &postcard::to_allocvec(&payload).unwrap())
    }

    #[test]
    fn version_2_files_still_load() {
        let model = model();
        let v2 = version_2_bytes(&model);
        assert_eq!(Interpolator::from_bytes(&v2, "m").unwrap(), model);
        // A version-2 file is one model: a blend's bytes are not a version-2 payload.
        let blended = blended().to_bytes().unwrap();
        let body = &blended[HEADER_LEN..blended.len() - TRAILER_LEN];
        assert!(matches!(
            Interpolator::from_bytes(&frame(2, body), "m"),
            Err(Error::Corrupted { .. })
        ));
    }

    #[test]
    fn bad_blends_are_refused_on_load_and_by_serde() {
        type Damage = Box<dyn Fn(&mut Blend)>;
        let damages: Vec<(&str, Damage)> = vec![
            ("weight above 1", Box::new(|b| b.parts[0].weight = 1.5)),
            ("zero weight", Box::new(|b| b.parts[0].weight = 0.0)),
            ("NaN weight", Box::new(|b| b.parts[0].weight = f64::NAN)),
            (
                "nothing left for the main model",
                Box::new(|b| {
                    b.parts[0].weight = 0.5;
                    b.parts.push(b.parts[0].clone());
                }),
            ),
            ("no parts", Box::new(|b| b.parts.clear())),
            ("negative std ratio", Box::new(|b| b.std_ratio = -1.0)),
            (
                "nested",
                Box::new(|b| b.parts[0].model.blend = Some(b.clone())),
            ),
            (
                "other features",
                Box::new(|b| b.parts[0].model.feature_names[1] = "c".into()),
            ),
            (
                "other target",
                Box::new(|b| b.parts[0].model.target_name = "z".into()),
            ),
        ];
        for (name, damage) in damages {
            let mut saved = SavedModel::from(blended());
            if let Some(b) = saved.blend.as_mut() {
                damage(b);
            }
            let bytes = frame(FORMAT_VERSION, &postcard::to_allocvec(&saved).unwrap());
            match Interpolator::from_bytes(&bytes, "m") {
                Err(Error::Corrupted { detail, .. }) => {
                    assert!(detail.contains("blend"), "{name}: {detail}")
                }
                other => panic!("{name}: {other:?}"),
            }
            // Deserializing an `Interpolator` goes through the same checks.
            let raw = postcard::to_allocvec(&saved).unwrap();
            assert!(
                postcard::from_bytes::<Interpolator>(&raw).is_err(),
                "{name}"
            );
        }
    }

    fn payload_of(model: &Interpolator) -> Payload {
        let bytes = model.to_bytes().unwrap();
        postcard::from_bytes(&bytes[HEADER_LEN..bytes.len() - TRAILER_LEN]).unwrap()
    }

    #[test]
    fn round_trip_is_exact_and_stable() {
        let model = model();
        let bytes = model.to_bytes().unwrap();
        assert_eq!(&bytes[..8], b"FIVEDREG");
        let back = Interpolator::from_bytes(&bytes, "m").unwrap();
        assert_eq!(back, model);
        assert_eq!(back.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn save_and_load_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.fdr");
        let model = model();
        model.save(&path).unwrap();
        assert_eq!(Interpolator::load(&path).unwrap(), model);
        // Only the model is left in the folder: the temporary file was renamed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn load_reads_no_more_than_the_header_declares() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.fdr");
        // An endless device is refused after its first bytes.
        #[cfg(target_os = "linux")]
        assert!(matches!(
            Interpolator::load(Path::new("/dev/zero")),
            Err(Error::NotAModel { .. })
        ));
        // A valid header that declares more than any model holds (1 TiB, or absurdly more):
        // refused before anything beyond the header is read, whatever follows it.
        for declared in [1u64 << 40, u64::MAX / 2] {
            let mut header = frame(FORMAT_VERSION, b"");
            header.truncate(12);
            header.extend_from_slice(&declared.to_le_bytes());
            let crc = crc32fast::hash(&header);
            header.extend_from_slice(&crc.to_le_bytes());
            header.extend_from_slice(&[0u8; 4096]);
            std::fs::write(&path, &header).unwrap();
            match Interpolator::load(&path) {
                Err(Error::Corrupted { detail, .. }) => {
                    assert!(detail.contains("largest model"), "{detail}")
                }
                other => panic!("{other:?}"),
            }
        }
        // Trailing bytes are still seen, and a whole file still loads.
        let model = model();
        let mut bytes = model.to_bytes().unwrap();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(Interpolator::load(&path).unwrap(), model);
        bytes.extend_from_slice(b"junk");
        std::fs::write(&path, &bytes).unwrap();
        match Interpolator::load(&path) {
            Err(Error::Corrupted { detail, .. }) => assert!(detail.contains("4 bytes"), "{detail}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let err = Interpolator::load(Path::new("/nonexistent/m.fdr")).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/m.fdr"), "{err}");
    }

    #[test]
    fn every_truncation_is_reported_as_truncated_and_an_empty_file_as_foreign() {
        let bytes = model().to_bytes().unwrap();
        assert!(matches!(
            Interpolator::from_bytes(&[], "m"),
            Err(Error::NotAModel { .. })
        ));
        for len in 1..bytes.len() {
            match Interpolator::from_bytes(&bytes[..len], "m") {
                Err(Error::Truncated { file, .. }) => assert_eq!(file, "m"),
                other => panic!("length {len}: {other:?}"),
            }
        }
    }

    #[test]
    fn every_flipped_byte_is_caught() {
        let bytes = model().to_bytes().unwrap();
        for i in 0..bytes.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[i] ^= mask;
                match Interpolator::from_bytes(&damaged, "m") {
                    Err(Error::NotAModel { .. }) if i < MAGIC.len() => {}
                    Err(Error::Corrupted { .. }) if i >= MAGIC.len() => {}
                    other => panic!("byte {i} ^ {mask:#x}: {other:?}"),
                }
            }
        }
    }

    /// A model of three folds' boosted trees, fitted on a small noisy set.
    fn trees_model() -> Interpolator {
        let data =
            fivedreg_data::generate(fivedreg_data::TestFunction::SumOfSquares, 120, 3, 0.1, 5)
                .unwrap();
        let options = FitOptions {
            ensemble: 3,
            trees: Some(crate::TreeOptions {
                trees: 40,
                learning_rate: 0.1,
                depth: 3,
                l2: 1.0,
                subsample: 0.8,
            }),
            ..FitOptions::default()
        };
        Interpolator::fit(&data, &options.check().unwrap(), &mut |_| {})
            .unwrap()
            .interpolator
    }

    #[test]
    fn tree_members_round_trip_byte_identically() {
        let model = trees_model();
        assert!(matches!(model.members(), Members::Trees(t) if t.len() == 3));
        let bytes = model.to_bytes().unwrap();
        assert_eq!(u32_at(&bytes, 8), FORMAT_VERSION);
        let back = Interpolator::from_bytes(&bytes, "m").unwrap();
        assert_eq!(back, model);
        assert_eq!(back.to_bytes().unwrap(), bytes);
        let x = [0.3, -0.2, 1.1, 2.0, 0.0, -1.5];
        assert_eq!(back.predict(&x).unwrap(), model.predict(&x).unwrap());
        let with_std = back.predict_with_std(&x).unwrap();
        assert!(with_std.std.iter().all(|s| s.is_finite() && *s > 0.0));
    }

    /// A tree whose split names an input that does not exist, in a file whose checksums
    /// are right: refused as corrupted on load, not a panic at prediction.
    #[test]
    fn a_corrupted_tree_with_valid_checksums_is_refused() {
        let model = trees_model();
        let Members::Trees(trees) = model.members() else {
            panic!("not trees");
        };
        let original = postcard::to_allocvec(&trees[1]).unwrap();
        let mut parts = fivedreg_trees::BoostedTreesParts::from(trees[1].clone());
        // 3 → 99: a one-byte varint either way, so the payload keeps its length.
        parts.trees[0].features[0] = 99;
        let damaged_tree = postcard::to_allocvec(&parts).unwrap();
        assert_eq!(damaged_tree.len(), original.len());
        let bytes = model.to_bytes().unwrap();
        let body = &bytes[HEADER_LEN..bytes.len() - TRAILER_LEN];
        let at = body
            .windows(original.len())
            .position(|w| w == original.as_slice())
            .expect("the tree's bytes are in the payload");
        let mut damaged = body.to_vec();
        damaged[at..at + original.len()].copy_from_slice(&damaged_tree);
        match Interpolator::from_bytes(&frame(FORMAT_VERSION, &damaged), "m") {
            Err(Error::Corrupted { .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_csv_file_is_not_a_model() {
        let err = Interpolator::from_bytes(b"x1,x2,y\n0.1,0.2,0.3\n", "data.csv").unwrap_err();
        assert!(matches!(err, Error::NotAModel { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("data.csv") && text.contains("CSV"), "{text}");
        let err = Interpolator::from_bytes(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0], "a.out");
        assert!(matches!(err, Err(Error::NotAModel { .. })), "{err:?}");
    }

    #[test]
    fn a_newer_version_is_refused_as_such() {
        let bytes = model().to_bytes().unwrap();
        let body = &bytes[HEADER_LEN..bytes.len() - TRAILER_LEN];
        let newer = frame(FORMAT_VERSION + 1, body);
        match Interpolator::from_bytes(&newer, "m") {
            Err(Error::NewerVersion {
                found, supported, ..
            }) => {
                assert_eq!((found, supported), (FORMAT_VERSION + 1, FORMAT_VERSION));
            }
            other => panic!("{other:?}"),
        }
        // Even with a body this version cannot decode.
        let newer = frame(7, b"\xff\xff\xff");
        assert!(matches!(
            Interpolator::from_bytes(&newer, "m"),
            Err(Error::NewerVersion { found: 7, .. })
        ));
        assert!(matches!(
            Interpolator::from_bytes(&frame(0, body), "m"),
            Err(Error::Corrupted { .. })
        ));
    }

    #[test]
    fn trailing_bytes_are_corruption() {
        let mut bytes = model().to_bytes().unwrap();
        bytes.push(0);
        assert!(matches!(
            Interpolator::from_bytes(&bytes, "m"),
            Err(Error::Corrupted { .. })
        ));
    }

    type Damage = Box<dyn Fn(&mut Payload)>;

    /// Well-framed files (checksums right) whose contents contradict themselves.
    #[test]
    fn inconsistent_contents_are_refused() {
        let model = model();
        let cases: Vec<(&str, Damage)> = vec![
            (
                "too few names",
                Box::new(|p| {
                    p.feature_names.pop();
                }),
            ),
            (
                "wide layer",
                Box::new(|p| p.members.nets[0].layer_sizes[1] = MAX_WIDTH + 1),
            ),
            (
                "zero width",
                Box::new(|p| p.members.nets[0].layer_sizes[1] = 0),
            ),
            (
                "two outputs",
                Box::new(|p| p.members.nets[0].layer_sizes[2] = 2),
            ),
            (
                "one size",
                Box::new(|p| p.members.nets[0].layer_sizes.truncate(1)),
            ),
            (
                "many layers",
                Box::new(|p| p.members.nets[0].layer_sizes = vec![2; MAX_HIDDEN_LAYERS + 3]),
            ),
            (
                "short weights",
                Box::new(|p| {
                    p.members.nets[0].weights[0].pop();
                }),
            ),
            (
                "missing biases",
                Box::new(|p| {
                    p.members.nets[0].biases.pop();
                }),
            ),
            (
                "nan weight",
                Box::new(|p| p.members.nets[0].weights[1][0] = f32::NAN),
            ),
            (
                "nan bias",
                Box::new(|p| p.members.nets[0].biases[0][0] = f32::INFINITY),
            ),
            (
                "scaler width",
                Box::new(|p| p.feature_scaler = StandardScaler::identity(3)),
            ),
            (
                "zero scale",
                Box::new(|p| {
                    p.target_scaler = postcard::from_bytes(
                        &postcard::to_allocvec(&(vec![0.0f64], vec![0.0f64])).unwrap(),
                    )
                    .unwrap()
                }),
            ),
            (
                "bad options",
                Box::new(|p| p.options.network.learning_rate = -1.0),
            ),
            (
                "hidden mismatch",
                Box::new(|p| p.options.network.hidden_layers = vec![4]),
            ),
            ("history", Box::new(|p| p.summary.history.epochs = 7)),
        ];
        for (name, damage) in cases {
            let mut payload = payload_of(&model);
            damage(&mut payload);
            // The payload is one model's parts: format version 2's layout.
            let bytes = frame(2, &postcard::to_allocvec(&payload).unwrap());
            match Interpolator::from_bytes(&bytes, "m") {
                Err(Error::Corrupted { .. }) => {}
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    /// Arbitrary bytes, framed or not, give an error and never a panic.
    #[test]
    fn arbitrary_bytes_never_panic() {
        let good = model().to_bytes().unwrap();
        let body = good[HEADER_LEN..good.len() - TRAILER_LEN].to_vec();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut mutated = body.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % mutated.len();
                mutated[i] = next() as u8;
            }
            let _ = Interpolator::from_bytes(&frame(FORMAT_VERSION, &mutated), "m");
            let len = (next() % 64) as usize;
            let noise: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = Interpolator::from_bytes(&frame(FORMAT_VERSION, &noise), "m");
        }
    }
}
