//! The `fivedreg` command: parses the command line, calls the library, prints.

mod args;
mod commands;
mod failure;
mod output;
mod signals;
mod spec_args;
mod stdio;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

fn run(cli: &Cli) -> Result<(), failure::Failure> {
    match &cli.command {
        Command::Generate(args) => commands::generate::run(args),
        Command::Train(args) => commands::train::run(args),
        Command::Predict(args) => commands::predict::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Demo(args) => commands::demo::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Completions(args) => commands::completions::run(args),
        Command::Sensitivity(args) => commands::sensitivity::run(args),
        Command::Plot(args) => commands::plot::run(args),
        Command::Design(args) => commands::design::run(args),
        Command::Suggest(args) => commands::suggest::run(args),
        Command::Optimize(args) => commands::optimize::run(args),
        Command::Export(args) => commands::export::run(args),
    }
}

/// clap's usage error on one line: the message, its tips, and where to read more.
fn one_line(rendered: &str, command: &str) -> String {
    let mut text = String::new();
    for line in rendered.lines().map(str::trim) {
        // What follows is the usage and a pointer to --help, said below in fewer words.
        if line.starts_with("Usage: ") || line.starts_with("For more information") {
            break;
        }
        if line.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push_str(if line.starts_with("tip:") { "; " } else { " " });
        }
        text.push_str(line);
    }
    format!("{text}; see '{command} --help'")
}

/// `fivedreg` and the subcommand named on the command line, if any.
fn command_path(args: &[String]) -> String {
    use clap::CommandFactory;
    let cli = Cli::command();
    let sub = args
        .iter()
        .skip(1)
        .find(|a| cli.get_subcommands().any(|c| c.get_name() == a.as_str()));
    match sub {
        Some(name) => format!("fivedreg {name}"),
        None => "fivedreg".into(),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                }
                _ => {
                    let args: Vec<String> = std::env::args_os()
                        .map(|a| a.to_string_lossy().into_owned())
                        .collect();
                    eprintln!(
                        "{}",
                        one_line(&e.render().to_string(), &command_path(&args))
                    );
                }
            }
            // Usage errors exit 2, --help and --version 0.
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    // `serve` stops gracefully on those signals itself (its writes are atomic too); the
    // cleanup thread would end it at once instead.
    if !matches!(cli.command, Command::Serve(_)) {
        signals::remove_temporary_files_on_signals();
    }
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
