//! `fivedreg completions`: a shell completion script.

use crate::args::{Cli, CompletionsArgs};
use crate::failure::Failure;
use crate::output::print;

/// `fivedreg completions`: the shell's completion script on stdout.
pub fn run(args: &CompletionsArgs) -> Result<(), Failure> {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "fivedreg", &mut script);
    print(&String::from_utf8_lossy(&script))
}
