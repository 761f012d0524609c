//! How a failed command is told to the user: one line, and an exit code.

use std::fmt;
use std::path::Path;

/// A failed command: its one-line message, and whether it was a usage error (exit 2).
#[derive(Debug)]
pub struct Failure {
    message: String,
    usage: bool,
}

impl Failure {
    /// A usage error (a bad option value): exit code 2, as clap's own.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            usage: true,
        }
    }
    /// Any other error: exit code 1.
    pub fn other(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            usage: false,
        }
    }
    /// An I/O error on `path`.
    pub fn io(path: &Path, error: std::io::Error) -> Failure {
        Failure::other(format!("{}: {error}", display_path(path)))
    }
    /// Names `file` at the start of a message that does not name it yet (errors about the
    /// data that fitting found, such as too few rows for the split).
    pub fn about(self, file: &str) -> Failure {
        if self.message.contains(file) {
            return self;
        }
        Failure {
            message: format!("{file}: {}", self.message),
            usage: self.usage,
        }
    }
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        if self.usage {
            2
        } else {
            1
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line, whatever the underlying message holds.
        f.write_str(&self.message.replace('\n', " "))
    }
}

/// How a path is named in messages (`-` is stdin or stdout).
pub fn display_path(path: &Path) -> String {
    path.display().to_string()
}

/// An option as the command line spells it: its flag.
fn cli_name(param: fivedreg::Param) -> String {
    param.info().flag()
}

impl From<fivedreg::Error> for Failure {
    fn from(error: fivedreg::Error) -> Failure {
        match error {
            // The network judges some values only once it sees the data (its size for the
            // data's width), so its InvalidParam is a usage error too.
            e @ (fivedreg::Error::InvalidOption { .. }
            | fivedreg::Error::Nn(fivedreg::NnError::InvalidParam { .. })) => {
                match fivedreg::SpecError::from(e) {
                    fivedreg::SpecError::Library(e) => Failure::usage(e.to_string()),
                    spec => Failure::usage(spec.message(&cli_name)),
                }
            }
            e @ fivedreg::Error::NoValidationRows(_) => Failure::usage(e.message(&cli_name)),
            other => Failure::other(other.message(&cli_name)),
        }
    }
}

impl From<fivedreg_data::DataError> for Failure {
    fn from(error: fivedreg_data::DataError) -> Failure {
        Failure::other(error.to_string())
    }
}
