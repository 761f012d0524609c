//! `GET /api/v1/hyperparameters`: the job options with their defaults and valid ranges,
//! taken from the library's own description of the options ([`fivedreg::params`]), plus
//! slider ranges for the page.

use fivedreg::{Param, ParamDefault, ParamInfo, ParamKind};
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

/// Slider ranges `(min, max, log scale)` for the options where one makes sense; a page
/// concern, so it lives here (the ranges come from the library).
fn slider_range(param: Param) -> Option<(f64, f64, bool)> {
    Some(match param {
        Param::LearningRate => (1e-5, 1.0, true),
        Param::MaxEpochs => (1.0, 5000.0, true),
        Param::BatchSize => (1.0, 4096.0, true),
        Param::Alpha => (1e-7, 1.0, true),
        Param::Patience => (0.0, 100.0, false),
        Param::Tol => (1e-8, 1e-1, true),
        Param::Threads => (0.0, 64.0, false),
        Param::Ensemble => (1.0, 16.0, false),
        Param::Budget => (1.0, 3600.0, true),
        _ => return None,
    })
}

fn kind_name(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::Integer => "integer",
        ParamKind::Real => "real",
        ParamKind::Bool => "bool",
        ParamKind::IntegerList => "integer_list",
        ParamKind::RealList => "real_list",
        ParamKind::Choice => "choice",
    }
}

fn default_value(info: &ParamInfo) -> Value {
    match &info.default {
        ParamDefault::Number(v) if info.kind == ParamKind::Integer => json!(*v as u64),
        ParamDefault::Number(v) => json!(v),
        ParamDefault::Bool(b) => json!(b),
        ParamDefault::Integers(w) => json!(w),
        ParamDefault::Reals(w) => json!(w),
        ParamDefault::Name(name) => json!(name),
        ParamDefault::Derived => Value::Null,
    }
}

/// A slider range clipped into the option's valid range.
fn slider(info: &ParamInfo, (lo, hi, log): (f64, f64, bool)) -> Slider {
    let min = info.min.map_or(lo, |m| lo.max(m));
    let max = info.max.map_or(hi, |m| hi.min(m));
    Slider { min, max, log }
}

/// The job options: the library's [`fivedreg::params`], in the order of `fivedreg train
/// --help`.
pub fn hyperparameters() -> Hyperparameters {
    let options = fivedreg::params()
        .into_iter()
        .map(|info| {
            let meaning = match info.default {
                ParamDefault::Derived => format!("{}; by default {}", info.doc, info.default_text),
                _ => info.doc.to_string(),
            };
            Hyperparameter {
                name: info.name.to_string(),
                flag: info.flag(),
                kind: kind_name(info.kind).to_string(),
                choices: info.choices.iter().map(|c| c.to_string()).collect(),
                default: default_value(&info),
                min: info.min,
                min_exclusive: info.min_exclusive,
                max: info.max,
                max_exclusive: info.max_exclusive,
                max_len: info.max_len,
                meaning,
                slider: slider_range(info.param).map(|r| slider(&info, r)),
            }
        })
        .collect();
    Hyperparameters { options }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_of_the_spec_is_offered() {
        assert_eq!(hyperparameters().options.len(), fivedreg::params().len());
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
