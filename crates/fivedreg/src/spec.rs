//! [`TrainSpec`]: every training option, defined once for every front end.
//!
//! The command line, the HTTP API and the Python estimator all build a [`TrainSpec`] and
//! call [`TrainSpec::plan`], the one place where the rules that tie options together live:
//! the solver's default split, early stopping only with Adam, `auto` choosing the solver
//! and the ensemble itself, `budget` only with `auto`. [`params`] describes each option as
//! data ([`ParamInfo`]: its name, its command-line flag, its Python name, its default, its
//! valid range and what it does), from which the command line builds its flags and help,
//! the server its `GET /api/v1/hyperparameters`, and Python its parameter constraints.
//!
//! Adding an option: a field here, a [`Param`] variant with its [`ParamInfo`], and its
//! place in [`TrainSpec::plan`]; every front end then has it.

use crate::auto::{AutoOptions, ValidAutoOptions, MAX_BUDGET_SECONDS};
use crate::error::Error;
use crate::options::{FitOptions, ValidFitOptions, MAX_ENSEMBLE};
use fivedreg_data::SplitFractions;
use fivedreg_nn::{
    Activation, MlpParams, NnError, Solver, StopFlag, MAX_ALPHA, MAX_EPOCHS, MAX_FUN,
    MAX_HIDDEN_LAYERS, MAX_THREADS, MAX_WIDTH,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Every training option; a missing one takes its default (see [`params`]).
///
/// The field names are the HTTP API's (`options.learning_rate`) and the command line's
/// with `-` for `_` (`--learning-rate`); [`ParamInfo::python`] gives the Python
/// estimator's. Deserializing refuses unknown fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainSpec {
    /// The optimiser.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solver: Option<Solver>,
    /// The hidden layers' activation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation: Option<Activation>,
    /// Widths of the hidden layers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Vec<usize>>,
    /// Adam's step size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_rate: Option<f64>,
    /// Most epochs (Adam) or iterations (L-BFGS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_epochs: Option<usize>,
    /// Most loss evaluations (L-BFGS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_fun: Option<usize>,
    /// Rows per minibatch (default min(200, rows)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// L2 penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// Epochs without improvement tolerated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patience: Option<usize>,
    /// Least improvement that counts; L-BFGS's gradient tolerance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tol: Option<f64>,
    /// Adam's first-moment decay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta1: Option<f64>,
    /// Adam's second-moment decay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta2: Option<f64>,
    /// Adam's epsilon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
    /// New minibatch order every epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shuffle: Option<bool>,
    /// Stop on the validation R² (Adam only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<bool>,
    /// Standardize the features and the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<bool>,
    /// Yeo-Johnson transform of the features before scaling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_transform: Option<bool>,
    /// Train, validation and test fractions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split: Option<Vec<f64>>,
    /// Validation fraction without test rows (scikit-learn's), instead of `split`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation_fraction: Option<f64>,
    /// Seed of the split, the initial weights and the minibatch order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Training threads (0: every core); never changes the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    /// Members of an ensemble.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ensemble: Option<usize>,
    /// Choose the model by cross-validation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto: Option<bool>,
    /// Work-seconds `auto` may spend.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<f64>,
    /// Cross-validation folds of `auto` (and fold models of its result).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folds: Option<usize>,
}

/// One training option (a field of [`TrainSpec`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // Each variant is its field of TrainSpec; `params` documents them.
pub enum Param {
    Solver,
    Activation,
    Hidden,
    LearningRate,
    MaxEpochs,
    MaxFun,
    BatchSize,
    Alpha,
    Patience,
    Tol,
    Beta1,
    Beta2,
    Epsilon,
    Shuffle,
    EarlyStopping,
    Scale,
    PowerTransform,
    Split,
    ValidationFraction,
    Seed,
    Threads,
    Ensemble,
    Auto,
    Budget,
    Folds,
}

/// What kind of value an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    /// A whole number.
    Integer,
    /// A real number.
    Real,
    /// On or off.
    Bool,
    /// One of [`ParamInfo::choices`].
    Choice,
    /// Whole numbers (the bounds apply to each).
    IntegerList,
    /// Real numbers (the bounds apply to each).
    RealList,
}

/// An option's default.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamDefault {
    /// A number.
    Number(f64),
    /// A switch.
    Bool(bool),
    /// Whole numbers.
    Integers(Vec<usize>),
    /// Real numbers.
    Reals(Vec<f64>),
    /// A name, for a choice.
    Name(&'static str),
    /// Decided from the data or the other options ([`ParamInfo::default_text`] says how).
    Derived,
}

/// One option described as data: what every front end needs to offer it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamInfo {
    /// Which option.
    #[serde(skip)]
    pub param: Param,
    /// Its field in [`TrainSpec`] and in the HTTP API's job options.
    pub name: &'static str,
    /// The Python estimator's parameter (`None`: not offered there).
    pub python: Option<&'static str>,
    /// What kind of value it takes.
    pub kind: ParamKind,
    /// The valid names, for a choice.
    pub choices: &'static [&'static str],
    /// Its default.
    pub default: ParamDefault,
    /// The default in words, as help texts show it.
    pub default_text: String,
    /// Smallest valid value (of each element, for a list).
    pub min: Option<f64>,
    /// Whether `min` itself is invalid.
    pub min_exclusive: bool,
    /// Largest valid value (of each element, for a list).
    pub max: Option<f64>,
    /// Whether `max` itself is invalid.
    pub max_exclusive: bool,
    /// Most elements, for a list.
    pub max_len: Option<usize>,
    /// The valid range in words (empty: any value of its kind).
    pub valid: &'static str,
    /// What it does.
    pub doc: &'static str,
    /// For a switch that is on by default: what turning it off does.
    pub off_doc: &'static str,
}

impl ParamInfo {
    /// The command-line flag: `--learning-rate`; a switch that is on by default is turned
    /// off with `--no-…` (`--no-early-stopping`).
    pub fn flag(&self) -> String {
        let name = self.name.replace('_', "-");
        match self.default {
            ParamDefault::Bool(true) => format!("--no-{name}"),
            _ => format!("--{name}"),
        }
    }
}

impl Param {
    /// Its description.
    pub fn info(self) -> ParamInfo {
        // `params` holds every variant (a test checks it).
        params()
            .into_iter()
            .find(|p| p.param == self)
            .unwrap_or_else(|| unreachable!("every Param is in params()"))
    }

    /// Its field name in [`TrainSpec`] and the HTTP API.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The option a library error names (`hidden_layers` is [`Param::Hidden`]).
    pub fn of_library_name(name: &str) -> Option<Param> {
        Some(match name {
            "hidden_layers" => Param::Hidden,
            "budget_seconds" => Param::Budget,
            other => params().into_iter().find(|p| p.name == other)?.param,
        })
    }
}

/// A default as help shows it: `500`, `0.001`, `1e-8`.
fn fmt_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:?}")
    }
}

/// Every option, in the order of `fivedreg train --help`, with defaults taken from the
/// library's ([`MlpParams::default`], [`FitOptions::default`], [`AutoOptions::default`]).
pub fn params() -> Vec<ParamInfo> {
    let net = MlpParams::default();
    let fit = FitOptions::default();
    let auto = AutoOptions::default();
    let base = |param, name, python, kind, default: ParamDefault, doc| {
        let default_text = match &default {
            ParamDefault::Number(v) => fmt_number(*v),
            ParamDefault::Bool(b) => b.to_string(),
            ParamDefault::Integers(v) => {
                v.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
            }
            ParamDefault::Reals(v) => v
                .iter()
                .map(|x| fmt_number(*x))
                .collect::<Vec<_>>()
                .join(","),
            ParamDefault::Name(n) => n.to_string(),
            ParamDefault::Derived => String::new(),
        };
        ParamInfo {
            param,
            name,
            python,
            kind,
            choices: &[],
            default,
            default_text,
            min: None,
            min_exclusive: false,
            max: None,
            max_exclusive: false,
            max_len: None,
            valid: "",
            doc,
            off_doc: "",
        }
    };
    let split = fit.split;
    use ParamDefault::{Bool, Number};
    use ParamKind::{Integer, Real};
    vec![
        ParamInfo {
            choices: &["adam", "lbfgs"],
            ..base(
                Param::Solver,
                "solver",
                Some("solver"),
                ParamKind::Choice,
                ParamDefault::Name(net.solver.name()),
                "optimiser: `adam` (minibatches, early stopping on the validation R²; the seed \
                 system's) or `lbfgs` (full batch, scikit-learn's advice for small data sets; \
                 no validation rows needed, max_epochs counts its iterations)",
            )
        },
        ParamInfo {
            choices: &["relu", "tanh"],
            ..base(
                Param::Activation,
                "activation",
                Some("activation"),
                ParamKind::Choice,
                ParamDefault::Name(net.activation.name()),
                "activation of the hidden layers: `relu` (the seed system's) or `tanh` \
                 (smooth; often more accurate for smooth targets with the lbfgs solver)",
            )
        },
        ParamInfo {
            min: Some(1.0),
            max: Some(MAX_WIDTH as f64),
            max_len: Some(MAX_HIDDEN_LAYERS),
            valid: "1 to 64 layers, each 1 to 65536 wide",
            ..base(
                Param::Hidden,
                "hidden",
                Some("hidden_layer_sizes"),
                ParamKind::IntegerList,
                ParamDefault::Integers(net.hidden_layers.clone()),
                "widths of the hidden layers",
            )
        },
        ParamInfo {
            min: Some(0.0),
            min_exclusive: true,
            max: Some(1.0),
            valid: "(0, 1]",
            ..base(
                Param::LearningRate,
                "learning_rate",
                Some("learning_rate_init"),
                Real,
                Number(net.learning_rate),
                "Adam's step size",
            )
        },
        ParamInfo {
            min: Some(1.0),
            max: Some(MAX_EPOCHS as f64),
            valid: "1 to 1000000",
            ..base(
                Param::MaxEpochs,
                "max_epochs",
                Some("max_iter"),
                Integer,
                Number(net.max_epochs as f64),
                "most epochs (Adam) or iterations (L-BFGS)",
            )
        },
        ParamInfo {
            min: Some(1.0),
            max: Some(MAX_FUN as f64),
            valid: "1 to 100000000",
            ..base(
                Param::MaxFun,
                "max_fun",
                Some("max_fun"),
                Integer,
                Number(net.max_fun as f64),
                "most loss evaluations (L-BFGS only)",
            )
        },
        ParamInfo {
            min: Some(1.0),
            valid: ">= 1",
            default_text: "min(200, training rows)".into(),
            ..base(
                Param::BatchSize,
                "batch_size",
                Some("batch_size"),
                Integer,
                net.batch_size
                    .map_or(ParamDefault::Derived, |b| Number(b as f64)),
                "rows per minibatch (clipped to the training rows)",
            )
        },
        ParamInfo {
            min: Some(0.0),
            max: Some(MAX_ALPHA),
            valid: "0 to 1e9",
            ..base(
                Param::Alpha,
                "alpha",
                Some("alpha"),
                Real,
                Number(net.alpha),
                "L2 penalty on the weights",
            )
        },
        ParamInfo {
            min: Some(0.0),
            valid: ">= 0",
            ..base(
                Param::Patience,
                "patience",
                Some("n_iter_no_change"),
                Integer,
                Number(net.patience as f64),
                "epochs without improvement tolerated before stopping; training stops after \
                 patience + 1 such epochs in a row",
            )
        },
        ParamInfo {
            min: Some(0.0),
            valid: "finite, >= 0",
            ..base(
                Param::Tol,
                "tol",
                Some("tol"),
                Real,
                Number(net.tol),
                "smallest gain of the watched score that counts as an improvement; with the \
                 lbfgs solver, the largest gradient component at which it stops",
            )
        },
        ParamInfo {
            min: Some(0.0),
            max: Some(1.0),
            max_exclusive: true,
            valid: "[0, 1)",
            ..base(
                Param::Beta1,
                "beta1",
                Some("beta_1"),
                Real,
                Number(net.beta1),
                "Adam's first-moment decay",
            )
        },
        ParamInfo {
            min: Some(0.0),
            max: Some(1.0),
            max_exclusive: true,
            valid: "[0, 1)",
            ..base(
                Param::Beta2,
                "beta2",
                Some("beta_2"),
                Real,
                Number(net.beta2),
                "Adam's second-moment decay",
            )
        },
        ParamInfo {
            min: Some(0.0),
            min_exclusive: true,
            valid: "finite, > 0",
            ..base(
                Param::Epsilon,
                "epsilon",
                Some("epsilon"),
                Real,
                Number(net.epsilon),
                "Adam's epsilon",
            )
        },
        ParamInfo {
            off_doc: "the same minibatch order every epoch",
            ..base(
                Param::Shuffle,
                "shuffle",
                Some("shuffle"),
                ParamKind::Bool,
                Bool(net.shuffle),
                "new minibatch order every epoch",
            )
        },
        ParamInfo {
            off_doc: "do not stop on the validation R²: run until the training loss stops \
                      improving (by the same patience) or max_epochs, and keep the last weights",
            ..base(
                Param::EarlyStopping,
                "early_stopping",
                Some("early_stopping"),
                ParamKind::Bool,
                Bool(net.early_stopping),
                "stop on the validation R² (Adam only; needs validation rows)",
            )
        },
        ParamInfo {
            off_doc: "train on the features and the target as given, without standardizing \
                      them (a large scale may make training diverge)",
            ..base(
                Param::Scale,
                "scale",
                None,
                ParamKind::Bool,
                Bool(fit.scale_features && fit.scale_target),
                "standardize the features and the target (statistics of the training rows)",
            )
        },
        base(
            Param::PowerTransform,
            "power_transform",
            Some("power_transform"),
            ParamKind::Bool,
            Bool(fit.power_transform),
            "Yeo-Johnson transform of the features before standardizing them (for skewed \
             inputs; auto tries it by itself on skewed data)",
        ),
        ParamInfo {
            min: Some(0.0),
            max: Some(1.0),
            max_len: Some(3),
            valid: "3 fractions, each in [0, 1], summing to 1; training above 0, validation \
                    above 0 with Adam's early stopping",
            default_text: format!(
                "{},{},{}; 0.8,0,0.2 with the lbfgs solver",
                split.train(),
                split.validation(),
                split.test()
            ),
            ..base(
                Param::Split,
                "split",
                None,
                ParamKind::RealList,
                ParamDefault::Derived,
                "train, validation and test fractions (an ensemble pools the training and \
                 validation rows into its folds)",
            )
        },
        ParamInfo {
            min: Some(0.0),
            max: Some(1.0),
            max_exclusive: true,
            valid: "[0, 1)",
            default_text: "unset (split applies)".into(),
            ..base(
                Param::ValidationFraction,
                "validation_fraction",
                Some("validation_fraction"),
                Real,
                ParamDefault::Derived,
                "scikit-learn's split instead of split: no test rows, this fraction held out \
                 for early stopping when Adam watches it, every row trained on otherwise",
            )
        },
        ParamInfo {
            min: Some(0.0),
            max: Some(u64::MAX as f64),
            valid: "0 to 2^64-1",
            ..base(
                Param::Seed,
                "seed",
                Some("random_state"),
                Integer,
                Number(net.seed as f64),
                "seed of the split, the initial weights and the minibatch order; the same \
                 data, seed and options give a byte-identical model file",
            )
        },
        ParamInfo {
            min: Some(0.0),
            max: Some(MAX_THREADS as f64),
            valid: "0 to 1024 (0 = all cores)",
            ..base(
                Param::Threads,
                "threads",
                Some("n_threads"),
                Integer,
                Number(net.threads as f64),
                "training threads; the model does not depend on it",
            )
        },
        ParamInfo {
            min: Some(1.0),
            max: Some(MAX_ENSEMBLE as f64),
            valid: "1 to 64 (1 is a single network)",
            ..base(
                Param::Ensemble,
                "ensemble",
                Some("ensemble"),
                Integer,
                Number(fit.ensemble as f64),
                "networks in an ensemble: each holds out one of K folds of the training and \
                 validation rows, they differ in seed too, and their spread, calibrated on the \
                 held-out folds, gives the predictions' standard deviation",
            )
        },
        base(
            Param::Auto,
            "auto",
            Some("auto"),
            ParamKind::Bool,
            Bool(false),
            "choose the model by 5-fold cross-validation over a list of candidates (Adam and \
             L-BFGS networks sized to the data, boosted oblivious trees, RBF kernel models, a \
             power transform of skewed features) within the budget; the model kept is the \
             winner's (its fold models, or a kernel model refitted on every row) or a weighted \
             blend of the best across families, and it stores the leaderboard; leave solver \
             and ensemble out",
        ),
        ParamInfo {
            min: Some(0.0),
            min_exclusive: true,
            max: Some(MAX_BUDGET_SECONDS),
            valid: "above 0, at most 604800",
            ..base(
                Param::Budget,
                "budget",
                Some("budget"),
                Real,
                Number(auto.budget_seconds),
                "auto's budget in work-seconds: counted from each candidate's operations at \
                 fixed rates, not wall-clock time, so the same data, options and seed give the \
                 same model on a busy machine (auto only)",
            )
        },
        ParamInfo {
            min: Some(2.0),
            max: Some(MAX_ENSEMBLE as f64),
            valid: "2 to 64",
            ..base(
                Param::Folds,
                "folds",
                Some("folds"),
                Integer,
                Number(auto.folds as f64),
                "auto's cross-validation folds: each candidate is scored on every fold it held \
                 out, and a winner of fold models keeps one per fold (auto only)",
            )
        },
    ]
}

/// What [`TrainSpec::plan`] found wrong; [`SpecError::param`] names the option, and
/// [`SpecError::message`] words it in a front end's own terms.
#[derive(Debug)]
pub enum SpecError {
    /// A value outside its valid range.
    Invalid {
        /// The option.
        param: Param,
        /// The value, printed.
        value: String,
        /// The valid range, in words.
        valid: &'static str,
    },
    /// An option `auto` chooses itself was given with `auto`.
    AutoChooses(Param),
    /// An option of `auto` was given without it.
    OnlyWithAuto(Param),
    /// Two options that exclude each other were both given.
    Exclusive(Param, Param),
    /// Adam's early stopping has no validation rows to watch (`param`: where they come
    /// from).
    NoValidationRows(Param),
    /// Another error of the library.
    Library(Error),
}

impl SpecError {
    /// The option at fault.
    pub fn param(&self) -> Option<Param> {
        match self {
            SpecError::Invalid { param, .. }
            | SpecError::AutoChooses(param)
            | SpecError::OnlyWithAuto(param)
            | SpecError::Exclusive(param, _)
            | SpecError::NoValidationRows(param) => Some(*param),
            SpecError::Library(_) => None,
        }
    }

    /// The message, naming options as `name` spells them (a flag, a field, a Python name).
    pub fn message(&self, name: &dyn Fn(Param) -> String) -> String {
        match self {
            SpecError::Invalid {
                param,
                value,
                valid,
            } => format!("invalid {} {value}: must be {valid}", name(*param)),
            SpecError::AutoChooses(param) => format!(
                "{auto} chooses the {what} itself: leave {p} out, or leave {auto} off",
                auto = name(Param::Auto),
                what = param.name(),
                p = name(*param)
            ),
            SpecError::OnlyWithAuto(param) => {
                format!("{} applies to {} only", name(*param), name(Param::Auto))
            }
            SpecError::Exclusive(a, b) => {
                format!("give {} or {}, not both", name(*b), name(*a))
            }
            SpecError::NoValidationRows(param) => format!(
                "early stopping needs validation rows, but {} holds none out: give it a \
                 validation fraction above 0, or turn {} off",
                name(*param),
                name(Param::EarlyStopping)
            ),
            SpecError::Library(e) => e.message(name),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(&|p| p.name().to_string()))
    }
}

impl std::error::Error for SpecError {}

impl From<Error> for SpecError {
    fn from(error: Error) -> SpecError {
        match error {
            Error::InvalidOption { name, value, valid }
            | Error::Nn(NnError::InvalidParam { name, value, valid }) => {
                match Param::of_library_name(name) {
                    Some(param) => SpecError::Invalid {
                        param,
                        value,
                        valid,
                    },
                    None => SpecError::Library(Error::InvalidOption { name, value, valid }),
                }
            }
            other => SpecError::Library(other),
        }
    }
}

/// What a [`TrainSpec`] runs: one fit, or `auto`'s model selection.
#[derive(Debug, Clone)]
pub enum Plan {
    /// [`Interpolator::fit`](crate::Interpolator::fit) with these options.
    Fit(ValidFitOptions),
    /// [`Interpolator::fit_auto`](crate::Interpolator::fit_auto) with these options.
    Auto(ValidAutoOptions),
}

impl Plan {
    /// The fit options (for `auto`, those every candidate shares: the split, the seed,
    /// the threads).
    pub fn base(&self) -> &FitOptions {
        match self {
            Plan::Fit(options) => options.options(),
            Plan::Auto(auto) => &auto.options().base,
        }
    }
}

impl TrainSpec {
    /// The checked plan: every rule that ties the options together, and every range.
    pub fn plan(&self) -> Result<Plan, SpecError> {
        let auto = self.auto.unwrap_or(false);
        if auto {
            if self.solver.is_some() {
                return Err(SpecError::AutoChooses(Param::Solver));
            }
            if self.ensemble.is_some() {
                return Err(SpecError::AutoChooses(Param::Ensemble));
            }
        } else if self.budget.is_some() {
            return Err(SpecError::OnlyWithAuto(Param::Budget));
        } else if self.folds.is_some() {
            return Err(SpecError::OnlyWithAuto(Param::Folds));
        }
        if self.split.is_some() && self.validation_fraction.is_some() {
            return Err(SpecError::Exclusive(
                Param::Split,
                Param::ValidationFraction,
            ));
        }
        let d = MlpParams::default();
        let solver = self.solver.unwrap_or(d.solver);
        let ensemble = self.ensemble.unwrap_or(1);
        // L-BFGS watches no validation rows.
        let early_stopping =
            self.early_stopping.unwrap_or(d.early_stopping) && solver == Solver::Adam;
        let split = self.split_fractions(solver, early_stopping && ensemble == 1 && !auto)?;
        let scale = self.scale.unwrap_or(true);
        let options = FitOptions {
            split,
            scale_features: scale,
            scale_target: scale,
            power_transform: self.power_transform.unwrap_or(false),
            ensemble,
            network: MlpParams {
                solver,
                activation: self.activation.unwrap_or(d.activation),
                hidden_layers: self.hidden.clone().unwrap_or(d.hidden_layers),
                learning_rate: self.learning_rate.unwrap_or(d.learning_rate),
                max_epochs: self.max_epochs.unwrap_or(d.max_epochs),
                max_fun: self.max_fun.unwrap_or(d.max_fun),
                batch_size: self.batch_size.or(d.batch_size),
                alpha: self.alpha.unwrap_or(d.alpha),
                early_stopping,
                patience: self.patience.unwrap_or(d.patience),
                tol: self.tol.unwrap_or(d.tol),
                beta1: self.beta1.unwrap_or(d.beta1),
                beta2: self.beta2.unwrap_or(d.beta2),
                epsilon: self.epsilon.unwrap_or(d.epsilon),
                shuffle: self.shuffle.unwrap_or(d.shuffle),
                seed: self.seed.unwrap_or(d.seed),
                threads: self.threads.unwrap_or(d.threads),
                // A fresh flag: the front end keeps a clone to stop this training.
                stop: StopFlag::new(),
            },
            ..FitOptions::default()
        };
        let rows_from = if self.validation_fraction.is_some() {
            Param::ValidationFraction
        } else {
            Param::Split
        };
        let checked = if auto {
            AutoOptions {
                budget_seconds: self.budget.unwrap_or(AutoOptions::default().budget_seconds),
                folds: self.folds.unwrap_or(AutoOptions::default().folds),
                base: options,
            }
            .check()
            .map(Plan::Auto)
        } else {
            options.check().map(Plan::Fit)
        };
        checked.map_err(|e| match e {
            Error::NoValidationRows(_) => SpecError::NoValidationRows(rows_from),
            other => SpecError::from(other),
        })
    }

    /// The split: `split`, or scikit-learn's from `validation_fraction` (validation rows
    /// only when `watches` them), or the solver's default.
    fn split_fractions(&self, solver: Solver, watches: bool) -> Result<SplitFractions, SpecError> {
        let invalid = |param, value: String, valid| SpecError::Invalid {
            param,
            value,
            valid,
        };
        if let Some(v) = self.validation_fraction {
            if !(0.0..1.0).contains(&v) {
                return Err(invalid(
                    Param::ValidationFraction,
                    v.to_string(),
                    "in [0, 1)",
                ));
            }
            let (train, validation) = if watches { (1.0 - v, v) } else { (1.0, 0.0) };
            return SplitFractions::new(train, validation, 0.0)
                .map_err(|e| SpecError::Library(Error::Data(e)));
        }
        let default: &[f64] = if solver == Solver::Lbfgs {
            &[0.8, 0.0, 0.2]
        } else {
            &[0.6, 0.2, 0.2]
        };
        let fractions = self.split.as_deref().unwrap_or(default);
        let text = || {
            fractions
                .iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        match *fractions {
            [train, validation, test] => {
                SplitFractions::new(train, validation, test).map_err(|_| {
                    invalid(
                        Param::Split,
                        text(),
                        "3 fractions, each in [0, 1], summing to 1",
                    )
                })
            }
            _ => Err(invalid(
                Param::Split,
                text(),
                "3 fractions (train, validation, test)",
            )),
        }
    }

    /// A spec from options named as the Python estimator names them (`learning_rate_init`),
    /// given as a JSON object; an unknown name is refused.
    pub fn from_python_json(json: &str) -> Result<TrainSpec, String> {
        let given: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| e.to_string())?;
        let table = params();
        let mut renamed = serde_json::Map::new();
        for (python, value) in given {
            let info = table
                .iter()
                .find(|p| p.python == Some(python.as_str()))
                .ok_or_else(|| format!("unknown option {python:?}"))?;
            if !value.is_null() {
                renamed.insert(info.name.to_string(), value);
            }
        }
        serde_json::from_value(serde_json::Value::Object(renamed)).map_err(|e| {
            // serde names the field as the spec does; say it as Python does.
            let mut message = e.to_string();
            for p in &table {
                if let Some(python) = p.python {
                    message = message.replace(&format!("`{}`", p.name), &format!("`{python}`"));
                }
            }
            message
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_params() -> Vec<Param> {
        params().into_iter().map(|p| p.param).collect()
    }

    #[test]
    fn every_field_has_one_description_and_back() {
        let table = params();
        // Every field of a spec with all options set is described, and nothing else is.
        let full = TrainSpec {
            solver: Some(Solver::Adam),
            activation: Some(Activation::Relu),
            hidden: Some(vec![1]),
            learning_rate: Some(0.1),
            max_epochs: Some(1),
            max_fun: Some(1),
            batch_size: Some(1),
            alpha: Some(0.0),
            patience: Some(1),
            tol: Some(0.0),
            beta1: Some(0.5),
            beta2: Some(0.5),
            epsilon: Some(1.0),
            shuffle: Some(true),
            early_stopping: Some(true),
            scale: Some(true),
            power_transform: Some(true),
            split: Some(vec![0.6, 0.2, 0.2]),
            validation_fraction: Some(0.1),
            seed: Some(1),
            threads: Some(1),
            ensemble: Some(1),
            auto: Some(false),
            budget: Some(1.0),
            folds: Some(2),
        };
        let json = serde_json::to_value(&full).unwrap();
        let fields: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(fields.len(), table.len());
        for info in &table {
            assert!(json.get(info.name).is_some(), "{}", info.name);
            assert_eq!(Param::of_library_name(info.name), Some(info.param));
        }
        let mut seen = std::collections::HashSet::new();
        assert!(all_params().into_iter().all(|p| seen.insert(p)));
        let pythons: Vec<_> = table.iter().filter_map(|p| p.python).collect();
        let unique: std::collections::HashSet<_> = pythons.iter().collect();
        assert_eq!(unique.len(), pythons.len());
    }

    #[test]
    fn the_empty_spec_is_the_library_default() {
        let Plan::Fit(options) = TrainSpec::default().plan().unwrap() else {
            panic!("not a fit")
        };
        assert_eq!(options.options(), &FitOptions::default());
    }

    #[test]
    fn defaults_in_the_table_are_the_library_defaults() {
        for info in params() {
            let value = match &info.default {
                ParamDefault::Derived => continue,
                ParamDefault::Number(v) => serde_json::json!(v),
                ParamDefault::Bool(b) => serde_json::json!(b),
                ParamDefault::Integers(v) => serde_json::json!(v),
                ParamDefault::Reals(v) => serde_json::json!(v),
                ParamDefault::Name(n) => serde_json::json!(n),
            };
            // Integers go in as integers.
            let value = match (info.kind, value.as_f64()) {
                (ParamKind::Integer, Some(v)) => serde_json::json!(v as u64),
                _ => value,
            };
            let mut object = serde_json::Map::new();
            object.insert(info.name.into(), value);
            if auto_only(info.param) {
                object.insert("auto".into(), serde_json::json!(true));
            }
            let spec: TrainSpec = serde_json::from_value(object.into()).unwrap();
            let with_default = spec.plan().unwrap();
            let plain = if auto_only(info.param) {
                TrainSpec {
                    auto: Some(true),
                    ..Default::default()
                }
            } else {
                TrainSpec::default()
            }
            .plan()
            .unwrap();
            assert_eq!(
                format!("{with_default:?}"),
                format!("{plain:?}"),
                "{}",
                info.name
            );
        }
    }

    fn auto_only(param: Param) -> bool {
        matches!(param, Param::Budget | Param::Folds)
    }

    /// A value of `info`'s kind, for the bound checks.
    fn spec_with(info: &ParamInfo, v: f64) -> TrainSpec {
        let value = match info.kind {
            ParamKind::IntegerList => serde_json::json!([v as u64]),
            ParamKind::Integer if v >= 0.0 => serde_json::json!(v as u64),
            _ => serde_json::json!(v),
        };
        let mut object = serde_json::Map::new();
        object.insert(info.name.into(), value);
        if auto_only(info.param) {
            object.insert("auto".into(), serde_json::json!(true));
        }
        serde_json::from_value(object.into()).unwrap()
    }

    #[test]
    fn the_bounds_in_the_table_are_the_ones_plan_enforces() {
        for info in params() {
            if matches!(
                info.kind,
                ParamKind::RealList | ParamKind::Bool | ParamKind::Choice
            ) {
                continue;
            }
            // Past an integer's bound by one, past a real's by a little.
            let step = |b: f64| match info.kind {
                ParamKind::Real => 1e-9 * b.abs().max(1.0),
                _ => 1.0,
            };
            if let Some(min) = info.min {
                let inside = if info.min_exclusive {
                    min + step(min)
                } else {
                    min
                };
                let outside = if info.min_exclusive {
                    min
                } else {
                    min - step(min)
                };
                // The smallest valid value plans (early stopping needs a validation fraction
                // above 0, so that one is checked with Adam's early stopping off).
                let mut spec = spec_with(&info, inside);
                if info.param == Param::ValidationFraction {
                    spec.early_stopping = Some(false);
                }
                assert!(spec.plan().is_ok(), "{} = {inside}", info.name);
                if outside >= 0.0 || info.kind == ParamKind::Real {
                    let err = spec_with(&info, outside).plan().unwrap_err();
                    assert_eq!(
                        err.param(),
                        Some(info.param),
                        "{} = {outside}: {err}",
                        info.name
                    );
                }
            }
            if let Some(max) = info.max {
                if max >= 1e15 && info.kind == ParamKind::Integer {
                    continue; // the seed: every u64 is valid
                }
                let inside = if info.max_exclusive {
                    max - step(max)
                } else {
                    max
                };
                let outside = if info.max_exclusive {
                    max
                } else {
                    max + step(max)
                };
                assert!(
                    spec_with(&info, inside).plan().is_ok(),
                    "{} = {inside}",
                    info.name
                );
                let err = spec_with(&info, outside).plan().unwrap_err();
                assert_eq!(
                    err.param(),
                    Some(info.param),
                    "{} = {outside}: {err}",
                    info.name
                );
            }
        }
    }

    #[test]
    fn the_rules_live_in_plan() {
        let lbfgs = TrainSpec {
            solver: Some(Solver::Lbfgs),
            ..Default::default()
        }
        .plan()
        .unwrap();
        let split = lbfgs.base().split;
        assert_eq!(
            (split.train(), split.validation(), split.test()),
            (0.8, 0.0, 0.2)
        );
        assert!(!lbfgs.base().network.early_stopping);
        let auto_solver = TrainSpec {
            auto: Some(true),
            solver: Some(Solver::Adam),
            ..Default::default()
        };
        assert!(matches!(
            auto_solver.plan(),
            Err(SpecError::AutoChooses(Param::Solver))
        ));
        let budget = TrainSpec {
            budget: Some(5.0),
            ..Default::default()
        };
        assert!(matches!(
            budget.plan(),
            Err(SpecError::OnlyWithAuto(Param::Budget))
        ));
        let no_rows = TrainSpec {
            split: Some(vec![0.8, 0.0, 0.2]),
            ..Default::default()
        };
        assert!(matches!(
            no_rows.plan(),
            Err(SpecError::NoValidationRows(Param::Split))
        ));
        let both = TrainSpec {
            split: Some(vec![0.8, 0.0, 0.2]),
            validation_fraction: Some(0.1),
            ..Default::default()
        };
        assert!(matches!(both.plan(), Err(SpecError::Exclusive(_, _))));
    }

    #[test]
    fn validation_fraction_is_scikit_learns_split() {
        let fractions = |spec: TrainSpec| {
            let s = spec.plan().unwrap().base().split;
            (s.train(), s.validation(), s.test())
        };
        let adam = TrainSpec {
            validation_fraction: Some(0.25),
            ..Default::default()
        };
        assert_eq!(fractions(adam), (0.75, 0.25, 0.0));
        for no_watch in [
            TrainSpec {
                validation_fraction: Some(0.25),
                solver: Some(Solver::Lbfgs),
                ..Default::default()
            },
            TrainSpec {
                validation_fraction: Some(0.25),
                ensemble: Some(3),
                ..Default::default()
            },
            TrainSpec {
                validation_fraction: Some(0.25),
                auto: Some(true),
                ..Default::default()
            },
            TrainSpec {
                validation_fraction: Some(0.25),
                early_stopping: Some(false),
                ..Default::default()
            },
        ] {
            assert_eq!(fractions(no_watch), (1.0, 0.0, 0.0));
        }
    }

    #[test]
    fn messages_name_options_in_each_front_ends_terms() {
        let err = TrainSpec {
            learning_rate: Some(2.0),
            ..Default::default()
        }
        .plan()
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid learning_rate 2.0: must be in (0, 1]"
        );
        let flag = err.message(&|p| p.info().flag());
        assert_eq!(flag, "invalid --learning-rate 2.0: must be in (0, 1]");
        let python = err.message(&|p| p.info().python.unwrap_or("?").to_string());
        assert!(python.starts_with("invalid learning_rate_init"), "{python}");
    }

    #[test]
    fn python_names_map_onto_the_spec() {
        let spec = TrainSpec::from_python_json(
            r#"{"learning_rate_init": 0.01, "max_iter": 7, "random_state": 3, "batch_size": null}"#,
        )
        .unwrap();
        assert_eq!(spec.learning_rate, Some(0.01));
        assert_eq!(spec.max_epochs, Some(7));
        assert_eq!(spec.seed, Some(3));
        assert_eq!(spec.batch_size, None);
        let unknown = TrainSpec::from_python_json(r#"{"learning_rate": 0.01}"#).unwrap_err();
        assert!(unknown.contains("learning_rate"), "{unknown}");
    }
}
