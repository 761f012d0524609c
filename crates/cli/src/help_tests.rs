//! Snapshots of every --help screen, rendered at a fixed width so they do not depend on the
//! terminal.

use crate::args::Cli;
use clap::CommandFactory;

fn help(path: &[&str]) -> String {
    let mut command = Cli::command().term_width(100);
    command.build();
    let mut current = &mut command;
    for name in path {
        current = current
            .find_subcommand_mut(name)
            .unwrap_or_else(|| panic!("no subcommand {name}"));
    }
    current.render_long_help().to_string()
}

#[test]
fn help_screens() {
    insta::assert_snapshot!("fivedreg", help(&[]));
    for name in [
        "generate",
        "train",
        "predict",
        "evaluate",
        "inspect",
        "demo",
        "serve",
        "sensitivity",
        "plot",
        "design",
        "suggest",
        "optimize",
        "export",
    ] {
        insta::assert_snapshot!(name, help(&[name]));
    }
}

#[test]
fn every_test_function_is_listed() {
    let text = help(&["generate"]);
    for function in fivedreg_data::TestFunction::ALL {
        assert!(
            text.contains(function.name()),
            "{} missing",
            function.name()
        );
    }
}

#[test]
fn export_names_the_onnx_opset_it_writes() {
    let text = help(&["export"]);
    assert!(text.contains(&format!("opset {}", fivedreg_onnx::OPSET)));
}

#[test]
fn the_parser_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn defaults_match_the_library() {
    use crate::args::Command;
    use clap::Parser;
    let cli = Cli::try_parse_from(["fivedreg", "train", "d.csv", "-o", "m"]).unwrap();
    let Command::Train(args) = cli.command else {
        panic!("not train")
    };
    // No flag given: the library's defaults, by the library's own rules.
    assert_eq!(args.spec.0, fivedreg::TrainSpec::default());
    let fivedreg::Plan::Fit(options) = crate::commands::train::plan_of(&args).unwrap() else {
        panic!("not a fit")
    };
    assert_eq!(options.options(), &fivedreg::FitOptions::default());
}

#[test]
fn predict_needs_an_input_or_a_point_but_not_both() {
    use clap::Parser;
    let parse = |args: &[&str]| Cli::try_parse_from(args.iter().copied());
    assert!(parse(&["fivedreg", "predict", "m"]).is_err());
    assert!(parse(&["fivedreg", "predict", "m", "in.csv", "--point", "1,2"]).is_err());
    assert!(parse(&["fivedreg", "predict", "m", "--point", "-1.5,2"]).is_ok());
    assert!(parse(&["fivedreg", "predict", "m", "in.csv", "-o", "out.csv"]).is_ok());
    assert!(parse(&["fivedreg", "predict", "m", "--point", "x,2"]).is_err());
}

#[test]
fn usage_errors_fit_on_one_line() {
    use clap::Parser;
    let error = |args: &[&str]| {
        let e = Cli::try_parse_from(args.iter().copied()).unwrap_err();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        crate::one_line(&e.render().to_string(), &crate::command_path(&args))
    };
    assert_eq!(
        error(&["fivedreg", "train", "d.csv"]),
        "error: the following required arguments were not provided: --output <MODEL>; \
         see 'fivedreg train --help'"
    );
    assert_eq!(
        error(&["fivedreg", "train", "d.csv", "-o", "m", "--max-epochs", "x"]),
        "error: invalid value 'x' for '--max-epochs <N>': invalid digit found in string; \
         see 'fivedreg train --help'"
    );
    let text = error(&["fivedreg", "train", "d.csv", "-o", "m", "--bogus"]);
    assert!(
        text.starts_with("error: unexpected argument '--bogus' found; tip:"),
        "{text}"
    );
    assert!(!text.contains('\n'));
}

/// docs/limits.md gives every limit the value the code enforces, and `--help` names the
/// page and the column cap.
#[test]
fn the_limits_are_documented_in_one_place() {
    let page = include_str!("../../../docs/limits.md");
    let csv = fivedreg_data::CsvOptions::default();
    let limits: Vec<(&str, String)> = vec![
        ("CSV columns", format!("at most {}", csv.max_columns)),
        (
            "CSV line bytes",
            format!(
                "{} MiB ({} bytes)",
                csv.max_line_bytes >> 20,
                csv.max_line_bytes
            ),
        ),
        ("samples", format!("1 to {}", crate::args::MAX_SAMPLES)),
        ("inputs", format!("at most {}", fivedreg_data::MAX_INPUTS)),
        ("noise", format!("0 to {:e}", fivedreg_data::MAX_NOISE)),
        (
            "hidden layers",
            format!("at most {}", fivedreg_nn::MAX_HIDDEN_LAYERS),
        ),
        ("width", format!("at most {}", fivedreg_nn::MAX_WIDTH)),
        (
            "parameters",
            format!("at most {}", fivedreg_nn::MAX_PARAMETERS),
        ),
        ("epochs", format!("1 to {}", fivedreg_nn::MAX_EPOCHS)),
        ("alpha", format!("0 to {:e}", fivedreg_nn::MAX_ALPHA)),
        ("threads", format!("to {}", fivedreg_nn::MAX_THREADS)),
        (
            "payload",
            format!("at most {} bytes", fivedreg::MAX_PAYLOAD_BYTES),
        ),
        (
            "curve points",
            format!("at most {}", fivedreg::MAX_CURVE_POINTS),
        ),
    ];
    for (what, text) in limits {
        assert!(
            page.contains(&text),
            "docs/limits.md lacks {what}: {text:?}"
        );
    }
    let top = help(&[]);
    for expected in ["1024 columns", "16 MiB", "docs/limits.md"] {
        assert!(top.contains(expected), "--help lacks {expected:?}");
    }
    for command in ["train", "predict", "evaluate"] {
        assert!(
            help(&[command]).contains("1024 columns"),
            "{command} --help"
        );
    }
}

#[test]
fn serve_defaults_match_the_server() {
    use crate::args::Command;
    use clap::Parser;
    let cli = Cli::try_parse_from(["fivedreg", "serve"]).unwrap();
    let Command::Serve(args) = cli.command else {
        panic!("not serve")
    };
    let defaults = fivedreg_server::ServeConfig::default();
    assert_eq!(args.listen, defaults.listen);
    assert_eq!(args.data_dir, defaults.data_dir);
    assert_eq!(args.max_upload_mb << 20, defaults.max_upload_bytes);
    assert_eq!(args.jobs, defaults.jobs);
    assert_eq!(args.token, defaults.token);
    assert_eq!(args.max_connections, defaults.max_connections);
    assert_eq!(args.max_uploads, defaults.max_uploads);
    assert_eq!(args.max_queue, defaults.max_queue);
    assert_eq!(args.header_timeout, defaults.header_timeout.as_secs());
    assert_eq!(args.body_timeout, defaults.body_timeout.as_secs());
    assert_eq!(args.request_timeout, defaults.request_timeout.as_secs());
    assert_eq!(args.idle_timeout, defaults.idle_timeout.as_secs());
    assert_eq!(args.min_body_rate, defaults.min_body_rate);
    assert_eq!(args.memory_limit, None);
    assert!(args.allowed_hosts.is_empty() && defaults.allowed_hosts.is_empty());
    for (text, bytes) in [
        ("8GiB", 8u64 << 30),
        ("512MB", 512 << 20),
        ("1000", 1000),
        ("1.5k", 1536),
    ] {
        assert_eq!(crate::args::parse_size(text), Ok(bytes), "{text}");
    }
    for bad in ["", "0", "GiB", "8 parsecs", "-1"] {
        assert!(crate::args::parse_size(bad).is_err(), "{bad}");
    }
    let parse = |args: &[&str]| Cli::try_parse_from(args.iter().copied());
    assert!(parse(&["fivedreg", "serve", "--jobs", "0"]).is_err());
    assert!(parse(&["fivedreg", "serve", "--jobs", "65"]).is_err());
    assert!(parse(&["fivedreg", "serve", "--max-upload-mb", "0"]).is_err());
    assert!(parse(&["fivedreg", "serve", "--listen", "localhost"]).is_err());
    assert!(parse(&["fivedreg", "serve", "--listen", "[::1]:0", "--jobs", "64"]).is_ok());
}
