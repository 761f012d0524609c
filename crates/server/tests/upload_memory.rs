//! Robustness III, case 4: a data set upload streams to disk with its statistics computed
//! as it goes, so the server's memory does not grow with the file. Alone in its test
//! binary, so that the process's peak memory (`VmHWM`) is this test's.
#![cfg(target_os = "linux")]

mod common;

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use common::Api;

fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap();
    kb * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_4_a_large_upload_does_not_grow_the_servers_memory() {
    let api = Api::new();
    // 2,000,000 rows of 6 columns (about 120 MB), made a block at a time as it is sent:
    // held whole, its numbers alone would be 96 MB.
    const ROWS: usize = 2_000_000;
    const BLOCK: usize = 20_000;
    let blocks = futures_util::stream::iter((0..ROWS / BLOCK).map(|b| {
        let mut text = if b == 0 {
            "x1,x2,x3,x4,x5,y\n".to_string()
        } else {
            String::new()
        };
        for i in b * BLOCK..(b + 1) * BLOCK {
            let x = i as f64 * 1e-6;
            text.push_str(&format!(
                "{x},{},{},{},{},{}\n",
                x + 0.125,
                x * 2.0,
                -x,
                0.5,
                i % 1000
            ));
        }
        Ok::<_, std::io::Error>(text.into_bytes())
    }));
    let before = peak_rss_bytes();
    let reply = api
        .send(
            api.request(Method::POST, "/api/v1/datasets?name=big.csv")
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from_stream(blocks))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let info = reply.json();
    assert_eq!(info["rows"], ROWS);
    assert_eq!(info["columns"][5]["max"], 999.0);
    assert_eq!(info["columns"][4]["mean"], 0.5);
    let grown = peak_rss_bytes().saturating_sub(before);
    assert!(
        grown < 48 << 20,
        "the peak memory grew by {} MiB",
        grown >> 20
    );

    // The statistics are those of the whole file, as the data crate reads it.
    let path = api
        .state
        .config()
        .data_dir
        .join("datasets")
        .join(format!("{}.csv", info["id"].as_str().unwrap()));
    let (data, _) =
        fivedreg_data::read_csv_path(&path, &fivedreg_data::CsvOptions::default()).unwrap();
    let x1: Vec<f64> = (0..data.n_rows()).map(|i| data.features()[i * 5]).collect();
    let mean = x1.iter().sum::<f64>() / x1.len() as f64;
    assert_eq!(info["columns"][0]["mean"], mean);
}
