//! Abuse test of `fivedreg serve` on loopback (Robustness III): slow clients, idle
//! connections, a large upload, a flood of jobs, an oversized job, and the shutdown that
//! follows, while a monitor thread measures `/health` latency and the server's RSS
//! (`/proc/PID/status`) every 250 ms. Bounded in count and time (about a minute and a
//! half with the defaults); it starts and stops the server itself.
//!
//! ```text
//! cargo build --release -p fivedreg-cli
//! cargo run --release -p fivedreg-server --example abuse -- \
//!     --server target/release/fivedreg [--slow 530] [--idle 1100] [--upload-mb 300] \
//!     [--jobs 3000] [--phase-seconds 20]
//! ```
//!
//! The oversized job (`hidden [65536]`, `batch_size 100000`) is submitted behind the job
//! flood, so that a server that accepts it never gets to allocate it before the shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Options {
    server: PathBuf,
    slow: usize,
    idle: usize,
    upload_mb: usize,
    jobs: usize,
    phase_seconds: u64,
}

fn parse_options() -> Result<Options, String> {
    let mut o = Options {
        server: PathBuf::from("target/release/fivedreg"),
        slow: 530,
        idle: 1100,
        upload_mb: 300,
        jobs: 3000,
        phase_seconds: 20,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--server" => o.server = PathBuf::from(&value),
            "--slow" => o.slow = number()?.min(5000),
            "--idle" => o.idle = number()?.min(5000),
            "--upload-mb" => o.upload_mb = number()?.clamp(1, 4096),
            "--jobs" => o.jobs = number()?.min(20_000),
            "--phase-seconds" => o.phase_seconds = number()?.clamp(1, 300) as u64,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if !o.server.is_file() {
        return Err(format!("{} is not a file", o.server.display()));
    }
    Ok(o)
}

/// What the monitor saw during one phase.
#[derive(Default, Clone)]
struct Phase {
    name: String,
    latencies_ms: Vec<f64>,
    failures: usize,
    rss_max_mib: f64,
}

struct Monitor {
    current: Mutex<Phase>,
    done: Mutex<Vec<Phase>>,
    stop: AtomicBool,
}

impl Monitor {
    fn begin(&self, name: &str) {
        let mut current = self.current.lock().unwrap();
        let finished = std::mem::take(&mut *current);
        if !finished.name.is_empty() {
            self.done.lock().unwrap().push(finished);
        }
        current.name = name.to_string();
        println!("-- {name}");
    }
}

fn rss_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// One request on a fresh connection, with a 5 s deadline: (status, body).
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    kind: &str,
    body: &[u8],
) -> Option<(u16, Vec<u8>)> {
    let mut tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    tcp.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    tcp.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    tcp.write_all(head.as_bytes()).ok()?;
    tcp.write_all(body).ok()?;
    let mut reply = Vec::new();
    tcp.read_to_end(&mut reply).ok()?;
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n")?;
    let status = String::from_utf8_lossy(&reply[..split])
        .split(' ')
        .nth(1)?
        .parse()
        .ok()?;
    Some((status, reply[split + 4..].to_vec()))
}

fn field(body: &[u8], name: &str) -> String {
    let text = String::from_utf8_lossy(body);
    let key = format!("\"{name}\":\"");
    text.split(&key)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_string()
}

/// Opens `n` connections (as many as the system lets it), each sending `first`.
fn open_many(addr: SocketAddr, n: usize, first: &[u8]) -> Vec<TcpStream> {
    let mut open = Vec::new();
    for _ in 0..n {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(mut tcp) => {
                let _ = tcp.write_all(first);
                let _ = tcp.set_nonblocking(true);
                open.push(tcp);
            }
            Err(_) => break,
        }
    }
    open
}

/// How many of `conns` the server has closed (a read sees the end or a reply).
fn closed_by_server(conns: &mut [TcpStream]) -> usize {
    let mut closed = 0;
    let mut buffer = [0u8; 4096];
    for tcp in conns {
        match tcp.read(&mut buffer) {
            Ok(_) => closed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => closed += 1,
        }
    }
    closed
}

fn csv(rows: usize, seed: usize) -> Vec<u8> {
    let mut text = String::from("x1,x2,x3,x4,x5,y\n");
    for i in 0..rows {
        let x = ((i * 7919 + seed) % 10_007) as f64 / 10_007.0;
        text.push_str(&format!(
            "{x},{},{},{},{},{}\n",
            1.0 - x,
            x * x,
            x / 2.0,
            0.25,
            x * 3.0 + 1.0
        ));
    }
    text.into_bytes()
}

/// Sends a CSV of about `mb` MiB, generated as it goes, as a chunked upload; (status,
/// body, seconds).
fn big_upload(addr: SocketAddr, mb: usize) -> (Option<u16>, Vec<u8>, f64) {
    let clock = Instant::now();
    let Ok(mut tcp) = TcpStream::connect(addr) else {
        return (None, Vec::new(), 0.0);
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(600)));
    let head = format!(
        "POST /api/v1/datasets?name=big.csv HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let _ = tcp.write_all(head.as_bytes());
    let mut sent = 0usize;
    let mut block = 0usize;
    while sent < mb << 20 {
        let mut chunk = csv(10_000, block);
        if block > 0 {
            let header_end = chunk.iter().position(|&b| b == b'\n').unwrap_or(0) + 1;
            chunk.drain(..header_end);
        }
        block += 1;
        sent += chunk.len();
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk,
            b"\r\n".to_vec(),
        ]
        .concat();
        if tcp.write_all(&framed).is_err() {
            break;
        }
    }
    let _ = tcp.write_all(b"0\r\n\r\n");
    let mut reply = Vec::new();
    let _ = tcp.read_to_end(&mut reply);
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0);
    let status = String::from_utf8_lossy(&reply[..split])
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok());
    (
        status,
        reply.get(split + 4..).unwrap_or_default().to_vec(),
        clock.elapsed().as_secs_f64(),
    )
}

fn start(binary: &Path, data_dir: &Path) -> (Child, SocketAddr) {
    // Under `ulimit -n 1024`, as in the issue (the shell execs the server: same pid).
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 1024 && exec \"$0\" \"$@\"")
        .arg(binary)
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
    // Its log: the caps it reports, and when it stops.
    std::thread::spawn(move || {
        let mut shown = 0;
        for line in lines.map_while(Result::ok) {
            let notable =
                line.contains("cap") || line.contains("stopping") || line.contains("refused");
            if line.contains("panic") || line.contains("ERROR") || (notable && shown < 12) {
                shown += 1;
                println!("   server: {line}");
            }
        }
    });
    (child, addr)
}

fn main() {
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("abuse: {e}");
            std::process::exit(2);
        }
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (mut child, addr) = start(&options.server, &dir.path().join("data"));
    let pid = child.id();
    println!("server {} pid {pid} on {addr}", options.server.display());
    let monitor = Arc::new(Monitor {
        current: Mutex::new(Phase::default()),
        done: Mutex::new(Vec::new()),
        stop: AtomicBool::new(false),
    });
    let watcher = {
        let monitor = monitor.clone();
        std::thread::spawn(move || {
            while !monitor.stop.load(Ordering::Relaxed) {
                let clock = Instant::now();
                let ok = matches!(
                    request(addr, "GET", "/api/v1/health", "text/plain", b""),
                    Some((200, _))
                );
                let ms = clock.elapsed().as_secs_f64() * 1e3;
                let rss = rss_mib(pid, "VmRSS:");
                {
                    let mut phase = monitor.current.lock().unwrap();
                    if ok {
                        phase.latencies_ms.push(ms);
                    } else {
                        phase.failures += 1;
                    }
                    if rss > phase.rss_max_mib {
                        phase.rss_max_mib = rss;
                    }
                }
                std::thread::sleep(Duration::from_millis(250).saturating_sub(clock.elapsed()));
            }
        })
    };
    let phase_time = Duration::from_secs(options.phase_seconds);

    monitor.begin("baseline");
    std::thread::sleep(Duration::from_secs(2));

    monitor.begin(&format!(
        "{} slow chunked uploads + 100 half request lines",
        options.slow
    ));
    let head = format!(
        "POST /api/v1/datasets HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nx1,\r\n"
    );
    let mut slow = open_many(addr, options.slow, head.as_bytes());
    let mut half = open_many(addr, 100, b"GET /api/v1/hea");
    let clock = Instant::now();
    while clock.elapsed() < phase_time {
        std::thread::sleep(Duration::from_secs(5).min(phase_time));
        for tcp in &mut slow {
            let _ = tcp.write_all(b"1\r\n1\r\n");
        }
    }
    // An upload needs a blocking thread: is one left?
    let clock = Instant::now();
    let small = request(
        addr,
        "POST",
        "/api/v1/datasets?name=probe.csv",
        "text/csv",
        &csv(50, 3),
    );
    println!(
        "   a small upload meanwhile: {:?} after {:.2} s",
        small.map(|(status, _)| status),
        clock.elapsed().as_secs_f64()
    );
    println!(
        "   opened {} slow, {} half; closed by the server after {} s: {} slow, {} half",
        slow.len(),
        half.len(),
        options.phase_seconds,
        closed_by_server(&mut slow),
        closed_by_server(&mut half)
    );
    drop(slow);
    drop(half);

    monitor.begin(&format!("{} idle connections", options.idle));
    let mut idle = open_many(addr, options.idle, b"");
    std::thread::sleep(phase_time);
    println!(
        "   opened {}; closed by the server after {} s: {}",
        idle.len(),
        options.phase_seconds,
        closed_by_server(&mut idle)
    );
    drop(idle);

    monitor.begin(&format!("a {} MiB CSV upload", options.upload_mb));
    let hwm_before = rss_mib(pid, "VmHWM:");
    let (status, body, seconds) = big_upload(addr, options.upload_mb);
    let big = field(&body, "id");
    println!(
        "   status {status:?} in {seconds:.1} s; server peak RSS {hwm_before:.1} -> {:.1} MiB",
        rss_mib(pid, "VmHWM:")
    );

    monitor.begin(&format!("{} job submissions", options.jobs));
    let small = request(
        addr,
        "POST",
        "/api/v1/datasets?name=small.csv",
        "text/csv",
        &csv(200, 1),
    )
    .map(|(_, b)| field(&b, "id"))
    .unwrap_or_default();
    let long = format!(
        "{{\"dataset\":\"{small}\",\"options\":{{\"hidden\":[8],\"max_epochs\":1000000,\"no_early_stopping\":true,\"threads\":1}}}}"
    );
    let long_id = request(
        addr,
        "POST",
        "/api/v1/jobs",
        "application/json",
        long.as_bytes(),
    )
    .map(|(_, b)| field(&b, "id"))
    .unwrap_or_default();
    let quick =
        format!("{{\"dataset\":\"{small}\",\"options\":{{\"hidden\":[4],\"max_epochs\":5}}}}");
    let (mut accepted, mut refused, mut other) = (0, 0, 0);
    let clock = Instant::now();
    for _ in 0..options.jobs {
        match request(
            addr,
            "POST",
            "/api/v1/jobs",
            "application/json",
            quick.as_bytes(),
        ) {
            Some((202, _)) => accepted += 1,
            Some((429, _)) => refused += 1,
            _ => other += 1,
        }
        if clock.elapsed() > phase_time {
            break;
        }
    }
    println!(
        "   in {:.1} s: {accepted} accepted, {refused} refused (429), {other} other",
        clock.elapsed().as_secs_f64()
    );

    monitor.begin("the oversized job");
    let huge = format!(
        "{{\"dataset\":\"{big}\",\"options\":{{\"hidden\":[65536],\"batch_size\":100000,\"max_epochs\":1}}}}"
    );
    match request(
        addr,
        "POST",
        "/api/v1/jobs",
        "application/json",
        huge.as_bytes(),
    ) {
        Some((status, body)) => println!(
            "   status {status}: {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(220)
                .collect::<String>()
        ),
        None => println!("   no answer"),
    }
    std::thread::sleep(Duration::from_secs(3));
    let view = request(
        addr,
        "GET",
        &format!("/api/v1/jobs/{long_id}"),
        "text/plain",
        b"",
    );
    if let Some((_, body)) = view {
        let epoch = String::from_utf8_lossy(&body)
            .split("\"epoch\":")
            .nth(1)
            .and_then(|r| r.split(',').next().map(str::to_string))
            .unwrap_or_default();
        println!(
            "   GET /jobs/{{long job}}: {} bytes, {} at epoch {epoch}",
            body.len(),
            field(&body, "state")
        );
    }

    monitor.begin("SIGTERM");
    let clock = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(60);
    let exited = loop {
        if let Ok(Some(_)) = child.try_wait() {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stop_seconds = clock.elapsed().as_secs_f64();
    monitor.stop.store(true, Ordering::Relaxed);
    monitor.begin("");
    let _ = watcher.join();
    if !exited {
        let _ = child.kill();
    }
    let started_after = std::fs::read_dir(dir.path().join("data/jobs"))
        .map(|entries| {
            entries
                .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .filter(|job| job["state"] == "interrupted" && !job["started_ms"].is_null())
                .count()
        })
        .unwrap_or(0);
    println!(
        "   exited {} after {stop_seconds:.2} s; jobs started and then interrupted: {started_after}",
        if exited { "by itself" } else { "only when killed" }
    );

    println!(
        "\n{:<52} {:>7} {:>9} {:>9} {:>8} {:>9}",
        "phase", "checks", "p50 ms", "max ms", "failed", "RSS MiB"
    );
    for phase in monitor.done.lock().unwrap().iter() {
        let mut l = phase.latencies_ms.clone();
        l.sort_by(f64::total_cmp);
        let p50 = l.get(l.len() / 2).copied().unwrap_or(f64::NAN);
        let max = l.last().copied().unwrap_or(f64::NAN);
        println!(
            "{:<52} {:>7} {:>9.1} {:>9.1} {:>8} {:>9.1}",
            phase.name,
            l.len() + phase.failures,
            p50,
            max,
            phase.failures,
            phase.rss_max_mib
        );
    }
}
