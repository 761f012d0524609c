//! Reading a 1,000,000-row, 6-column CSV file (5 features and a target, written with full
//! f64 precision) into a `Dataset`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fivedreg_data::{generate, read_csv_path, write_csv, CsvOptions, TestFunction};
use std::io::BufWriter;
use std::path::PathBuf;

const ROWS: usize = 1_000_000;

/// Deletes the file when the bench ends, even on a panic.
struct TempFile(PathBuf);
impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn bench_csv_read(c: &mut Criterion) {
    let path = std::env::temp_dir().join(format!("fivedreg-csv-read-{}.csv", std::process::id()));
    let file = TempFile(path);
    let data = generate(TestFunction::SumOfSquares, ROWS, 5, 0.1, 1).expect("generate");
    let out = std::fs::File::create(&file.0).expect("create temp file");
    write_csv(&data, BufWriter::new(out)).expect("write temp file");
    let bytes = std::fs::metadata(&file.0).expect("stat").len();
    drop(data);

    let mut group = c.benchmark_group("csv_read");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("1M_rows_6_cols", |b| {
        b.iter(|| {
            let (d, _) = read_csv_path(&file.0, &CsvOptions::default()).expect("read");
            assert_eq!(d.n_rows(), ROWS);
            d
        })
    });
    group.finish();
}

criterion_group!(benches, bench_csv_read);
criterion_main!(benches);
