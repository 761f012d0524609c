//! Load test of `fivedreg serve` on loopback: single-point predictions from many concurrent
//! keep-alive clients (requests/s, latency percentiles, errors, the server's RSS as the
//! requests go by), then one large CSV prediction streamed through the API (the server's
//! peak RSS). Bounded: it sends a fixed number of requests and stops by itself.
//!
//! ```text
//! cargo build --release -p fivedreg-cli
//! cargo run --release -p fivedreg-server --example loadgen -- \
//!     --server target/release/fivedreg [--clients 64] [--requests 100000] \
//!     [--csv-rows 1000000] [--client-threads 1]
//! ```
//!
//! It starts the server itself (on 127.0.0.1, a free port, a temporary data directory),
//! trains a model of the seed task through the API, and reads the server's memory from
//! `/proc/PID/status` (Linux).

use std::io::{BufRead, BufReader, Read, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Options {
    server: PathBuf,
    clients: usize,
    requests: usize,
    csv_rows: usize,
    client_threads: usize,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        server: PathBuf::from("target/release/fivedreg"),
        clients: 64,
        requests: 100_000,
        csv_rows: 1_000_000,
        client_threads: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let number = |text: String| text.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--server" => options.server = PathBuf::from(value()?),
            "--clients" => options.clients = number(value()?)?.max(1),
            "--requests" => options.requests = number(value()?)?,
            "--csv-rows" => options.csv_rows = number(value()?)?,
            "--client-threads" => options.client_threads = number(value()?)?.max(1),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if !options.server.is_file() {
        return Err(format!(
            "{} is not a file; build it with `cargo build --release -p fivedreg-cli` or give --server",
            options.server.display()
        ));
    }
    Ok(options)
}

/// A running `fivedreg serve`.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(binary: &Path, data_dir: &Path) -> Server {
        let mut child = Command::new(binary)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--max-upload-mb",
                "4096",
                "--data-dir",
            ])
            .arg(data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start the server");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let addr = loop {
            let line = lines
                .next()
                .and_then(Result::ok)
                .expect("the server stopped before listening");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest
                    .split('/')
                    .next()
                    .unwrap_or("")
                    .parse()
                    .expect("an address");
            }
        };
        // Keep draining its log so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, addr }
    }

    /// (current RSS, peak RSS) in MiB, from /proc.
    fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

/// One keep-alive connection speaking just enough HTTP/1.1 for this test.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends `request` (head and body) and reads the whole response; (status, body).
    async fn exchange(&mut self, request: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        self.stream.write_all(request).await?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> std::io::Result<(u16, Vec<u8>)> {
        let bad =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
        self.buffer.clear();
        let head_end = loop {
            if let Some(i) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(bad("connection closed"));
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buffer[..head_end]).map_err(|_| bad("head"))?;
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("status"))?;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .ok_or_else(|| bad("no content-length"))?;
        let mut body = self.buffer[head_end..].to_vec();
        if body.len() < length {
            let start = body.len();
            body.resize(length, 0);
            self.stream.read_exact(&mut body[start..]).await?;
        }
        Ok((status, body))
    }
}

fn request(addr: SocketAddr, method: &str, path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or(serde_json::Value::Null)
}

/// Uploads the seed task and trains a model with the default options; its id.
async fn train_model(addr: SocketAddr) -> String {
    let data = fivedreg_data::generate(fivedreg_data::TestFunction::SumOfSquares, 5000, 5, 0.1, 42)
        .expect("data");
    let mut csv = Vec::new();
    fivedreg_data::write_csv(&data, &mut csv).expect("csv");
    let mut connection = Connection::open(addr).await.expect("connect");
    let (status, body) = connection
        .exchange(&request(
            addr,
            "POST",
            "/api/v1/datasets?name=seed.csv",
            "text/csv",
            &csv,
        ))
        .await
        .expect("upload");
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let dataset = json(&body)["id"].as_str().unwrap_or_default().to_string();
    let job = serde_json::json!({"dataset": dataset, "options": {"seed": 1}}).to_string();
    let (status, body) = connection
        .exchange(&request(
            addr,
            "POST",
            "/api/v1/jobs",
            "application/json",
            job.as_bytes(),
        ))
        .await
        .expect("job");
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    let job = json(&body)["id"].as_str().unwrap_or_default().to_string();
    loop {
        let (_, body) = connection
            .exchange(&request(
                addr,
                "GET",
                &format!("/api/v1/jobs/{job}"),
                "text/plain",
                b"",
            ))
            .await
            .expect("poll");
        let record = json(&body);
        match record["state"].as_str() {
            Some("done") => return record["model"].as_str().unwrap_or_default().to_string(),
            Some("queued" | "running") => tokio::time::sleep(Duration::from_millis(50)).await,
            _ => panic!("training failed: {record}"),
        }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

/// Sends `total` single-point predictions over `clients` connections; every latency in µs
/// and the error count.
async fn point_load(
    addr: SocketAddr,
    model: &str,
    clients: usize,
    total: usize,
    progress: Arc<AtomicUsize>,
) -> (Vec<u32>, u64) {
    let path = format!("/api/v1/models/{model}/predict");
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..16)
            .map(|i| {
                let x = f64::from(i) / 16.0 - 0.5;
                let body = format!("{{\"rows\":[[{x},0.2,-0.3,0.4,{}]]}}", -x);
                request(addr, "POST", &path, "application/json", body.as_bytes())
            })
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (requests, next, errors, progress) = (
            requests.clone(),
            next.clone(),
            errors.clone(),
            progress.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(total / clients + 1);
            let mut connection = match Connection::open(addr).await {
                Ok(c) => c,
                Err(_) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    return latencies;
                }
            };
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return latencies;
                }
                let clock = Instant::now();
                let ok = match connection.exchange(&requests[i % requests.len()]).await {
                    Ok((200, body)) => body.starts_with(b"{\"target\":\"y\",\"predictions\":["),
                    Ok(_) => false,
                    Err(_) => match Connection::open(addr).await {
                        Ok(fresh) => {
                            connection = fresh;
                            false
                        }
                        Err(_) => return latencies,
                    },
                };
                latencies.push(clock.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                progress.fetch_add(1, Ordering::Relaxed);
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        latencies.extend(task.await.unwrap_or_default());
    }
    (latencies, errors.load(Ordering::Relaxed))
}

/// Writes `rows` rows of five features to `path`; its size.
fn write_feature_csv(path: &Path, rows: usize) -> u64 {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    writeln!(out, "x1,x2,x3,x4,x5").expect("write");
    let mut state: u64 = 7;
    let mut next = || {
        // xorshift: fast, and the values only need to vary.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    };
    for _ in 0..rows {
        writeln!(
            out,
            "{},{},{},{},{}",
            next(),
            next(),
            next(),
            next(),
            next()
        )
        .expect("write");
    }
    out.flush().expect("flush");
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Streams the CSV at `path` to the predict endpoint and reads the answer; (status, bytes
/// received, lines received).
async fn csv_predict(addr: SocketAddr, model: &str, path: &Path) -> (u16, u64, u64) {
    let size = std::fs::metadata(path).expect("csv").len();
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /api/v1/models/{model}/predict HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/csv\r\n\
         Content-Length: {size}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut file = std::fs::File::open(path).expect("open");
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut chunk).expect("read");
        if n == 0 {
            break;
        }
        stream.write_all(&chunk[..n]).await.expect("send");
    }
    let mut received = 0u64;
    let mut lines = 0u64;
    let mut head_seen = false;
    let mut status = 0u16;
    let mut pending = Vec::new();
    loop {
        let n = stream.read(&mut chunk).await.expect("receive");
        if n == 0 {
            break;
        }
        if head_seen {
            received += n as u64;
            lines += chunk[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            continue;
        }
        pending.extend_from_slice(&chunk[..n]);
        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..i]);
            status = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let body = &pending[i + 4..];
            received += body.len() as u64;
            lines += body.iter().filter(|&&b| b == b'\n').count() as u64;
            head_seen = true;
        }
    }
    (status, received, lines)
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.client_threads)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temporary directory");
    let data_dir = dir.path().join("data");
    println!(
        "fivedreg serve load test: {} cores, load average {} at start",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average()
    );

    // 1. Single-point predictions.
    let server = Server::start(&options.server, &data_dir);
    let addr = server.addr;
    let model = runtime.block_on(train_model(addr));
    println!(
        "server {addr} (pid {}), model {model} (5 features, 64-32-16)",
        server.child.id()
    );
    let warm = Arc::new(AtomicUsize::new(0));
    runtime.block_on(point_load(addr, &model, options.clients, 5_000, warm));
    let (rss_start, _) = server.memory();
    let progress = Arc::new(AtomicUsize::new(0));
    let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sampler = {
        let (progress, samples, pid) = (progress.clone(), samples.clone(), server.child.id());
        let total = options.requests;
        std::thread::spawn(move || {
            let mut next_mark = total / 10;
            while progress.load(Ordering::Relaxed) < total {
                let done = progress.load(Ordering::Relaxed);
                if done >= next_mark {
                    let status =
                        std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                    let rss = status
                        .lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .and_then(|l| l.split_whitespace().nth(1))
                        .and_then(|kb| kb.parse::<f64>().ok())
                        .map_or(f64::NAN, |kb| kb / 1024.0);
                    samples
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((done, rss));
                    next_mark += total / 10;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let load_before = load_average();
    let clock = Instant::now();
    let (mut latencies, errors) = runtime.block_on(point_load(
        addr,
        &model,
        options.clients,
        options.requests,
        progress,
    ));
    let seconds = clock.elapsed().as_secs_f64();
    let _ = sampler.join();
    let (rss_end, hwm) = server.memory();
    latencies.sort_unstable();
    println!(
        "\n## Single-point predictions: {} requests, {} keep-alive clients, {} client thread(s)",
        latencies.len(),
        options.clients,
        options.client_threads
    );
    println!(
        "load average before {load_before}, after {}",
        load_average()
    );
    println!(
        "throughput   {:.0} requests/s ({:.2} s)",
        latencies.len() as f64 / seconds,
        seconds
    );
    println!(
        "latency ms   p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 0.999),
        percentile(&latencies, 1.0)
    );
    println!("errors       {errors}");
    let series: Vec<String> = samples
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(done, rss)| format!("{}k:{rss:.1}", done / 1000))
        .collect();
    println!(
        "server RSS   {rss_start:.1} MiB after warm-up, {rss_end:.1} MiB after (peak {hwm:.1}); \
         by requests done: {}",
        series.join(" ")
    );
    server.stop();

    // 2. A large CSV through the API, on a fresh server process (its own peak RSS).
    if options.csv_rows > 0 {
        let csv = dir.path().join("points.csv");
        let size = write_feature_csv(&csv, options.csv_rows);
        let server = Server::start(&options.server, &data_dir);
        let (rss_before, _) = server.memory();
        let load_before = load_average();
        let clock = Instant::now();
        let (status, received, lines) = runtime.block_on(csv_predict(server.addr, &model, &csv));
        let seconds = clock.elapsed().as_secs_f64();
        let (rss_after, peak) = server.memory();
        println!(
            "\n## CSV prediction: {} rows ({:.1} MiB) in, streamed through the API",
            options.csv_rows,
            size as f64 / (1 << 20) as f64
        );
        println!(
            "load average before {load_before}, after {}",
            load_average()
        );
        println!(
            "status {status}, {lines} lines ({:.1} MiB) back in {seconds:.2} s ({:.0} rows/s)",
            received as f64 / (1 << 20) as f64,
            options.csv_rows as f64 / seconds
        );
        println!(
            "server RSS   {rss_before:.1} MiB before, {rss_after:.1} MiB after, peak {peak:.1} MiB"
        );
        let ok = status == 200 && lines == options.csv_rows as u64 + 1;
        println!(
            "{}",
            if ok {
                "rows check: every row came back"
            } else {
                "rows check: FAILED"
            }
        );
        server.stop();
        if !ok {
            std::process::exit(1);
        }
    }
    if errors > 0 {
        std::process::exit(1);
    }
}
