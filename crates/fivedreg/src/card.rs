//! One description of a model as it was kept, for every front end: what kind of model it
//! is, what its members are, how its standard deviation is made and what it blends. The
//! facts live here; `fivedreg inspect` words them, `inspect --json`, the server's model
//! answers and Python's `FiveDRegressor.card_` carry them as they are.

use crate::blend::BlendStd;
use crate::interpolator::{Interpolator, Members};
use serde::{Deserialize, Serialize};

/// The description of a kept model (see [`Interpolator::card`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// What its members are.
    pub kind: MemberKind,
    /// One member in words (`5 → 64 → 32 → 16 → 1 (relu)`, `RBF quintic, smoothing 30,
    /// 1200 centres`, `120 oblivious trees of depth 6`).
    pub member: String,
    /// How many members it holds.
    pub members: usize,
    /// How they were fitted.
    pub fitted: HowFitted,
    /// The networks' solver (none for other kinds).
    pub solver: Option<String>,
    /// Trainable parameters of one member.
    pub parameters: usize,
    /// How its standard deviation is made (none: it has none, as a single network).
    pub std: Option<StdCard>,
    /// What it blends (none without a blend).
    pub blend: Option<BlendCard>,
}

/// A model's kind of members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    /// Neural networks.
    Networks,
    /// RBF kernel models.
    Kernel,
    /// Gradient-boosted oblivious trees.
    Trees,
}

/// How a model's members were fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HowFitted {
    /// One model on the training rows.
    Single,
    /// One model per fold, each holding that fold out (an ensemble).
    EachHoldingOutOneFold,
    /// One model refitted on every row after the folds scored its settings (`--auto`'s
    /// kernel models).
    RefittedOnEveryRow,
}

/// How a model's standard deviation is made from its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StdCard {
    /// The rule.
    pub rule: StdRule,
    /// The scale calibrated on the held-out folds.
    pub scale: f64,
    /// The floor (see [`StdRule`]).
    pub floor: f64,
    /// Share of the test rows within ±1.96 std (none without test rows).
    pub test_coverage: Option<f64>,
}

/// The forms of a calibrated standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StdRule {
    /// `spread × scale + floor`: a network ensemble's.
    Spread,
    /// `√(floor² + (spread × scale)²)`: a tree ensemble's.
    SpreadInQuadrature,
    /// `√(floor² + (power function × scale)²)`: a kernel model's, growing away from its
    /// centres.
    PowerFunction,
    /// `floor` on every row: a kernel model written before format version 5.
    Constant,
}

/// What a blend mixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlendCard {
    /// The model holding the blend, its weight.
    pub main_weight: f64,
    /// The other models.
    pub parts: Vec<BlendPartCard>,
    /// How the blend's std is made.
    pub std_rule: BlendStd,
    /// The factor on it.
    pub std_ratio: f64,
}

/// One other model of a blend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlendPartCard {
    /// Its weight.
    pub weight: f64,
    /// Its kind.
    pub kind: MemberKind,
    /// One member in words.
    pub member: String,
    /// How many members it holds.
    pub members: usize,
}

impl ModelCard {
    /// The card as JSON (what `inspect --json` gives under `card`), for front ends that
    /// pass text (Python's `FiveDRegressor.card_`).
    pub fn to_json(&self) -> String {
        // Plain data (strings, numbers, options, lists): serializing it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn kind_of(model: &Interpolator) -> MemberKind {
    match model.members() {
        Members::Networks(_) => MemberKind::Networks,
        Members::Kernels(_) => MemberKind::Kernel,
        Members::Trees(_) => MemberKind::Trees,
    }
}

impl Interpolator {
    /// The model's description: one source for `inspect`, the server and Python.
    pub fn card(&self) -> ModelCard {
        let kind = kind_of(self);
        let members = self.members().len();
        let ensemble = self.summary().ensemble.as_ref();
        let fitted = match (kind, members, ensemble) {
            (MemberKind::Kernel, 1, Some(_)) => HowFitted::RefittedOnEveryRow,
            (_, _, Some(_)) => HowFitted::EachHoldingOutOneFold,
            _ => HowFitted::Single,
        };
        let std = ensemble.map(|e| StdCard {
            rule: match kind {
                MemberKind::Trees => StdRule::SpreadInQuadrature,
                MemberKind::Kernel if e.std_scale > 0.0 => StdRule::PowerFunction,
                _ if members == 1 || e.std_scale == 0.0 => StdRule::Constant,
                _ => StdRule::Spread,
            },
            scale: e.std_scale,
            floor: e.std_floor,
            test_coverage: e.test_coverage,
        });
        ModelCard {
            kind,
            member: self.describe_member(),
            members,
            fitted,
            solver: (kind == MemberKind::Networks)
                .then(|| self.options().network.solver.name().to_string()),
            parameters: self.n_parameters(),
            std,
            blend: self.blend().map(|b| BlendCard {
                main_weight: b.main_weight(),
                parts: b
                    .parts
                    .iter()
                    .map(|p| BlendPartCard {
                        weight: p.weight,
                        kind: kind_of(&p.model),
                        member: p.model.describe_member(),
                        members: p.model.members().len(),
                    })
                    .collect(),
                std_rule: b.std_rule,
                std_ratio: b.std_ratio,
            }),
        }
    }
}
