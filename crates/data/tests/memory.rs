//! Reading streams: besides the parsed numbers (and their vectors' spare room while they
//! grow) the reader holds only fixed-size buffers, never the text or a per-row copy.
//! Measured as the growth of the peak resident set (Linux `/proc`), alone in this test
//! binary so no other test allocates meanwhile.

#![cfg(target_os = "linux")]

use fivedreg_data::{read_csv, CsvOptions};

/// A `kB` field of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    let kb: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[test]
fn reading_holds_little_more_than_the_numbers() {
    let rows = 400_000;
    let mut text = String::from("a,b,c,d,e,y\n");
    for i in 0..rows {
        let v = i as f64 / 7.0;
        text.push_str(&format!("{v},{v},{v},{v},{v},{}\r\n", -v));
    }
    let numbers = rows * 6 * 8;
    assert!(
        text.len() > 2 * numbers,
        "the text must outweigh the numbers"
    );

    // Writing 5 to clear_refs resets the peak (VmHWM) to the current resident set.
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        eprintln!("cannot reset the peak resident set here; skipping the measurement");
        return;
    }
    let before = status_bytes("VmRSS:");
    let (data, _) = read_csv(text.as_bytes(), "mem.csv", &CsvOptions::default()).unwrap();
    let peak = status_bytes("VmHWM:").saturating_sub(before);
    assert_eq!(data.n_rows(), rows);
    assert_eq!(data.targets()[rows - 1], -((rows - 1) as f64 / 7.0));
    eprintln!(
        "text {} bytes, numbers {numbers} bytes, peak growth {peak} bytes",
        text.len()
    );
    // Only touched pages count: growing vectors move by remapping, so the peak is about
    // the numbers; the parser's buffers are a few hundred KiB. Holding the text or rows of
    // strings would need more than the text itself (over twice the numbers).
    assert!(
        peak <= numbers * 3 / 2 + (2 << 20),
        "peak grew {peak} bytes for {numbers} bytes of numbers"
    );
}
