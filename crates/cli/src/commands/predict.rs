//! `fivedreg predict`: a model's predictions for every row of a CSV file (streamed, in
//! bounded memory) or for one point.

use super::io::{chunk_failure, note_unnamed_first, prediction_column, same_file, stdin};
use crate::args::PredictArgs;
use crate::failure::{display_path, Failure};
use crate::output::{column_name, output_name, print, write_to};
use fivedreg::Interpolator;
use fivedreg_data::{CsvOptions, FeatureRows, RawBlock, RowChunk};
use std::path::Path;

/// `fivedreg predict`.
pub fn run(args: &PredictArgs) -> Result<(), Failure> {
    let model = Interpolator::load(&args.model)?;
    if args.std && !model.is_ensemble() {
        return Err(Failure::usage(format!(
            "--std: {}: {}",
            display_path(&args.model),
            fivedreg::Error::NotAnEnsemble
        )));
    }
    if let Some(point) = &args.point {
        let mut y = model
            .predict_point(point)
            .map_err(|e| Failure::from(e).about(&display_path(&args.model)))?;
        // With --std, the mean and std as the file form computes them (the point's length
        // was checked just above).
        let mut std = None;
        if args.std {
            let with_std = model
                .predict_with_std(point)
                .map_err(|e| Failure::from(e).about(&display_path(&args.model)))?;
            if let (Some(&mean), Some(&s)) = (with_std.mean.first(), with_std.std.first()) {
                (y, std) = (mean, Some(s));
            }
        }
        if model.domain().is_some_and(|d| d.is_outside(point)) {
            let what = "the point lies outside the training domain (outside a feature's \
                        training range or far from every training row; see `fivedreg inspect`)";
            if args.strict_domain {
                return Err(Failure::other(format!(
                    "{}: {what}; --strict-domain refuses it",
                    display_path(&args.model)
                )));
            }
            eprintln!("warning: {what}: the prediction is an extrapolation");
        }
        // The shortest text that reads back as the same number (1e-301, not 300 zeros);
        // with --std, the std after a comma, as the columns of a predicted file.
        return match std {
            Some(std) => print(&format!("{y:?},{std:?}\n")),
            None => print(&format!("{y:?}\n")),
        };
    }
    if same_file(&args.output, &args.model) {
        return Err(Failure::usage(format!(
            "-o {} is the model; the predictions would replace it",
            display_path(&args.output)
        )));
    }
    let input = args.input.as_deref().unwrap_or(Path::new("-"));
    if same_file(&args.output, input) {
        return Err(Failure::usage(format!(
            "-o {} is the input; the predictions would replace it (write them to another \
             file)",
            display_path(&args.output)
        )));
    }
    if input.as_os_str() == "-" {
        predict_stream(&model, stdin()?, "<stdin>", args)
    } else {
        let file = fivedreg_data::open(input)?;
        predict_stream(&model, file, &display_path(input), args)
    }
}

fn predict_stream<R: std::io::Read>(
    model: &Interpolator,
    reader: R,
    source: &str,
    args: &PredictArgs,
) -> Result<(), Failure> {
    let (output, with_std) = (args.output.as_path(), args.std);
    let options = CsvOptions {
        delimiter: args.delimiter,
        ..Default::default()
    };
    let mut rows = FeatureRows::with_options(reader, source, model.feature_names(), &options)?;
    note_unnamed_first(source, rows.header(), "copied through to the output");
    let prediction_column = prediction_column(model.target_name());
    let std_column = format!("{}_std", model.target_name());
    let domain_column = format!("{}_extrapolated", model.target_name());
    for (column, added) in [
        (&prediction_column, true),
        (&std_column, with_std),
        (&domain_column, args.flag_domain),
    ] {
        if rows.header().contains(column) && added {
            return Err(Failure::other(format!(
                "{source}: already has a column named {}",
                column_name(column)
            )));
        }
    }
    write_to(output, |out| {
        let name = output_name(output);
        let write_error = |e: std::io::Error| Failure::other(format!("{name}: {e}"));
        let delimiter = rows.delimiter();
        // The header as the `csv` crate writes it (quoted where needed), with the input's
        // separator, so a tab-separated file stays one.
        let mut header = rows.header().to_vec();
        header.push(prediction_column.clone());
        if with_std {
            header.push(std_column.clone());
        }
        if args.flag_domain {
            header.push(domain_column.clone());
        }
        let mut header_line = Vec::new();
        for (i, name) in header.iter().enumerate() {
            if i > 0 {
                header_line.push(delimiter);
            }
            fivedreg_data::push_field(&mut header_line, name.as_bytes(), delimiter);
        }
        header_line.push(b'\n');
        // Written with the first rows (or at the end, when there are none), so that a run
        // refused at its first block (`--strict-domain`, a bad row) writes nothing at all.
        let mut header_line = Some(header_line);
        let format = ChunkFormat {
            model,
            source,
            delimiter,
            with_std,
            flag_domain: args.flag_domain,
            strict_domain: args.strict_domain,
        };
        // This thread reads blocks of lines and writes the output in order; two workers
        // parse, predict and format whole blocks. A block that is not plain (and every
        // block after it) goes back to the reader's slow path, which this thread then reads
        // chunk by chunk for the workers to predict.
        let parser = rows.block_parser();
        let (to_workers, jobs) = std::sync::mpsc::channel::<PredictJob>();
        let jobs = std::sync::Mutex::new(jobs);
        let (worker_out, from_workers) = std::sync::mpsc::channel::<PredictJob>();
        // Owned by the scope's closure: dropped on every way out of it, which stops the
        // workers before the scope waits for them.
        let outside_rows = std::thread::scope(|scope| -> Result<u64, Failure> {
            let to_workers = to_workers;
            for _ in 0..WORKERS {
                let (jobs, worker_out, format, parser) =
                    (&jobs, worker_out.clone(), &format, &parser);
                scope.spawn(move || loop {
                    let next = match jobs.lock() {
                        Ok(jobs) => jobs.recv(),
                        Err(_) => return,
                    };
                    let Ok(mut job) = next else {
                        return;
                    };
                    job.not_plain = false;
                    job.failure = None;
                    if job.raw {
                        let parsed = parser
                            .as_ref()
                            .is_some_and(|p| p.parse(&mut job.block, &mut job.chunk));
                        job.not_plain = !parsed;
                    }
                    if !job.not_plain {
                        job.failure = format.run(&mut job).err();
                    }
                    if worker_out.send(job).is_err() {
                        return;
                    }
                });
            }
            drop(worker_out);
            let mut spare: Vec<PredictJob> = Vec::new();
            let mut done: std::collections::BTreeMap<u64, PredictJob> = Default::default();
            let (mut next_seq, mut write_seq, mut in_flight) = (0u64, 0u64, 0usize);
            let mut outside_rows = 0u64;
            let mut read_error = None;
            let (mut reading, mut fast) = (true, parser.is_some());
            loop {
                while reading && in_flight < IN_FLIGHT {
                    let mut job = spare.pop().unwrap_or_else(PredictJob::new);
                    job.chunk.clear();
                    job.raw = false;
                    if fast {
                        match rows.take_block(&mut job.block) {
                            Ok(true) => job.raw = true,
                            Ok(false) => fast = false,
                            Err(e) => {
                                read_error = Some(e);
                                reading = false;
                                break;
                            }
                        }
                    }
                    if !job.raw {
                        match rows.read_chunk(&mut job.chunk) {
                            Ok(true) => {}
                            Ok(false) => {
                                reading = false;
                                break;
                            }
                            Err(e) => {
                                read_error = Some(e);
                                reading = false;
                                break;
                            }
                        }
                    }
                    job.seq = next_seq;
                    next_seq += 1;
                    in_flight += 1;
                    if to_workers.send(job).is_err() {
                        return Err(Failure::other(format!("{source}: a worker stopped")));
                    }
                }
                if in_flight == 0 {
                    break;
                }
                let Ok(job) = from_workers.recv() else {
                    return Err(Failure::other(format!("{source}: a worker stopped")));
                };
                in_flight -= 1;
                done.insert(job.seq, job);
                while let Some(mut job) = done.remove(&write_seq) {
                    if job.not_plain {
                        // Back to the reader, with every block taken after it, in order.
                        while in_flight > 0 {
                            let Ok(later) = from_workers.recv() else {
                                return Err(Failure::other(format!("{source}: a worker stopped")));
                            };
                            in_flight -= 1;
                            done.insert(later.seq, later);
                        }
                        let mut back = vec![std::mem::take(&mut job.block)];
                        for (_, later) in std::mem::take(&mut done) {
                            back.push(later.block);
                        }
                        rows.give_back(back);
                        (next_seq, fast, reading) = (write_seq, false, true);
                        spare.push(job);
                        break;
                    }
                    // Rows before a bad one are written first, as their order asks.
                    if let Some(failure) = job.failure.take() {
                        return Err(failure);
                    }
                    if let Some(header) = header_line.take() {
                        out.write_all(&header).map_err(write_error)?;
                    }
                    out.write_all(&job.text).map_err(write_error)?;
                    outside_rows += job.outside_rows;
                    write_seq += 1;
                    spare.push(job);
                }
            }
            drop(to_workers);
            match read_error {
                Some(e) => Err(e.into()),
                None => Ok(outside_rows),
            }
        })?;
        if let Some(header) = header_line.take() {
            out.write_all(&header).map_err(write_error)?;
        }
        out.flush().map_err(write_error)?;
        if outside_rows > 0 {
            eprintln!(
                "warning: {source}: {outside_rows} row{} outside the training domain \
                 (outside a feature's training range or far from every training row): \
                 {} extrapolation{}{}",
                if outside_rows == 1 { " lies" } else { "s lie" },
                if outside_rows == 1 {
                    "its prediction is an"
                } else {
                    "their predictions are"
                },
                if outside_rows == 1 { "" } else { "s" },
                if args.flag_domain {
                    format!("; see the {domain_column} column")
                } else {
                    "; --flag-domain marks them".to_string()
                }
            );
        }
        Ok(())
    })
}

/// Threads that parse, predict and format blocks of rows for `predict`.
const WORKERS: usize = 2;

/// Blocks of rows on their way through the workers at most (a few megabytes).
const IN_FLIGHT: usize = 4;

/// A block of rows on its way through `predict`: taken (or read on the slow path), parsed,
/// predicted and formatted.
struct PredictJob {
    /// Its place in the input.
    seq: u64,
    /// Whether `block` is still to be parsed (else `chunk` was read on the slow path).
    raw: bool,
    block: RawBlock,
    chunk: RowChunk,
    /// The output lines of the rows.
    text: Vec<u8>,
    outside_rows: u64,
    /// The block has a line the fast path does not parse.
    not_plain: bool,
    failure: Option<Failure>,
}

impl PredictJob {
    fn new() -> PredictJob {
        PredictJob {
            seq: 0,
            raw: false,
            block: RawBlock::default(),
            chunk: RowChunk::new(true),
            text: Vec::new(),
            outside_rows: 0,
            not_plain: false,
            failure: None,
        }
    }
}

/// How `predict` turns a chunk of rows into output lines.
struct ChunkFormat<'a> {
    model: &'a Interpolator,
    source: &'a str,
    delimiter: u8,
    with_std: bool,
    flag_domain: bool,
    strict_domain: bool,
}

impl ChunkFormat<'_> {
    /// Predicts the chunk's rows and writes each row's output line into `job.text`: its
    /// input fields as read, then the prediction (and the standard deviation, and whether
    /// it lies outside the domain, when asked), with the numbers' shortest round-trip text.
    fn run(&self, job: &mut PredictJob) -> Result<(), Failure> {
        let (model, source, chunk) = (self.model, self.source, &job.chunk);
        let predicted = if self.with_std {
            model
                .predict_with_std(&chunk.features)
                .map(|w| (w.mean, w.std))
        } else {
            model
                .predict(&chunk.features)
                .map(|mean| (mean, Vec::new()))
        };
        let (predictions, stds) =
            predicted.map_err(|e| chunk_failure(model, source, &chunk.lines, e))?;
        let outside = model
            .domain()
            .map(|d| d.outside(&chunk.features))
            .unwrap_or_default();
        if let Some(i) = outside.iter().position(|&o| o) {
            if self.strict_domain {
                return Err(Failure::other(format!(
                    "{source}:{}: the row lies outside the training domain (outside a \
                     feature's training range or far from every training row); \
                     --strict-domain refuses it",
                    chunk.lines.get(i).copied().unwrap_or(0)
                )));
            }
        }
        job.outside_rows = outside.iter().filter(|&&o| o).count() as u64;
        let text = &mut job.text;
        text.clear();
        let delimiter = self.delimiter;
        let mut number = Vec::with_capacity(32);
        for (i, y) in predictions.iter().enumerate() {
            text.extend_from_slice(chunk.text(i));
            let mut field = |text: &mut Vec<u8>, value: Option<f64>, word: &[u8]| {
                text.push(delimiter);
                number.clear();
                match value {
                    Some(v) => fivedreg_data::push_shortest(&mut number, v),
                    None => number.extend_from_slice(word),
                }
                fivedreg_data::push_field(text, &number, delimiter);
            };
            field(text, Some(*y), b"");
            if let Some(sd) = stds.get(i) {
                field(text, Some(*sd), b"");
            }
            if self.flag_domain {
                let word: &[u8] = if outside.get(i) == Some(&true) {
                    b"true"
                } else {
                    b"false"
                };
                field(text, None, word);
            }
            text.push(b'\n');
        }
        Ok(())
    }
}
