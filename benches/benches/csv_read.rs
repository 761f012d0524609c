//! Reading a 1,000,000-row, 6-column CSV file (5 features and a target, written with full
//! f64 precision) into a `Dataset`.
//!
//! Two measurements of the same read: wall-clock time (criterion's default) and, on Linux,
//! the reading thread's CPU time, which stays meaningful when other processes share the
//! machine.

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fivedreg_data::{generate, read_csv_path, write_csv, CsvOptions, TestFunction};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const ROWS: usize = 1_000_000;

/// The CSV file, written once per process (into the temporary directory, removed by the
/// last group).
fn csv_file() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let path =
            std::env::temp_dir().join(format!("fivedreg-csv-read-{}.csv", std::process::id()));
        let data = generate(TestFunction::SumOfSquares, ROWS, 5, 0.1, 1).expect("generate");
        let out = std::fs::File::create(&path).expect("create temp file");
        write_csv(&data, BufWriter::new(out)).expect("write temp file");
        path
    })
}

fn read_group<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    let path = csv_file();
    let bytes = std::fs::metadata(path).expect("stat").len();
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("1M_rows_6_cols", |b| {
        b.iter(|| {
            let (d, _) = read_csv_path(path, &CsvOptions::default()).expect("read");
            assert_eq!(d.n_rows(), ROWS);
            d
        })
    });
    group.finish();
}

fn bench_wall(c: &mut Criterion) {
    read_group(c, "csv_read");
}

fn bench_cpu(c: &mut Criterion<ThreadCpuTime>) {
    if ThreadCpuTime::now().is_some() {
        read_group(c, "csv_read_cpu");
    }
    // The last group of the run: remove the file.
    let _ = std::fs::remove_file(csv_file());
}

/// CPU time of the calling thread, in nanoseconds, from `/proc/thread-self/schedstat`
/// (Linux); reported as 0 where that file does not exist (the group is then skipped).
struct ThreadCpuTime;

impl ThreadCpuTime {
    fn now() -> Option<u64> {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        text.split_whitespace().next()?.parse().ok()
    }
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        ThreadCpuTime::now().unwrap_or(0)
    }
    fn end(&self, start: u64) -> u64 {
        ThreadCpuTime::now().unwrap_or(0).saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

/// Formats nanoseconds of CPU time like criterion's wall-clock times, marked "cpu".
struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical_ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical_ns >= 1e9 {
            (1e-9, "s cpu")
        } else if typical_ns >= 1e6 {
            (1e-6, "ms cpu")
        } else if typical_ns >= 1e3 {
            (1e-3, "µs cpu")
        } else {
            (1.0, "ns cpu")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }
    fn scale_throughputs(
        &self,
        _typical_ns: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per_item = match throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Elements(n) => {
                *n as f64
            }
        };
        // Values are ns per iteration; report MiB (or elements) per CPU second.
        for v in values.iter_mut() {
            *v = per_item * 1e9 / *v;
        }
        match throughput {
            Throughput::Elements(_) => {
                values.iter_mut().for_each(|v| *v /= 1e6);
                "Melem/cpu-s"
            }
            _ => {
                values.iter_mut().for_each(|v| *v /= 1024.0 * 1024.0);
                "MiB/cpu-s"
            }
        }
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns_cpu"
    }
}

criterion_group!(wall, bench_wall);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = bench_cpu
}
criterion_main!(wall, cpu);
