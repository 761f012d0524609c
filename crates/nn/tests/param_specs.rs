//! `param_specs()` describes exactly what `MlpParams::check` accepts: every default is the
//! struct's default, every closed bound is accepted, every value just past a bound is
//! refused with the field's name, and every choice's names parse.

use fivedreg_nn::{
    param_specs, Activation, MlpParams, NnError, ParamDefault, ParamKind, ParamSpec, Solver,
};

/// `MlpParams::default()` with the field `name` set to `value` (each element, for a list).
fn with(name: &str, value: f64) -> MlpParams {
    let mut p = MlpParams::default();
    let int = |v: f64| v as usize;
    match name {
        "hidden_layers" => p.hidden_layers = vec![int(value); 2],
        "learning_rate" => p.learning_rate = value,
        "max_epochs" => p.max_epochs = int(value),
        "max_fun" => p.max_fun = int(value),
        "batch_size" => p.batch_size = Some(int(value)),
        "alpha" => p.alpha = value,
        "patience" => p.patience = int(value),
        "tol" => p.tol = value,
        "beta1" => p.beta1 = value,
        "beta2" => p.beta2 = value,
        "epsilon" => p.epsilon = value,
        "seed" => p.seed = value as u64,
        "threads" => p.threads = int(value),
        other => panic!("the test does not know how to set {other}"),
    }
    p
}

fn refused_as(p: MlpParams) -> Option<&'static str> {
    match p.check() {
        Err(NnError::InvalidParam { name, .. }) => Some(name),
        Err(other) => panic!("{other}"),
        Ok(_) => None,
    }
}

/// The nearest value past `bound` in the direction `outward` (+1 above, -1 below).
fn past(spec: &ParamSpec, bound: f64, exclusive: bool, outward: f64) -> f64 {
    if exclusive {
        return bound;
    }
    match spec.kind {
        ParamKind::Integer | ParamKind::IntegerList => bound + outward,
        _ => bound + outward * bound.abs().max(1.0) * 1e-9,
    }
}

#[test]
fn the_specs_match_the_checks() {
    let specs = param_specs();
    let defaults = MlpParams::default();
    let mut names: Vec<&str> = specs.iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), specs.len(), "a field is described twice");
    for spec in &specs {
        let default_is =
            |expected: ParamDefault| assert_eq!(spec.default, expected, "{}", spec.name);
        match spec.name {
            "hidden_layers" => default_is(ParamDefault::Widths(defaults.hidden_layers.clone())),
            "early_stopping" => default_is(ParamDefault::Bool(defaults.early_stopping)),
            "shuffle" => default_is(ParamDefault::Bool(defaults.shuffle)),
            "solver" => default_is(ParamDefault::Name(defaults.solver.name())),
            "activation" => default_is(ParamDefault::Name(defaults.activation.name())),
            "batch_size" => default_is(match defaults.batch_size {
                Some(b) => ParamDefault::Number(b as f64),
                None => ParamDefault::FromData,
            }),
            name => {
                let ParamDefault::Number(value) = spec.default else {
                    panic!("{name}: not a number")
                };
                // Setting the default changes nothing.
                assert_eq!(with(name, value), defaults, "{name}");
            }
        }
        if spec.kind == ParamKind::Choice {
            // Every listed name parses, and nothing else does.
            assert!(!spec.choices.is_empty(), "{}", spec.name);
            for &name in spec.choices {
                let parsed = match spec.name {
                    "solver" => name.parse::<Solver>().map(|s| s.name()),
                    "activation" => name.parse::<Activation>().map(|a| a.name()),
                    other => panic!("the test does not know the choice {other}"),
                };
                assert_eq!(parsed, Ok(name));
            }
            assert!("nonsense".parse::<Solver>().is_err());
            assert!("nonsense".parse::<Activation>().is_err());
            continue;
        }
        if spec.kind == ParamKind::Bool {
            assert!(spec.min.is_none() && spec.max.is_none(), "{}", spec.name);
            assert!(spec.choices.is_empty(), "{}", spec.name);
            continue;
        }
        if let Some(min) = spec.min {
            let inside = if spec.min_exclusive { min + 1e-12 } else { min };
            assert_eq!(
                refused_as(with(spec.name, inside)),
                None,
                "{} = {inside}",
                spec.name
            );
            // An unsigned field cannot go below 0: its bound is the type's.
            if min > 0.0 || spec.kind == ParamKind::Real {
                let outside = past(spec, min, spec.min_exclusive, -1.0);
                assert_eq!(
                    refused_as(with(spec.name, outside)),
                    Some(spec.name),
                    "{} = {outside}",
                    spec.name
                );
            }
        }
        match spec.max {
            // u64::MAX is the type's bound.
            Some(max) if spec.name != "seed" => {
                let inside = if spec.max_exclusive { max - 1e-12 } else { max };
                if spec.kind != ParamKind::IntegerList {
                    assert_eq!(
                        refused_as(with(spec.name, inside)),
                        None,
                        "{} = {inside}",
                        spec.name
                    );
                }
                let outside = past(spec, max, spec.max_exclusive, 1.0);
                assert_eq!(
                    refused_as(with(spec.name, outside)),
                    Some(spec.name),
                    "{} = {outside}",
                    spec.name
                );
            }
            _ => {}
        }
        if spec.kind == ParamKind::Real && spec.max.is_none() {
            assert_eq!(refused_as(with(spec.name, f64::INFINITY)), Some(spec.name));
        }
        if spec.kind == ParamKind::Real {
            assert_eq!(refused_as(with(spec.name, f64::NAN)), Some(spec.name));
        }
    }
    // Every field is described: those serialized, and `threads` (skipped by serde).
    let mut fields: Vec<String> = serde_json::to_value(MlpParams::default())
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    fields.push("threads".into());
    fields.sort();
    let mut described: Vec<String> = specs.iter().map(|s| s.name.to_string()).collect();
    described.sort();
    assert_eq!(described, fields);
    // The list's length bound.
    let hidden = specs.iter().find(|s| s.name == "hidden_layers").unwrap();
    let longest = hidden.max_len.unwrap();
    let mut p = MlpParams {
        hidden_layers: vec![1; longest],
        ..Default::default()
    };
    assert_eq!(refused_as(p.clone()), None);
    p.hidden_layers.push(1);
    assert_eq!(refused_as(p), Some("hidden_layers"));
}
