//! `train`'s training flags, made from the library's one description of the options
//! ([`fivedreg::params`]): each option's flag, help, default and valid range come from
//! there, and the values parse into a [`TrainSpec`], whose [`TrainSpec::plan`] checks them
//! as the server and Python have them checked.

use clap::{Arg, ArgAction, ArgMatches, Command};
use fivedreg::{params, ParamDefault, ParamInfo, ParamKind, TrainSpec};
use serde_json::{json, Value};

/// The training options given on the command line (those not given are left out, and take
/// their defaults in [`TrainSpec::plan`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpecArgs(pub TrainSpec);

/// Capitalizes the first letter of a help text.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A real number that is finite: every real option's range is finite, and a NaN could
/// not travel in the spec's JSON (it would read as "not given").
fn finite(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err("not a finite number".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// The flag of one option.
fn arg_of(info: &ParamInfo) -> Arg {
    let flag = info.flag();
    let long = flag.trim_start_matches("--").to_string();
    let arg = Arg::new(info.name).long(long);
    let valid = if info.valid.is_empty() {
        String::new()
    } else {
        format!(", {}", info.valid)
    };
    match info.kind {
        ParamKind::Bool => {
            let help = match info.default {
                ParamDefault::Bool(true) => sentence(info.off_doc),
                _ => sentence(info.doc),
            };
            arg.action(ArgAction::SetTrue).help(help)
        }
        kind => {
            let help = format!(
                "{}{valid} [default: {}]",
                sentence(info.doc),
                info.default_text
            );
            let arg = arg
                .action(ArgAction::Set)
                .allow_negative_numbers(true)
                .help(help);
            match kind {
                ParamKind::Integer => arg.value_name("N").value_parser(clap::value_parser!(u64)),
                ParamKind::Real => arg.value_name("X").value_parser(finite),
                ParamKind::Choice => arg.value_name(info.name.to_uppercase()).value_parser(
                    clap::builder::PossibleValuesParser::new(info.choices.iter().copied()),
                ),
                ParamKind::IntegerList => arg
                    .value_name("N,N,..")
                    .value_delimiter(',')
                    .allow_hyphen_values(true)
                    .value_parser(clap::value_parser!(u64)),
                _ => arg
                    .value_name("X,X,..")
                    .value_delimiter(',')
                    .allow_hyphen_values(true)
                    .value_parser(finite),
            }
        }
    }
}

/// The value given for one option, as the spec's JSON has it.
fn value_of(info: &ParamInfo, matches: &ArgMatches) -> Option<Value> {
    let id = info.name;
    match info.kind {
        // A switch's flag turns its default around.
        ParamKind::Bool => matches
            .get_flag(id)
            .then(|| json!(!matches!(info.default, ParamDefault::Bool(true)))),
        ParamKind::Integer => matches.get_one::<u64>(id).map(|v| json!(v)),
        ParamKind::Real => matches.get_one::<f64>(id).map(|v| json!(v)),
        ParamKind::Choice => matches.get_one::<String>(id).map(|v| json!(v)),
        ParamKind::IntegerList => matches
            .get_many::<u64>(id)
            .map(|v| json!(v.copied().collect::<Vec<_>>())),
        ParamKind::RealList => matches
            .get_many::<f64>(id)
            .map(|v| json!(v.copied().collect::<Vec<_>>())),
    }
}

impl clap::FromArgMatches for SpecArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = SpecArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        let mut given = serde_json::Map::new();
        for info in params() {
            if let Some(value) = value_of(&info, matches) {
                given.insert(info.name.to_string(), value);
            }
        }
        self.0 = serde_json::from_value(Value::Object(given)).map_err(|e| {
            // A value past the option's type (an integer above usize): one line, as clap's.
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{e}\n"))
        })?;
        Ok(())
    }
}

impl clap::Args for SpecArgs {
    fn augment_args(command: Command) -> Command {
        params()
            .iter()
            .fold(command, |command, info| command.arg(arg_of(info)))
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Args, FromArgMatches};

    fn parse(args: &[&str]) -> TrainSpec {
        let command = SpecArgs::augment_args(Command::new("train").no_binary_name(true));
        let matches = command.try_get_matches_from(args).unwrap();
        SpecArgs::from_arg_matches(&matches).unwrap().0
    }

    #[test]
    fn no_flag_is_the_empty_spec() {
        assert_eq!(parse(&[]), TrainSpec::default());
    }

    #[test]
    fn every_option_has_its_flag() {
        let spec = parse(&[
            "--solver",
            "lbfgs",
            "--hidden",
            "8,4",
            "--learning-rate",
            "0.01",
            "--no-early-stopping",
            "--power-transform",
            "--split",
            "0.7,0.1,0.2",
            "--seed",
            "18446744073709551615",
            "--beta1",
            "0.8",
        ]);
        assert_eq!(spec.solver, Some(fivedreg::Solver::Lbfgs));
        assert_eq!(spec.hidden, Some(vec![8, 4]));
        assert_eq!(spec.learning_rate, Some(0.01));
        assert_eq!(spec.early_stopping, Some(false));
        assert_eq!(spec.power_transform, Some(true));
        assert_eq!(spec.split, Some(vec![0.7, 0.1, 0.2]));
        assert_eq!(spec.seed, Some(u64::MAX));
        assert_eq!(spec.beta1, Some(0.8));
        // A NaN is refused by the parser, never read as "not given".
        let command = SpecArgs::augment_args(Command::new("train").no_binary_name(true));
        for flags in [["--alpha", "NaN"], ["--split", "0.5,NaN,0.5"]] {
            assert!(
                command.clone().try_get_matches_from(flags).is_err(),
                "{flags:?}"
            );
        }
        // Every option of the library has a flag.
        let command = SpecArgs::augment_args(Command::new("train"));
        for info in params() {
            let flag = info.flag();
            assert!(
                command
                    .get_arguments()
                    .any(|a| a.get_long() == Some(flag.trim_start_matches("--"))),
                "{flag}"
            );
        }
    }
}
