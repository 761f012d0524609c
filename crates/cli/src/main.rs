//! The `fivedreg` command: parses the command line, calls the library, prints.

mod args;
mod commands;
mod failure;
mod output;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

fn run(cli: &Cli) -> Result<(), failure::Failure> {
    match &cli.command {
        Command::Generate(args) => commands::generate(args),
        Command::Train(args) => commands::train(args),
        Command::Predict(args) => commands::predict(args),
        Command::Evaluate(args) => commands::evaluate(args),
        Command::Inspect(args) => commands::inspect(args),
        Command::Demo(args) => commands::demo(args),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap's own messages: usage errors exit 2, --help and --version exit 0.
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

#[cfg(test)]
mod help_tests;
