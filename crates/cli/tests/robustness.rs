//! Robustness of the `fivedreg` binary (issue #7): every bad input gets one clear error line
//! and a non-zero exit, never a panic, and never a created or damaged output file.
//!
//! [`bad_inputs_are_refused_cleanly`] runs a table of cases. Each case names the files to
//! create in a fresh folder (small ones come from `crates/cli/tests/corpus/`, large or derived ones
//! are made here at run time), the arguments, the substrings the error line must hold and
//! the exit code. An argument `OUT` stands for the output file: such a case runs twice,
//! once with `OUT` an existing good file (which must be left byte for byte) and once with
//! `OUT` a new path (which must not be created). In every run the folder must hold exactly
//! what it held before, byte for byte: no output, no temporary file, nothing damaged.
//!
//! Further tests: a diverging training run, and `train` and `predict` killed mid-run.
//!
//! Unix only: cases use devices of `/dev` and SIGKILL.
#![cfg(unix)]

mod common;

use common::{binary, crc32, fivedreg, fixtures, snapshot, temp_files};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// What the exit code must be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Exit {
    /// A bad command line: 2 (clap's own code, and the CLI's for out-of-range values).
    Usage,
    /// Anything else: 1.
    Failure,
}

/// A file a case needs.
enum Content {
    Bytes(Vec<u8>),
    /// A file of `crates/cli/tests/corpus/`.
    Corpus(&'static str),
    /// A single line of this many bytes (`0.25,0.25,...`) without a newline, written in
    /// pieces.
    LongLine(usize),
    /// An empty folder.
    Dir,
    /// A symbolic link to this path.
    Link(&'static str),
    /// A file no one may write (mode 444).
    ReadOnly(Vec<u8>),
}

struct Case {
    name: &'static str,
    files: Vec<(&'static str, Content)>,
    args: Vec<String>,
    /// Substrings the error line must hold.
    stderr: Vec<String>,
    exit: Exit,
    /// Bytes on standard input.
    stdin: Vec<u8>,
}

impl Case {
    fn with_stdin(mut self, bytes: &[u8]) -> Case {
        self.stdin = bytes.to_vec();
        self
    }
}

/// The placeholder of the output file in a case's arguments.
const OUT: &str = "OUT";

fn case(
    name: &'static str,
    files: Vec<(&'static str, Content)>,
    args: &[&str],
    stderr: &[&str],
    exit: Exit,
) -> Case {
    Case {
        name,
        files,
        args: args.iter().map(|a| a.to_string()).collect(),
        stderr: stderr.iter().map(|s| s.to_string()).collect(),
        exit,
        stdin: Vec::new(),
    }
}

/// A CSV file of the corpus, trained on: the error must name the file (and, where given,
/// the line and column).
fn bad_csv(name: &'static str, file: &'static str, stderr: &[&str]) -> Case {
    let mut expected = vec![file];
    expected.extend_from_slice(stderr);
    case(
        name,
        vec![(file, Content::Corpus(file))],
        &["train", file, "-o", OUT],
        &expected,
        Exit::Failure,
    )
}

/// `train good.csv -o OUT` with extra options: an out-of-range value.
fn bad_train_option(name: &'static str, options: &[&str], stderr: &[&str], exit: Exit) -> Case {
    let mut args = vec!["train", "good.csv", "-o", OUT];
    args.extend_from_slice(options);
    case(
        name,
        vec![("good.csv", Content::Bytes(fixtures().csv.clone()))],
        &args,
        stderr,
        exit,
    )
}

/// A damaged model file, predicted from (into `OUT`).
fn bad_model(name: &'static str, bytes: Vec<u8>, stderr: &[&str]) -> Case {
    let mut expected = vec!["model.fdr"];
    expected.extend_from_slice(stderr);
    case(
        name,
        vec![
            ("model.fdr", Content::Bytes(bytes)),
            ("good.csv", Content::Bytes(fixtures().csv.clone())),
        ],
        &["predict", "model.fdr", "good.csv", "-o", OUT],
        &expected,
        Exit::Failure,
    )
}

/// The good model with its bytes `[..len]`.
fn truncated(len: usize) -> Vec<u8> {
    fixtures().model[..len].to_vec()
}

/// The good model with byte `at` flipped (`at` from the end when negative).
fn flipped(at: isize) -> Vec<u8> {
    let mut bytes = fixtures().model.clone();
    let i = if at < 0 {
        bytes.len() - at.unsigned_abs()
    } else {
        at as usize
    };
    bytes[i] ^= 0x5a;
    bytes
}

/// The good model's payload framed again with format `version` and valid checksums.
fn reframed(version: u32) -> Vec<u8> {
    let model = &fixtures().model;
    let payload = &model[fivedreg::HEADER_LEN..model.len() - 4];
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&fivedreg::MAGIC);
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    let header_crc = crc32(&bytes);
    bytes.extend_from_slice(&header_crc.to_le_bytes());
    bytes.extend_from_slice(payload);
    let crc = crc32(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}

/// A valid header (magic, version, checksum) that declares a payload of `declared` bytes,
/// and nothing after it.
fn header_declaring(declared: u64) -> Vec<u8> {
    let mut bytes = fivedreg::MAGIC.to_vec();
    bytes.extend_from_slice(&fivedreg::FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&declared.to_le_bytes());
    let crc = crc32(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}

/// The cases. Every `DataError` a user can cause through the binary is here; not
/// reachable from it: `AllRowsDropped` (the CLI has no drop-rows policy), `Csv` (the parser
/// refuses nothing when it reads flexible byte records), `InvalidDataset` and `Scaler`
/// (the library builds those inputs itself). They are covered by the data crate's tests.
fn cases() -> Vec<Case> {
    use Exit::{Failure, Usage};
    let fx = fixtures();
    let good_csv = || ("good.csv", Content::Bytes(fx.csv.clone()));
    let good_model = || ("good.fdr", Content::Bytes(fx.model.clone()));
    let model_len = fx.model.len();
    let header = fivedreg::HEADER_LEN;
    let wide_header = {
        let names: Vec<String> = (1..=10_000).map(|i| format!("x{i}")).collect();
        format!("{}\n", names.join(",")).into_bytes()
    };
    let mut cases = vec![
        // --- CSV files: every error of the data crate a file can cause.
        case(
            "csv: 0-byte file",
            vec![("empty.csv", Content::Bytes(Vec::new()))],
            &["train", "empty.csv", "-o", OUT],
            &["empty.csv", "the file is empty", "header row"],
            Failure,
        ),
        bad_csv(
            "csv: blank lines only",
            "blank_lines_only.csv",
            &["the file is empty"],
        ),
        bad_csv(
            "csv: header only",
            "header_only.csv",
            &["header but no data rows"],
        ),
        bad_csv(
            "csv: NaN field",
            "nan_field.csv",
            &[
                "line 3, column 2",
                "\"x2\"",
                "\"nan\"",
                "not a finite number",
            ],
        ),
        bad_csv(
            "csv: infinite field",
            "infinite_field.csv",
            &["line 3, column 3", "\"-inf\"", "not a finite number"],
        ),
        bad_csv(
            "csv: empty column name",
            "empty_column_name.csv",
            &["line 1, column 2", "column name is empty"],
        ),
        bad_csv(
            "csv: duplicate column name",
            "duplicate_column.csv",
            &["line 1, column 3", "\"x1\"", "duplicate column name"],
        ),
        bad_csv(
            "csv: header not UTF-8",
            "header_not_utf8.csv",
            &["line 1, column 2", "not valid UTF-8"],
        ),
        bad_csv(
            "csv: field not UTF-8",
            "field_not_utf8.csv",
            &["line 3, column 2", "not valid UTF-8"],
        ),
        bad_csv(
            "csv: one column",
            "one_column.csv",
            &["line 1", "no feature column"],
        ),
        bad_csv(
            "csv: semicolon-separated, decimal commas",
            "semicolons.csv",
            &["line 2, column 1", "decimal separator"],
        ),
        bad_csv(
            "csv: too few fields",
            "too_few_fields.csv",
            &["line 3, column 3", "\"y\"", "2 fields", "header has 3"],
        ),
        bad_csv(
            "csv: too many fields",
            "too_many_fields.csv",
            &["line 2, column 4", "4 fields", "header has 3"],
        ),
        bad_csv(
            "csv: not a number",
            "not_a_number.csv",
            &["line 3, column 2", "\"x2\"", "\"abc\" is not a number"],
        ),
        bad_csv(
            "csv: empty field",
            "empty_field.csv",
            &["line 3, column 1", "\"\" is not a number"],
        ),
        bad_csv(
            "csv: decimal comma in quotes",
            "quoted_comma_in_number.csv",
            &["line 4, column 2", "\"0,5\" is not a number"],
        ),
        bad_csv(
            "csv: binary garbage",
            "binary_garbage.bin",
            // Refused at its first bytes: as text that is not UTF-8, or for a lone \r.
            &["binary_garbage.bin: line 1, column"],
        ),
        bad_csv(
            "csv: too few rows for the split",
            "too_few_rows.csv",
            &["2 rows", "training needs at least 2 rows"],
        ),
        // 11 rows leave 8 for training and validation: --auto's 5 folds need 10, and its
        // error must not advise fewer ensemble members, which --auto does not take.
        case(
            "cli: --auto on too few rows for its folds",
            vec![("eleven_rows.csv", Content::Corpus("eleven_rows.csv"))],
            &["train", "eleven_rows.csv", "--auto", "-o", OUT],
            &[
                "eleven_rows.csv",
                "--auto cross-validates over 5 folds",
                "at least 10 rows",
                "leaves 8",
            ],
            Failure,
        ),
        case(
            "cli: --ensemble 5 on too few rows for its folds",
            vec![("eleven_rows.csv", Content::Corpus("eleven_rows.csv"))],
            &["train", "eleven_rows.csv", "--ensemble", "5", "-o", OUT],
            &[
                "eleven_rows.csv",
                "too few for 5 folds",
                "each fold needs at least 2 rows",
                "at least 10",
                "fewer members (--ensemble)",
            ],
            Failure,
        ),
        case(
            "csv: header of 10,000 columns",
            vec![("wide.csv", Content::Bytes(wide_header))],
            &["train", "wide.csv", "-o", OUT],
            &["wide.csv", "line 1", "10000 columns", "limit of 1024"],
            Failure,
        ),
        case(
            "csv: a 50 MB line without a newline",
            vec![("long.csv", Content::LongLine(50 << 20))],
            &["train", "long.csv", "-o", OUT],
            &["long.csv", "line 1 is longer than 16777216 bytes"],
            Failure,
        ),
        case(
            "csv: target column not found",
            vec![good_csv()],
            &["train", "good.csv", "-o", OUT, "--target", "z"],
            &["good.csv", "line 1", "no column named \"z\"", "x1, x2, y"],
            Failure,
        ),
        // Robustness III, case 9: a column to drop that does not exist was called one "the
        // model needs as a feature"; the target as a column to drop was accepted silently.
        case(
            "csv: a column to drop that does not exist",
            vec![good_csv()],
            &["train", "good.csv", "-o", OUT, "--drop", "nope"],
            &[
                "good.csv",
                "line 1",
                "no column named \"nope\" to drop",
                "x1, x2, y",
            ],
            Failure,
        ),
        case(
            "csv: the target as a column to drop",
            vec![good_csv()],
            &["train", "good.csv", "-o", OUT, "--drop", "y"],
            &["good.csv", "\"y\" to drop is the target"],
            Failure,
        ),
        case(
            "csv: missing file",
            vec![],
            &["train", "missing.csv", "-o", OUT],
            &["missing.csv", "No such file"],
            Failure,
        ),
        case(
            "csv: a folder",
            vec![("folder.csv", Content::Dir)],
            &["train", "folder.csv", "-o", OUT],
            &["folder.csv", "is a directory"],
            Failure,
        ),
        case(
            "csv: predict input without a feature",
            vec![
                good_model(),
                ("input.csv", Content::Bytes(b"x1,x3\n0.1,0.2\n".to_vec())),
            ],
            &["predict", "good.fdr", "input.csv", "-o", OUT],
            &["input.csv", "line 1", "no column named \"x2\"", "x1, x3"],
            Failure,
        ),
        case(
            "csv: predict input with a bad row far down",
            vec![
                good_model(),
                (
                    "input.csv",
                    Content::Bytes(
                        format!("x1,x2\n{}0.5,oops\n", "0.1,0.2\n".repeat(9000)).into_bytes(),
                    ),
                ),
            ],
            &["predict", "good.fdr", "input.csv", "-o", OUT],
            &[
                "input.csv",
                "line 9002, column 2",
                "\"oops\" is not a number",
            ],
            Failure,
        ),
        case(
            "csv: predict input already holding the prediction column",
            vec![
                good_model(),
                (
                    "input.csv",
                    Content::Bytes(b"x1,x2,y_predicted\n0.1,0.2,0\n".to_vec()),
                ),
            ],
            &["predict", "good.fdr", "input.csv", "-o", OUT],
            &["input.csv", "y_predicted"],
            Failure,
        ),
        case(
            "csv: evaluate data without the target",
            vec![
                good_model(),
                ("data.csv", Content::Bytes(b"x1,x2\n0.1,0.2\n".to_vec())),
            ],
            &["evaluate", "good.fdr", "data.csv"],
            &["data.csv", "line 1", "no column named \"y\""],
            Failure,
        ),
        // --- Model files.
        bad_model(
            "model: empty file",
            Vec::new(),
            &["not a fivedreg model file", "empty"],
        ),
        bad_model(
            "model: a CSV file",
            fx.csv.clone(),
            &["not a fivedreg model file", "CSV"],
        ),
        bad_model(
            "model: truncated in the magic",
            truncated(4),
            &["truncated", "4 bytes"],
        ),
        bad_model(
            "model: truncated after the magic",
            truncated(8),
            &["truncated", "8 bytes"],
        ),
        bad_model(
            "model: truncated in the version",
            truncated(10),
            &["truncated"],
        ),
        bad_model(
            "model: truncated after the version",
            truncated(12),
            &["truncated"],
        ),
        bad_model(
            "model: truncated in the length",
            truncated(16),
            &["truncated"],
        ),
        bad_model(
            "model: truncated after the length",
            truncated(20),
            &["truncated"],
        ),
        bad_model(
            "model: truncated in the header's checksum",
            truncated(22),
            &["truncated", "22 bytes"],
        ),
        bad_model(
            "model: truncated after the header",
            truncated(header),
            &["truncated", &format!("of the {model_len}")],
        ),
        bad_model(
            "model: truncated in the middle of the payload",
            truncated(header + (model_len - header) / 2),
            &["truncated", &format!("of the {model_len}")],
        ),
        bad_model(
            "model: truncated before the checksum",
            truncated(model_len - 4),
            &["truncated"],
        ),
        bad_model(
            "model: truncated in the checksum",
            truncated(model_len - 2),
            &["truncated"],
        ),
        bad_model(
            "model: a byte flipped in the magic",
            flipped(3),
            &["not a fivedreg model file"],
        ),
        bad_model(
            "model: a byte flipped in the version",
            flipped(8),
            &["corrupted", "header's checksum"],
        ),
        bad_model(
            "model: a byte flipped in the length",
            flipped(13),
            &["corrupted", "header's checksum"],
        ),
        bad_model(
            "model: a byte flipped in the header's checksum",
            flipped(21),
            &["corrupted", "header's checksum"],
        ),
        bad_model(
            "model: a byte flipped in the payload",
            flipped((header + 40) as isize),
            &["corrupted", "checksum does not match"],
        ),
        bad_model(
            "model: a byte flipped in the checksum",
            flipped(-1),
            &["corrupted", "checksum does not match"],
        ),
        bad_model(
            "model: bytes after the end",
            [fx.model.clone(), b"junk".to_vec()].concat(),
            &["corrupted", "4 bytes follow"],
        ),
        bad_model(
            "model: a newer format version",
            reframed(fivedreg::FORMAT_VERSION + 1),
            &[
                &format!("format version {}", fivedreg::FORMAT_VERSION + 1),
                "upgrade fivedreg",
            ],
        ),
        bad_model(
            "model: format version 0",
            reframed(0),
            &["corrupted", "version 0"],
        ),
        case(
            "model: missing file",
            vec![],
            &["inspect", "missing.fdr"],
            &["missing.fdr", "No such file"],
            Failure,
        ),
        case(
            "model: a folder",
            vec![("folder.fdr", Content::Dir)],
            &["inspect", "folder.fdr"],
            &["folder.fdr", "directory"],
            Failure,
        ),
        case(
            "model: a CSV file given to evaluate",
            vec![good_csv()],
            &["evaluate", "good.csv", "good.csv"],
            &["good.csv", "not a fivedreg model file", "CSV"],
            Failure,
        ),
        // --- Command-line values.
        bad_train_option(
            "cli: learning rate 0",
            &["--learning-rate", "0"],
            &["--learning-rate", "(0, 1]"],
            Usage,
        ),
        bad_train_option(
            "cli: negative learning rate",
            &["--learning-rate", "-0.1"],
            &["--learning-rate", "-0.1"],
            Usage,
        ),
        bad_train_option(
            "cli: NaN learning rate",
            &["--learning-rate", "NaN"],
            &["--learning-rate", "NaN"],
            Usage,
        ),
        bad_train_option(
            "cli: absurd learning rate",
            &["--learning-rate", "1e300"],
            &["--learning-rate", "(0, 1]"],
            Usage,
        ),
        bad_train_option(
            "cli: learning rate not a number",
            &["--learning-rate", "fast"],
            &["--learning-rate", "fast"],
            Usage,
        ),
        bad_train_option(
            "cli: zero epochs",
            &["--max-epochs", "0"],
            &["--max-epochs"],
            Usage,
        ),
        bad_train_option(
            "cli: negative epochs",
            &["--max-epochs", "-3"],
            &["--max-epochs"],
            Usage,
        ),
        bad_train_option(
            "cli: absurd epochs",
            &["--max-epochs", "99999999999999999999999"],
            &["--max-epochs"],
            Usage,
        ),
        bad_train_option(
            "cli: zero batch size",
            &["--batch-size", "0"],
            &["--batch-size"],
            Usage,
        ),
        bad_train_option(
            "cli: negative alpha",
            &["--alpha", "-1"],
            &["--alpha"],
            Usage,
        ),
        bad_train_option("cli: NaN alpha", &["--alpha", "NaN"], &["--alpha"], Usage),
        bad_train_option(
            "cli: negative patience",
            &["--patience", "-1"],
            &["--patience"],
            Usage,
        ),
        bad_train_option(
            "cli: zero-width hidden layer",
            &["--hidden", "64,0"],
            &["--hidden"],
            Usage,
        ),
        bad_train_option(
            "cli: absurd hidden width",
            &["--hidden", "1000000"],
            &["--hidden", "65536"],
            Usage,
        ),
        bad_train_option(
            "cli: absurd network size",
            &["--hidden", "65536,65536"],
            &["--hidden", "parameters"],
            Usage,
        ),
        bad_train_option(
            "cli: too many hidden layers",
            &["--hidden", &vec!["4"; 65].join(",")],
            &["--hidden", "64"],
            Usage,
        ),
        bad_train_option(
            "cli: two split fractions",
            &["--split", "0.5,0.5"],
            &["--split", "3 fractions"],
            Usage,
        ),
        bad_train_option(
            "cli: split not summing to 1",
            &["--split", "0.6,0.2,0.3"],
            &["--split"],
            Usage,
        ),
        bad_train_option(
            "cli: negative split fraction",
            &["--split", "-0.2,0.6,0.6"],
            &["--split"],
            Usage,
        ),
        bad_train_option(
            "cli: NaN split fraction",
            &["--split", "NaN,0.5,0.5"],
            &["--split"],
            Usage,
        ),
        bad_train_option(
            "cli: zero training fraction",
            &["--split", "0,0.5,0.5"],
            &["--split", "training fraction"],
            Usage,
        ),
        bad_train_option(
            "cli: early stopping without validation rows",
            &["--split", "0.8,0,0.2"],
            &["validation", "--no-early-stopping"],
            Usage,
        ),
        case(
            "cli: generate zero samples",
            vec![],
            &["generate", "--samples", "0", "-o", OUT],
            &["--samples", "1..=100000000"],
            Usage,
        ),
        case(
            "cli: generate absurd samples",
            vec![],
            &["generate", "--samples", "100000000000000", "-o", OUT],
            &["--samples", "100000000000000", "1..=100000000"],
            Usage,
        ),
        case(
            "cli: generate negative noise",
            vec![],
            &["generate", "--samples", "10", "--noise", "-1", "-o", OUT],
            &["noise"],
            Usage,
        ),
        case(
            "cli: generate NaN noise",
            vec![],
            &["generate", "--samples", "10", "--noise", "NaN", "-o", OUT],
            &["noise"],
            Usage,
        ),
        case(
            "cli: generate zero inputs",
            vec![],
            &["generate", "--samples", "10", "--inputs", "0", "-o", OUT],
            &["inputs"],
            Usage,
        ),
        case(
            "cli: demo with too few samples",
            vec![],
            &["demo", "--samples", "5"],
            &["--samples", "10..="],
            Usage,
        ),
        case(
            "cli: point with too few numbers",
            vec![good_model()],
            &["predict", "good.fdr", "--point", "0.5"],
            &["expects 2 features", "1"],
            Failure,
        ),
        case(
            "cli: point with too many numbers",
            vec![good_model()],
            &["predict", "good.fdr", "--point", "0.5,0.5,0.5"],
            &["expects 2 features", "3"],
            Failure,
        ),
        case(
            "cli: point not a number",
            vec![good_model()],
            &["predict", "good.fdr", "--point", "0.5,abc"],
            &["--point", "abc"],
            Usage,
        ),
        case(
            "cli: point with NaN",
            vec![good_model()],
            &["predict", "good.fdr", "--point", "NaN,0.5"],
            &["feature 1", "not a finite number"],
            Failure,
        ),
        case(
            "cli: predict data with other features",
            vec![
                good_model(),
                (
                    "five.csv",
                    Content::Bytes(b"a,b,c,d,e\n1,2,3,4,5\n".to_vec()),
                ),
            ],
            &["predict", "good.fdr", "five.csv", "-o", OUT],
            &["five.csv", "no column named \"x1\"", "a, b, c, d, e"],
            Failure,
        ),
    ];
    cases.push(bad_train_option(
        "cli: absurd thread count",
        &["--threads", "100000"],
        &["--threads", "1024"],
        Usage,
    ));
    cases.push(bad_train_option(
        "cli: empty hidden layer list",
        &["--hidden", "64,,16"],
        &["--hidden", "empty"],
        Usage,
    ));
    // Standard input is named as such.
    cases.push(
        case(
            "stdin: training data not a number",
            vec![],
            &["train", "-", "-o", OUT],
            &["<stdin>", "line 2, column 1", "\"one\" is not a number"],
            Failure,
        )
        .with_stdin(b"x,y\none,2\n"),
    );
    cases.push(
        case(
            "stdin: prediction input without the features",
            vec![good_model()],
            &["predict", "good.fdr", "-", "-o", OUT],
            &["<stdin>", "line 1", "no column named \"x1\""],
            Failure,
        )
        .with_stdin(b"a,b\n1,2\n"),
    );
    cases.push(
        case(
            "stdin: empty",
            vec![],
            &["train", "-", "-o", OUT],
            &["<stdin>", "empty"],
            Failure,
        )
        .with_stdin(b""),
    );
    // Output paths that cannot be written.
    cases.push(case(
        "output: -o names a folder",
        vec![good_csv(), ("folder", Content::Dir)],
        &["train", "good.csv", "-o", "folder"],
        &["folder", "is a directory"],
        Failure,
    ));
    cases.push(case(
        "output: train onto its own data",
        vec![good_csv()],
        &["train", "good.csv", "-o", "./good.csv"],
        &["good.csv", "is the training data"],
        Usage,
    ));
    cases.push(case(
        "output: predictions onto the model",
        vec![good_model(), good_csv()],
        &["predict", "good.fdr", "good.csv", "-o", "good.fdr"],
        &["good.fdr", "is the model"],
        Usage,
    ));
    // Refused before training (the error arrives at once; a run of 10^6 epochs would
    // time out).
    cases.push(case(
        "output: train into a missing folder",
        vec![good_csv()],
        &[
            "train",
            "good.csv",
            "-o",
            "missing/model.fdr",
            "--max-epochs",
            "1000000",
            "--no-early-stopping",
            "--patience",
            "1000000",
        ],
        &["missing/model.fdr", "No such file"],
        Failure,
    ));
    cases.push(case(
        "output: -o in a missing folder",
        vec![good_model(), good_csv()],
        &["predict", "good.fdr", "good.csv", "-o", "missing/out.csv"],
        &["missing/out.csv"],
        Failure,
    ));
    #[cfg(target_os = "linux")]
    cases.push(case(
        "output: a full device",
        vec![],
        &["generate", "--samples", "100000", "-o", "/dev/full"],
        &["/dev/full", "No space left on device"],
        Failure,
    ));
    cases.push(case(
        "cli: unknown test function",
        vec![],
        &[
            "generate",
            "--samples",
            "10",
            "--function",
            "nope",
            "-o",
            OUT,
        ],
        &["--function", "nope"],
        Usage,
    ));
    cases.push(case(
        "cli: a test function's wrong input count",
        vec![],
        &[
            "generate",
            "--samples",
            "10",
            "--function",
            "ishigami",
            "--inputs",
            "5",
            "-o",
            OUT,
        ],
        &["ishigami", "5"],
        Usage,
    ));
    cases.extend(issue_13_cases());
    // Every error a CSV file causes at training is also refused, in the same words, by
    // `predict` (which streams its input rather than reading it whole).
    cases.push(case(
        "csv: predict input with a NaN",
        vec![
            good_model(),
            (
                "input.csv",
                Content::Bytes(b"x1,x2\n0.1,0.2\nNaN,1\n".to_vec()),
            ),
        ],
        &["predict", "good.fdr", "input.csv", "-o", OUT],
        &["input.csv", "line 3, column 1", "not a finite number"],
        Failure,
    ));
    cases
}

/// The refusals of issue #13 (robustness II); its other cases, which are not refusals, are
/// tested in `robustness_ii.rs`.
fn issue_13_cases() -> Vec<Case> {
    use Exit::{Failure, Usage};
    let fx = fixtures();
    let good_csv = || ("good.csv", Content::Bytes(fx.csv.clone()));
    let good_model = || ("good.fdr", Content::Bytes(fx.model.clone()));
    let cr_only = "cr_line_ends.csv";
    vec![
        // (4) Lines ended by \r alone: one line of every field, then an empty success.
        bad_csv(
            "csv: lines ended by CR alone",
            cr_only,
            &["line 1, column 3", "\\r alone", "convert"],
        ),
        case(
            "csv: predict input with lines ended by CR alone",
            vec![good_model(), (cr_only, Content::Corpus(cr_only))],
            &["predict", "good.fdr", cr_only, "-o", OUT],
            &[cr_only, "line 1", "\\r alone"],
            Failure,
        ),
        case(
            "csv: evaluate data with lines ended by CR alone",
            vec![good_model(), (cr_only, Content::Corpus(cr_only))],
            &["evaluate", "good.fdr", cr_only],
            &[cr_only, "line 1", "\\r alone"],
            Failure,
        ),
        // (5) A feature named like the column `predict` adds: no CSV could be predicted.
        bad_csv(
            "csv: a feature named like the prediction column",
            "prediction_column_feature.csv",
            &["y_predicted", "rename"],
        ),
        // (6) A noise that makes y infinite, and more inputs than a CSV file may have.
        case(
            "cli: generate noise that overflows y",
            vec![],
            &["generate", "--samples", "10", "--noise", "1e308", "-o", OUT],
            &["noise", "1e300", "1e308"],
            Usage,
        ),
        case(
            "cli: generate more inputs than a CSV file may have",
            vec![],
            &["generate", "--samples", "10", "--inputs", "1024", "-o", OUT],
            &["1024 inputs", "at most 1023"],
            Usage,
        ),
        // (7) An alpha whose penalty overflows: its range, not the learning rate.
        bad_train_option(
            "cli: alpha that overflows the penalty",
            &["--alpha", "1e308"],
            &["--alpha", "1e308", "[0, 1e9]"],
            Usage,
        ),
        // (9) Predictions onto the input, directly or through a link.
        case(
            "output: predictions onto the input",
            vec![good_model(), good_csv()],
            &["predict", "good.fdr", "good.csv", "-o", "good.csv"],
            &["good.csv", "is the input"],
            Usage,
        ),
        case(
            "output: predictions onto the input through a link",
            vec![
                good_model(),
                good_csv(),
                ("link.csv", Content::Link("good.csv")),
            ],
            &["predict", "good.fdr", "good.csv", "-o", "link.csv"],
            &["link.csv", "is the input"],
            Usage,
        ),
        // (10) A header that declares 1 TiB: refused before reading on.
        bad_model(
            "model: a header declaring a 1 TiB payload",
            header_declaring(1 << 40),
            &["declares 1099511627776 bytes", "largest model"],
        ),
        // (11) A read-only output is not replaced.
        case(
            "output: a read-only file",
            vec![
                good_model(),
                good_csv(),
                ("ro.csv", Content::ReadOnly(b"keep".to_vec())),
            ],
            &["predict", "good.fdr", "good.csv", "-o", "ro.csv"],
            &["ro.csv", "read-only"],
            Failure,
        ),
        case(
            "output: a read-only model",
            vec![good_csv(), ("ro.fdr", Content::ReadOnly(fx.model.clone()))],
            &["train", "good.csv", "-o", "ro.fdr", "--max-epochs", "1"],
            &["ro.fdr", "read-only"],
            Failure,
        ),
        // Robustness III, case 9: `--history -` wrote a file named `-`; like `-o -`, it is
        // refused (stdout carries the report), and nothing is written.
        case(
            "output: the history to stdout",
            vec![good_csv()],
            &[
                "train",
                "good.csv",
                "-o",
                OUT,
                "--history",
                "-",
                "--max-epochs",
                "1",
            ],
            &["--history -", "stdout", "name a file"],
            Usage,
        ),
        // Robustness III, case 9: `--point … --std` printed the prediction alone and exited
        // 0 for a single network; it is refused as the file form refuses it.
        case(
            "predict: --point --std of a single network",
            vec![good_model()],
            &["predict", "good.fdr", "--point", "0.1,0.2", "--std"],
            &["--std", "good.fdr", "single network"],
            Usage,
        ),
        // (13) `-o -` for a model.
        case(
            "output: train to stdout",
            vec![good_csv()],
            &["train", "good.csv", "-o", "-"],
            &["-o -", "binary", "name a file"],
            Usage,
        ),
    ]
}

fn write_files(dir: &Path, files: &[(&'static str, Content)]) {
    for (name, content) in files {
        let path = dir.join(name);
        match content {
            Content::Bytes(bytes) => std::fs::write(&path, bytes).unwrap(),
            Content::Corpus(file) => {
                let source = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/corpus/csv")
                    .join(file);
                std::fs::copy(&source, &path)
                    .unwrap_or_else(|e| panic!("{}: {e}", source.display()));
            }
            Content::LongLine(bytes) => {
                let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
                let chunk = "0.25,".repeat(1 << 12);
                for _ in 0..bytes / chunk.len() {
                    file.write_all(chunk.as_bytes()).unwrap();
                }
                file.flush().unwrap();
            }
            Content::Dir => std::fs::create_dir(&path).unwrap(),
            Content::Link(target) => std::os::unix::fs::symlink(target, &path).unwrap(),
            Content::ReadOnly(bytes) => {
                use std::os::unix::fs::PermissionsExt;
                std::fs::write(&path, bytes).unwrap();
                let read_only = std::fs::Permissions::from_mode(0o444);
                std::fs::set_permissions(&path, read_only).unwrap();
            }
        }
    }
}

/// Checks one run of a case; returns what went wrong, if anything.
fn check_run(case: &Case, out: Option<&str>) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &case.files);
    if out == Some("old.out") {
        std::fs::write(dir.path().join("old.out"), &fixtures().model).unwrap();
    }
    let args: Vec<&str> = case
        .args
        .iter()
        .map(|a| match (a.as_str(), out) {
            (OUT, Some(out)) => out,
            (a, _) => a,
        })
        .collect();
    let before = snapshot(dir.path());
    let output = fivedreg(dir.path())
        .args(&args)
        .write_stdin(case.stdin.clone())
        .output()
        .map_err(|e| format!("cannot run: {e}"))?;
    let after = snapshot(dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let shown = format!("fivedreg {args:?}\nstderr: {stderr}");
    if ["panicked", "RUST_BACKTRACE", "stack backtrace"]
        .iter()
        .any(|p| stderr.contains(p))
    {
        return Err(format!("panicked: {shown}"));
    }
    if !output.stdout.is_empty() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        return Err(format!("printed {stdout:?} on stdout: {shown}"));
    }
    let expected = match case.exit {
        Exit::Usage => 2,
        Exit::Failure => 1,
    };
    if output.status.code() != Some(expected) {
        return Err(format!(
            "exit {:?} instead of {expected}: {shown}",
            output.status
        ));
    }
    // One `error:` line; clap adds a blank line and a hint to its own usage errors.
    let mut lines = stderr.lines();
    let first = lines.next().unwrap_or("");
    if !first.starts_with("error: ") {
        return Err(format!("no `error:` line first: {shown}"));
    }
    if let Some(extra) = lines.find(|l| {
        !(l.is_empty() || l.starts_with("For more information") || l.starts_with("  tip:"))
    }) {
        return Err(format!("more than one line ({extra:?}): {shown}"));
    }
    if let Some(missing) = case.stderr.iter().find(|s| !first.contains(s.as_str())) {
        return Err(format!("no {missing:?} in the error line: {shown}"));
    }
    if before != after {
        let changed: Vec<_> = before
            .keys()
            .chain(after.keys())
            .filter(|k| before.get(*k) != after.get(*k))
            .collect();
        return Err(format!("files created or changed: {changed:?}: {shown}"));
    }
    Ok(())
}

#[test]
fn bad_inputs_are_refused_cleanly() {
    let cases = cases();
    let mut names = std::collections::HashSet::new();
    for case in &cases {
        assert!(names.insert(case.name), "two cases named {}", case.name);
    }
    let mut failures = Vec::new();
    let mut runs = 0;
    let mut slowest = Vec::new();
    for case in &cases {
        let outs: &[Option<&str>] = if case.args.iter().any(|a| a == OUT) {
            &[Some("old.out"), Some("new.out")]
        } else {
            &[None]
        };
        for &out in outs {
            runs += 1;
            let start = Instant::now();
            let result = check_run(case, out);
            slowest.push((start.elapsed(), case.name));
            if let Err(why) = result {
                failures.push(format!("{} (OUT = {out:?}): {why}", case.name));
            }
        }
    }
    slowest.sort();
    eprintln!("{} cases, {runs} runs", cases.len());
    eprintln!(
        "slowest runs: {:?}",
        &slowest[slowest.len().saturating_sub(5)..]
    );
    assert!(
        failures.is_empty(),
        "{} of {runs} runs failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(cases.len() >= 40, "{} cases", cases.len());
}

/// Every file of the corpus is used by a case, so the corpus cannot rot.
#[test]
fn every_corpus_file_is_used() {
    let used: Vec<&str> = cases()
        .iter()
        .flat_map(|c| &c.files)
        .filter_map(|(_, content)| match content {
            Content::Corpus(file) => Some(*file),
            _ => None,
        })
        .collect();
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/csv");
    for entry in std::fs::read_dir(folder).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(used.contains(&name.as_str()), "corpus file {name} unused");
    }
}

/// Data whose features are around 1e20: unscaled, the first steps overflow the network's
/// 32-bit numbers, whatever the learning rate; standardized, they are harmless.
fn huge_features_csv() -> Vec<u8> {
    let mut text = String::from("x1,x2,y\n");
    for i in 0..300 {
        let (a, b) = ((i % 17) as f64, (i % 23) as f64);
        text.push_str(&format!(
            "{:e},{:e},{}\n",
            a * 1e20,
            b * 1e20,
            1e6 + 2e4 * a + 1e4 * b
        ));
    }
    text.into_bytes()
}

#[test]
fn diverging_training_is_an_error_that_says_what_to_change() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("huge.csv"), huge_features_csv()).unwrap();
    std::fs::write(dir.path().join("old.fdr"), &fixtures().model).unwrap();
    for out in ["old.fdr", "new.fdr"] {
        let before = snapshot(dir.path());
        let output = fivedreg(dir.path())
            .args(["train", "huge.csv", "-o", out, "--no-scale"])
            .args(["--learning-rate", "1", "--max-epochs", "50", "--json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        for expected in [
            "error: huge.csv: ",
            "diverged at epoch 1",
            "lower learning rate",
            "standardize",
        ] {
            assert!(stderr.contains(expected), "no {expected:?} in {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            output.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
        // Neither a model of NaN nor any other file.
        assert_eq!(snapshot(dir.path()), before, "-o {out}");
    }
    // The same data trains with scaling on (the default).
    let output = fivedreg(dir.path())
        .args(["train", "huge.csv", "-o", "new.fdr"])
        .args(["--learning-rate", "1", "--max-epochs", "5", "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// How a killed run went.
#[derive(Debug, PartialEq)]
enum Killed {
    /// Killed while its temporary file held `.0` bytes.
    MidWrite(u64),
    /// Killed before any temporary file appeared (after `patience`).
    BeforeWriting,
    /// It finished before it could be killed.
    Finished,
}

/// Spawns `fivedreg args` in `dir` and kills it (SIGKILL) as soon as a temporary file
/// holds at least `min_bytes` bytes, or after `patience`.
fn run_and_kill(dir: &Path, args: &[&str], min_bytes: u64, patience: Duration) -> Killed {
    let mut child = std::process::Command::new(binary())
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let seen = loop {
        if let Some((temp, bytes)) = temp_files(dir).into_iter().find(|(_, b)| *b >= min_bytes) {
            break Some((temp, bytes));
        }
        if start.elapsed() > patience {
            break None;
        }
        if child.try_wait().unwrap().is_some() {
            return Killed::Finished;
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    child.kill().unwrap();
    let status = child.wait().unwrap();
    match seen {
        // It exited on its own between the last look and the kill.
        _ if status.success() => Killed::Finished,
        // The temporary file is gone: it was renamed into place just before the kill.
        Some((temp, _)) if !temp.exists() => Killed::Finished,
        Some((_, bytes)) => Killed::MidWrite(bytes),
        None => Killed::BeforeWriting,
    }
}

#[test]
fn predict_killed_mid_write_leaves_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::write(path.join("good.fdr"), &fixtures().model).unwrap();
    let mut input = String::with_capacity(40 << 20);
    input.push_str("x1,x2\n");
    for i in 0..2_000_000u32 {
        let (a, b) = (i % 1000, i % 997);
        input.push_str(&format!("0.{a:03},-1.{b:03}\n"));
    }
    std::fs::write(path.join("input.csv"), input).unwrap();
    let old = b"x1,x2,y_predicted\n0.5,0.5,1.25\n".to_vec();
    std::fs::write(path.join("out.csv"), &old).unwrap();
    let args = ["predict", "good.fdr", "input.csv", "-o", "out.csv"];
    // Kill it once its temporary output holds a megabyte: well into the writing.
    let killed = run_and_kill(path, &args, 1 << 20, Duration::from_secs(30));
    assert!(
        matches!(killed, Killed::MidWrite(_)),
        "{killed:?}: use a larger input"
    );
    assert_eq!(std::fs::read(path.join("out.csv")).unwrap(), old);
    // A run that is not interrupted replaces the file whole.
    fivedreg(path).args(args).assert().success();
    let new = std::fs::read_to_string(path.join("out.csv")).unwrap();
    assert_eq!(new.lines().count(), 2_000_001);
    // Only the killed run's temporary file is left (SIGKILL leaves no chance to remove it).
    assert_eq!(temp_files(path).len(), 1);
}

#[test]
fn train_killed_mid_run_leaves_the_old_model() {
    let fx = fixtures();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::write(path.join("good.csv"), &fx.csv).unwrap();
    std::fs::write(path.join("model.fdr"), &fx.model).unwrap();
    let intact = |when: &str| {
        let now = std::fs::read(path.join("model.fdr")).unwrap();
        assert!(now == fx.model, "model.fdr changed {when}");
    };
    // Killed while training: an endless run (no early stopping, a patience it never uses up).
    let endless = [
        "train",
        "good.csv",
        "-o",
        "model.fdr",
        "--no-early-stopping",
        "--patience",
        "1000000",
        "--max-epochs",
        "1000000",
    ];
    // (An empty temporary file may flash by at the start: `train` checks that it can
    // write its output before training; only one with bytes in it is the model.)
    let killed = run_and_kill(path, &endless, 1, Duration::from_millis(500));
    assert_eq!(killed, Killed::BeforeWriting);
    intact("by a run killed while training");
    // Killed while writing: a network of 1.1 million parameters (a 4 MB file), one epoch.
    // The kill lands between the temporary file's creation and its rename, usually; a
    // run that got to the rename first must have left a whole new model, and is retried.
    let big = [
        "train",
        "good.csv",
        "-o",
        "model.fdr",
        "--hidden",
        "1024,1024",
        "--max-epochs",
        "1",
    ];
    let mut caught = 0;
    for _ in 0..5 {
        match run_and_kill(path, &big, 0, Duration::from_secs(60)) {
            Killed::MidWrite(_) => {
                caught += 1;
                intact("by a run killed while writing it");
            }
            Killed::Finished => {
                // The rename happened: the file must be a whole, loadable model.
                let bytes = std::fs::read(path.join("model.fdr")).unwrap();
                fivedreg::Interpolator::from_bytes(&bytes, "model.fdr").unwrap();
                std::fs::write(path.join("model.fdr"), &fx.model).unwrap();
            }
            Killed::BeforeWriting => panic!("a one-epoch run took a minute"),
        }
        if caught >= 2 {
            break;
        }
    }
    assert!(caught > 0, "never killed while writing");
}
