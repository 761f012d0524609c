//! The payloads of format versions 2 and 3, frozen: what those versions' files hold, decoded
//! into types of their own and converted to today's model. postcard encodes fields by
//! position, so a field added to a live type (version 4 added tree models to the fit
//! options and the search's account to the summary) would change how these files decode;
//! these copies do not change. Types that version 4 left as they were (the networks,
//! kernel models, scalers, domain, leaderboard entries) are used as they are.

use crate::blend::{Blend, BlendPart, BlendStd};
use crate::domain::Domain;
use crate::error::Result;
use crate::interpolator::{
    EnsembleSummary, Interpolator, LeaderboardEntry, Members, ModelParts, SavedModel,
    TrainingHistoryRecord, TrainingSummary,
};
use crate::kernel::RbfModel;
use crate::options::{FitOptions, KernelOptions};
use fivedreg_data::{SplitFractions, StandardScaler, YeoJohnson};
use fivedreg_metrics::Report;
use fivedreg_nn::{Mlp, MlpParams};
use serde::Deserialize;

/// Version 3's whole payload: a model and its blend.
#[derive(Deserialize)]
pub(crate) struct SavedModelV3 {
    model: ModelPartsV3,
    blend: Option<BlendV3>,
}

/// Version 2's whole payload, and version 3's model.
#[derive(Deserialize)]
pub(crate) struct ModelPartsV3 {
    feature_names: Vec<String>,
    target_name: String,
    feature_transform: Option<YeoJohnson>,
    feature_scaler: StandardScaler,
    target_scaler: StandardScaler,
    members: MembersV3,
    options: FitOptionsV3,
    summary: TrainingSummaryV3,
}

#[derive(Deserialize)]
enum MembersV3 {
    Networks(Vec<Mlp>),
    Kernels(Vec<RbfModel>),
}

#[derive(Deserialize)]
struct FitOptionsV3 {
    split: SplitFractions,
    scale_features: bool,
    scale_target: bool,
    power_transform: bool,
    ensemble: usize,
    kernel: Option<KernelOptions>,
    network: MlpParams,
}

#[derive(Deserialize)]
struct TrainingSummaryV3 {
    train_samples: usize,
    validation_samples: usize,
    test_samples: usize,
    history: TrainingHistoryRecord,
    test_metrics: Option<Report>,
    ensemble: Option<EnsembleSummary>,
    leaderboard: Option<Vec<LeaderboardEntry>>,
    domain: Option<Domain>,
}

#[derive(Deserialize)]
struct BlendV3 {
    parts: Vec<BlendPartV3>,
    std_ratio: f64,
}

#[derive(Deserialize)]
struct BlendPartV3 {
    weight: f64,
    model: SavedModelV3,
}

impl ModelPartsV3 {
    /// The same model in today's parts (checked later, as any other).
    pub(crate) fn into_parts(self) -> ModelParts {
        let o = self.options;
        let s = self.summary;
        ModelParts {
            feature_names: self.feature_names,
            target_name: self.target_name,
            feature_transform: self.feature_transform,
            feature_scaler: self.feature_scaler,
            target_scaler: self.target_scaler,
            members: match self.members {
                MembersV3::Networks(n) => Members::Networks(n),
                MembersV3::Kernels(k) => Members::Kernels(k),
            },
            options: FitOptions {
                split: o.split,
                scale_features: o.scale_features,
                scale_target: o.scale_target,
                power_transform: o.power_transform,
                ensemble: o.ensemble,
                kernel: o.kernel,
                trees: None,
                network: o.network,
            },
            summary: TrainingSummary {
                train_samples: s.train_samples,
                validation_samples: s.validation_samples,
                test_samples: s.test_samples,
                history: s.history,
                test_metrics: s.test_metrics,
                ensemble: s.ensemble,
                leaderboard: s.leaderboard,
                domain: s.domain,
                search: None,
            },
        }
    }
}

impl SavedModelV3 {
    /// The same model and blend in today's form; each blended model is checked as it is
    /// built (the holder is checked by the caller).
    pub(crate) fn into_saved(self) -> Result<SavedModel> {
        let blend = match self.blend {
            None => None,
            Some(b) => Some(blend_before_version_5(
                b.parts
                    .into_iter()
                    .map(|p| Ok((p.weight, p.model.into_saved()?)))
                    .collect::<Result<_>>()?,
                b.std_ratio,
            )?),
        };
        Ok(SavedModel {
            model: self.model.into_parts(),
            blend,
        })
    }
}

/// A blend of a file before version 5 (its parts already converted): its std is the
/// holder's times the ratio, the only rule those versions knew. Each part is checked as it
/// is built.
pub(crate) fn blend_before_version_5(
    parts: Vec<(f64, SavedModel)>,
    std_ratio: f64,
) -> Result<Blend> {
    Ok(Blend {
        parts: parts
            .into_iter()
            .map(|(weight, model)| {
                Ok(BlendPart {
                    weight,
                    model: Interpolator::try_from(model)?,
                })
            })
            .collect::<Result<Vec<_>>>()?,
        std_ratio,
        std_rule: BlendStd::HolderTimesRatio,
    })
}
