//! The payload of format version 4, frozen: what its files hold, decoded into types of its
//! own and converted to today's model. Version 5 added how a blend's standard deviation is
//! made (`BlendStd`); a version-4 blend's is its holder's times the ratio. Every other
//! type is as version 4 left it (a kernel model's position-dependent std is derived from
//! what it always stored), and is used as it is.

use crate::error::Result;
use crate::format_v3::blend_before_version_5;
use crate::interpolator::{ModelParts, SavedModel};
use serde::Deserialize;

/// Version 4's whole payload: a model and its blend.
#[derive(Deserialize)]
pub(crate) struct SavedModelV4 {
    model: ModelParts,
    blend: Option<BlendV4>,
}

#[derive(Deserialize)]
struct BlendV4 {
    parts: Vec<BlendPartV4>,
    std_ratio: f64,
}

#[derive(Deserialize)]
struct BlendPartV4 {
    weight: f64,
    model: SavedModelV4,
}

impl SavedModelV4 {
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
            model: self.model,
            blend,
        })
    }
}
