//! `GET /api/v1/hyperparameters`: the job options with their defaults and valid ranges,
//! taken from the library's own description of what it checks
//! ([`fivedreg_nn::param_specs`]), plus slider ranges for the page.

use fivedreg_nn::{param_specs, ParamDefault, ParamKind, ParamSpec};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// Writes a whole number without a fraction (`1`, not `1.0`), so that integer options read
/// back as integers.
fn whole<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.fract() == 0.0 && v.abs() < 9e15 {
        s.serialize_i64(*v as i64)
    } else {
        s.serialize_f64(*v)
    }
}

fn whole_option<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => whole(v, s),
        None => s.serialize_none(),
    }
}

/// A range for a slider: inside the valid range, wide enough for everyday use (the number
/// box beside it takes any valid value).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Slider {
    /// Left end.
    #[serde(serialize_with = "whole")]
    pub min: f64,
    /// Right end.
    #[serde(serialize_with = "whole")]
    pub max: f64,
    /// Whether the slider moves on a log scale.
    pub log: bool,
}

/// One job option.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Hyperparameter {
    /// Its name in `options` of `POST /api/v1/jobs`.
    pub name: String,
    /// The `fivedreg train` flag.
    pub flag: String,
    /// `integer`, `real`, `bool`, `choice`, `integer_list` or `real_list`.
    pub kind: String,
    /// The valid names, for a choice (empty otherwise).
    pub choices: Vec<String>,
    /// The default (`null`: decided from the data, see `meaning`).
    #[schema(value_type = Object)]
    pub default: Value,
    /// Smallest valid value (of each element, for a list).
    #[serde(serialize_with = "whole_option")]
    pub min: Option<f64>,
    /// Whether `min` itself is invalid.
    pub min_exclusive: bool,
    /// Largest valid value (of each element, for a list).
    #[serde(serialize_with = "whole_option")]
    pub max: Option<f64>,
    /// Whether `max` itself is invalid.
    pub max_exclusive: bool,
    /// Most elements, for a list.
    pub max_len: Option<usize>,
    /// What it does.
    pub meaning: String,
    /// A slider range for it, when one makes sense.
    pub slider: Option<Slider>,
}

/// Everything `GET /api/v1/hyperparameters` returns.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Hyperparameters {
    /// The options, in the order of `fivedreg train --help`.
    pub options: Vec<Hyperparameter>,
}

/// A slider's `(min, max, log scale)`.
type SliderRange = (f64, f64, bool);

/// The library's fields that are job options, the option's name, and a slider range
/// `(min, max, log)` when one makes sense.
const OPTIONS: &[(&str, &str, Option<SliderRange>)] = &[
    ("solver", "solver", None),
    ("activation", "activation", None),
    ("hidden_layers", "hidden", None),
    ("learning_rate", "learning_rate", Some((1e-5, 1.0, true))),
    ("max_epochs", "max_epochs", Some((1.0, 5000.0, true))),
    ("batch_size", "batch_size", Some((1.0, 4096.0, true))),
    ("alpha", "alpha", Some((1e-7, 1.0, true))),
    ("patience", "patience", Some((0.0, 100.0, false))),
    ("tol", "tol", Some((1e-8, 1e-1, true))),
    ("early_stopping", "no_early_stopping", None),
    ("seed", "seed", None),
    ("threads", "threads", Some((0.0, 64.0, false))),
];

fn kind_name(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::Integer => "integer",
        ParamKind::Real => "real",
        ParamKind::Bool => "bool",
        ParamKind::IntegerList => "integer_list",
        ParamKind::Choice => "choice",
    }
}

fn default_value(default: &ParamDefault) -> Value {
    match default {
        ParamDefault::Number(v) if v.fract() == 0.0 && v.abs() < 9e15 => json!(*v as i64),
        ParamDefault::Number(v) => json!(v),
        ParamDefault::Bool(b) => json!(b),
        ParamDefault::Widths(w) => json!(w),
        ParamDefault::Name(name) => json!(name),
        ParamDefault::FromData => Value::Null,
    }
}

/// A slider range clipped into the spec's valid range.
fn slider(spec: &ParamSpec, (lo, hi, log): (f64, f64, bool)) -> Slider {
    let min = spec.min.map_or(lo, |m| lo.max(m));
    let max = spec.max.map_or(hi, |m| hi.min(m));
    Slider { min, max, log }
}

fn flag(name: &str) -> String {
    format!("--{}", name.replace('_', "-"))
}

/// The job options, built from the library's specs.
pub fn hyperparameters() -> Hyperparameters {
    let specs = param_specs();
    let mut options: Vec<Hyperparameter> = OPTIONS
        .iter()
        .filter_map(|&(field, name, range)| {
            let spec = specs.iter().find(|s| s.name == field)?;
            let mut option = Hyperparameter {
                name: name.to_string(),
                flag: flag(name),
                kind: kind_name(spec.kind).to_string(),
                choices: spec.choices.iter().map(|c| c.to_string()).collect(),
                default: default_value(&spec.default),
                min: spec.min,
                min_exclusive: spec.min_exclusive,
                max: spec.max,
                max_exclusive: spec.max_exclusive,
                max_len: spec.max_len,
                meaning: spec.meaning.to_string(),
                slider: range.map(|r| slider(spec, r)),
            };
            // The command line turns the switch around: --no-early-stopping.
            if field == "early_stopping" {
                if let ParamDefault::Bool(on) = spec.default {
                    option.default = json!(!on);
                }
                option.meaning = "train until the training loss stops improving (or max_epochs) \
                                  instead of stopping on the validation R²"
                    .into();
            }
            Some(option)
        })
        .collect();
    let fit = fivedreg::FitOptions::default();
    let auto = fivedreg::AutoOptions::default();
    let split = fit.split;
    let plain = |name: &str, kind: &str, default: Value, meaning: &str| Hyperparameter {
        name: name.into(),
        flag: flag(name),
        kind: kind.into(),
        choices: Vec::new(),
        default,
        min: None,
        min_exclusive: false,
        max: None,
        max_exclusive: false,
        max_len: None,
        meaning: meaning.into(),
        slider: None,
    };
    options.push(plain(
        "no_scale",
        "bool",
        json!(!(fit.scale_features && fit.scale_target)),
        "train on the features and the target as given, without standardizing them",
    ));
    options.push(Hyperparameter {
        min: Some(0.0),
        max: Some(1.0),
        max_len: Some(3),
        ..plain(
            "split",
            "real_list",
            json!([split.train(), split.validation(), split.test()]),
            "train, validation and test fractions, summing to 1 (training above 0, \
             validation above 0 with Adam's early stopping); 0.8,0,0.2 by default with lbfgs",
        )
    });
    options.push(Hyperparameter {
        min: Some(1.0),
        max: Some(fivedreg::MAX_ENSEMBLE as f64),
        slider: Some(Slider {
            min: 1.0,
            max: 16.0,
            log: false,
        }),
        ..plain(
            "ensemble",
            "integer",
            json!(fit.ensemble),
            "networks in an ensemble, each holding out one fold; its predictions come \
             with a calibrated standard deviation (1 is a single network)",
        )
    });
    options.push(plain(
        "auto",
        "bool",
        json!(false),
        "choose the model by cross-validation over a list of candidates within the budget \
         (leave solver and ensemble out)",
    ));
    options.push(Hyperparameter {
        min: Some(0.0),
        min_exclusive: true,
        max: Some(fivedreg::MAX_BUDGET_SECONDS),
        slider: Some(Slider {
            min: 1.0,
            max: 3600.0,
            log: true,
        }),
        ..plain(
            "budget",
            "real",
            json!(auto.budget_seconds),
            "seconds auto may spend before it stops trying new candidates (auto only)",
        )
    });
    Hyperparameters { options }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_field_exists_in_the_library() {
        let specs = param_specs();
        for (field, _, _) in OPTIONS {
            assert!(specs.iter().any(|s| s.name == *field), "{field}");
        }
        assert_eq!(hyperparameters().options.len(), OPTIONS.len() + 5);
    }

    #[test]
    fn sliders_stay_inside_the_valid_ranges() {
        for option in hyperparameters().options {
            let Some(s) = &option.slider else { continue };
            assert!(s.min < s.max, "{}", option.name);
            if let Some(min) = option.min {
                assert!(
                    s.min > min || (s.min == min && !option.min_exclusive),
                    "{}",
                    option.name
                );
            }
            if let Some(max) = option.max {
                assert!(
                    s.max < max || (s.max == max && !option.max_exclusive),
                    "{}",
                    option.name
                );
            }
            if s.log {
                assert!(s.min > 0.0, "{}", option.name);
            }
        }
    }
}
