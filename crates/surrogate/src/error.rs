//! The toolkit's errors.

/// What can go wrong in the toolkit; each message is one line that names the option.
#[derive(Debug, thiserror::Error)]
pub enum SurrogateError {
    /// An entry of `--ranges` or `--at` that is not `NAME=VALUE`.
    #[error("invalid {option} entry {entry:?}: expected {expected}")]
    Syntax {
        /// The option (`--ranges`, `--at`).
        option: &'static str,
        /// The entry as given.
        entry: String,
        /// The expected form.
        expected: &'static str,
    },
    /// A name that is not one of the model's inputs.
    #[error("unknown input {name:?} in {option}: the model's inputs are {known}")]
    UnknownInput {
        /// The option that named it.
        option: &'static str,
        /// The name as given.
        name: String,
        /// The model's inputs, comma-separated.
        known: String,
    },
    /// An input named twice.
    #[error("input {name:?} appears twice in {option}")]
    Duplicate {
        /// The option.
        option: &'static str,
        /// The repeated name.
        name: String,
    },
    /// A range whose ends are not finite or not in order.
    #[error("invalid range for {name}: {low}:{high} (both ends finite, low below high)")]
    BadRange {
        /// The input.
        name: String,
        /// Its low end.
        low: f64,
        /// Its high end.
        high: f64,
    },
    /// An input without a range (a model file that records no training domain).
    #[error("no range for input {0:?}: the model records no training domain; give --ranges for every input")]
    MissingRange(String),
    /// A parameter outside its valid range.
    #[error("invalid {name} {value}: must be {valid}")]
    InvalidParam {
        /// The parameter (as the command line names it).
        name: &'static str,
        /// The value given.
        value: String,
        /// What it must be.
        valid: &'static str,
    },
    /// Two options of which exactly one must be given (`--lhs`/`--sobol`,
    /// `--minimize`/`--maximize`).
    #[error("give exactly one of {first} and {second}")]
    OneOf {
        /// The first.
        first: &'static str,
        /// The second.
        second: &'static str,
    },
    /// A command that needs the model's standard deviation, on a model without one.
    #[error("{what} needs a model with a standard deviation (train with --ensemble K or --auto); this model is a single network")]
    NoStd {
        /// What needed it.
        what: &'static str,
    },
    /// The model returned a value that is not finite.
    #[error("the model's prediction is not finite at {0}")]
    NotFinite(String),
    /// The model refused a prediction.
    #[error(transparent)]
    Model(#[from] fivedreg::Error),
}

impl SurrogateError {
    /// The option at fault, as the command line names it (`--ranges`, `--n`, `points`),
    /// when one is: a front end with other names maps it with
    /// [`message_with`](Self::message_with).
    pub fn option(&self) -> Option<&'static str> {
        match self {
            SurrogateError::Syntax { option, .. }
            | SurrogateError::UnknownInput { option, .. }
            | SurrogateError::Duplicate { option, .. } => Some(option),
            SurrogateError::BadRange { .. } | SurrogateError::MissingRange(_) => Some("--ranges"),
            SurrogateError::InvalidParam { name, .. } => Some(name),
            SurrogateError::OneOf { first, .. } => Some(first),
            SurrogateError::NoStd { .. }
            | SurrogateError::NotFinite(_)
            | SurrogateError::Model(_) => None,
        }
    }

    /// The message, with the option named by `rename` (the server names `--ranges`
    /// `ranges`, say) instead of as the command line names it.
    pub fn message_with(&self, rename: &dyn Fn(&'static str) -> String) -> String {
        if let SurrogateError::OneOf { first, second } = self {
            return format!(
                "give exactly one of {} and {}",
                rename(first),
                rename(second)
            );
        }
        let text = self.to_string();
        match self.option() {
            Some(option) => text.replace(option, &rename(option)),
            None => text,
        }
    }
}

/// The toolkit's result type.
pub type Result<T> = std::result::Result<T, SurrogateError>;

/// Checks `value` against `ok`, or names it as an invalid parameter.
pub(crate) fn check<T: std::fmt::Display>(
    name: &'static str,
    value: T,
    ok: bool,
    valid: &'static str,
) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(SurrogateError::InvalidParam {
            name,
            value: value.to_string(),
            valid,
        })
    }
}
