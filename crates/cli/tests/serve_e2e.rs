//! End-to-end tests of `fivedreg serve`: the binary listens, answers over real sockets,
//! stops cleanly on SIGTERM (a running job is recorded as interrupted), serves the same
//! data after a restart, and refuses a public address without a token.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary under test, built by cargo for this test run.
const BINARY: &str = env!("CARGO_BIN_EXE_fivedreg");

/// A running `fivedreg serve` and its log lines.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: mpsc::Receiver<String>,
}

impl Server {
    fn start(data_dir: &std::path::Path) -> Server {
        let mut child = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = loop {
            let line = log
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("the server did not say where it listens");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split('/').next().unwrap().parse().unwrap();
            }
        };
        Server { child, addr, log }
    }

    /// Sends one request on its own connection; the status and the body.
    fn request(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let end = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&response[..end]).to_string();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        assert!(
            !head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{head}"
        );
        (status, response[end + 4..].to_vec())
    }

    fn json(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let (status, bytes) = self.request(
            method,
            path,
            "application/json",
            body.to_string().as_bytes(),
        );
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Sends SIGTERM and waits for the exit; the exit code.
    fn terminate(mut self) -> Option<i32> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_stops_cleanly_and_restarts_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("store");
    let server = Server::start(&data_dir);
    let (status, health) = server.json("GET", "/api/v1/health", &Value::Null);
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let (status, page) = server.request("GET", "/", "text/plain", b"");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("<title>fivedreg</title>"));

    let data = fivedreg_data::generate(fivedreg_data::TestFunction::SumOfSquares, 3000, 5, 0.0, 1)
        .unwrap();
    let mut csv = Vec::new();
    fivedreg_data::write_csv(&data, &mut csv).unwrap();
    let (status, body) = server.request("POST", "/api/v1/datasets?name=seed.csv", "text/csv", &csv);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let dataset: Value = serde_json::from_slice(&body).unwrap();
    let dataset_id = dataset["id"].as_str().unwrap().to_string();
    // A job that would run for minutes.
    let (status, job) = server.json(
        "POST",
        "/api/v1/jobs",
        &json!({"dataset": dataset_id, "options": {"max_epochs": 1000000, "early_stopping": false, "patience": 1000000}}),
    );
    assert_eq!(status, 202, "{job}");
    let job_id = job["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, record) = server.json("GET", &format!("/api/v1/jobs/{job_id}"), &Value::Null);
        if record["state"] == "running" && record["epoch"].as_u64() >= Some(1) {
            break;
        }
        assert!(Instant::now() < deadline, "{record}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.terminate(), Some(0));

    let restarted = Server::start(&data_dir);
    let (_, datasets) = restarted.json("GET", "/api/v1/datasets", &Value::Null);
    assert_eq!(datasets[0]["id"], dataset_id.as_str());
    let (_, record) = restarted.json("GET", &format!("/api/v1/jobs/{job_id}"), &Value::Null);
    assert_eq!(record["state"], "interrupted", "{record}");
    assert!(record["model"].is_null());
    let (_, models) = restarted.json("GET", "/api/v1/models", &Value::Null);
    assert_eq!(models, json!([]));
    let log: Vec<String> = restarted.log.try_iter().collect();
    assert!(!log.iter().any(|l| l.contains("panicked")), "{log:?}");
}

#[test]
fn a_public_address_without_a_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BINARY)
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path().join("store"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: refusing to listen on 0.0.0.0:0 without --token"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!dir.path().join("store").exists());
}
