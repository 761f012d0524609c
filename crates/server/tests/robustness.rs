//! Robustness III: the server's cases of the issue, each named after its case. Those that
//! need a socket (timeouts, the connection cap) serve on 127.0.0.1:0.

mod common;

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use common::{quick_options, sum_of_squares, Api};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn long_options() -> Value {
    json!({"hidden": [32, 32], "max_epochs": 1_000_000, "early_stopping": false,
           "patience": 1_000_000, "threads": 1})
}

/// A body that sends `first` and then nothing, until the returned sender is dropped.
fn stalled_body(first: &'static [u8]) -> (Body, tokio::sync::mpsc::Sender<()>) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
    let stream = async_stream(first, async move {
        let _ = rx.recv().await;
    });
    (Body::from_stream(stream), tx)
}

fn async_stream(
    first: &'static [u8],
    hold: impl std::future::Future<Output = ()> + Send + 'static,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send {
    futures_util::stream::unfold(
        (Some(first), Some(Box::pin(hold))),
        |(first, hold)| async move {
            if let Some(first) = first {
                return Some((Ok(first.to_vec()), (None, hold)));
            }
            hold?.await;
            None
        },
    )
}

/// Serves `api` on a free loopback port; (address, a sender that stops it).
async fn serve(api: &Api) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(fivedreg_server::serve(listener, api.state.clone(), async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// One request on a fresh connection; the status, or None when the connection closed
/// without an answer.
async fn raw_get(addr: std::net::SocketAddr, path: &str) -> Option<u16> {
    let mut tcp = TcpStream::connect(addr).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.ok()?;
    let mut reply = Vec::new();
    tcp.read_to_end(&mut reply).await.ok()?;
    let text = String::from_utf8_lossy(&reply);
    text.split(' ').nth(1)?.parse().ok()
}

// Case 1 ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_1_a_job_over_the_memory_limit_is_refused_before_anything_is_queued() {
    let api = Api::with(|c| c.memory_limit = 256 << 20);
    let dataset = api.upload(&sum_of_squares(2_000, 5, 1)).await["id"].clone();
    let jobs_dir = api.state.config().data_dir.join("jobs");
    let reply = api
        .post_json(
            "/api/v1/jobs",
            &json!({"dataset": dataset, "options": {"hidden": [65536], "batch_size": 100000, "max_epochs": 1}}),
        )
        .await;
    let body = reply.error(StatusCode::BAD_REQUEST);
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("would need about")
            && message.contains("256.0 MiB")
            && message.contains("--memory-limit"),
        "{message}"
    );
    assert_eq!(std::fs::read_dir(&jobs_dir).unwrap().count(), 0);
    assert_eq!(api.get("/api/v1/jobs").await.json(), json!([]));

    // A model larger than a model file may be is refused even without a memory limit.
    let api = Api::with(|c| c.memory_limit = u64::MAX);
    let dataset = api.upload(&sum_of_squares(100, 5, 1)).await["id"].clone();
    let body = api
        .post_json(
            "/api/v1/jobs",
            &json!({"dataset": dataset, "options": {"hidden": [8000, 8000], "ensemble": 64, "threads": 1}}),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("model file"),
        "{body}"
    );

    // batch_size is capped at the data set's rows; the estimate is recorded.
    let job = api
        .submit(
            dataset.as_str().unwrap(),
            json!({"batch_size": 1_000_000, "max_epochs": 2, "hidden": [4]}),
        )
        .await;
    assert_eq!(job["options"]["batch_size"], 100, "{job}");
    assert!(job["memory_estimate"].as_u64().unwrap() > 0, "{job}");
}

// Case 2 ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_2_a_half_sent_request_head_is_cut_off() {
    let api = Api::with(|c| c.header_timeout = Duration::from_secs(1));
    let (addr, _stop) = serve(&api).await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /api/v1/hea").await.unwrap();
    let clock = Instant::now();
    let mut buffer = Vec::new();
    // The server closes the connection (perhaps after a 408): read_to_end returns.
    let read = tokio::time::timeout(Duration::from_secs(20), tcp.read_to_end(&mut buffer)).await;
    assert!(read.is_ok(), "still open after {:?}", clock.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_2_idle_connections_at_the_cap_make_room_for_health() {
    let api = Api::with(|c| c.max_connections = 8);
    let (addr, _stop) = serve(&api).await;
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..3 {
        assert_eq!(raw_get(addr, "/api/v1/health").await, Some(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_2_uploads_over_the_cap_get_503_while_the_api_answers() {
    let api = Api::with(|c| c.max_uploads = 1);
    let (body, hold) = stalled_body(b"x1,y\n1,2\n");
    let first = api.send(
        api.request(Method::POST, "/api/v1/datasets")
            .header(header::CONTENT_TYPE, "text/csv")
            .body(body)
            .unwrap(),
    );
    let second = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let reply = api
            .post_bytes("/api/v1/datasets", "text/csv", b"x1,y\n1,2\n".to_vec())
            .await;
        reply.error(StatusCode::SERVICE_UNAVAILABLE);
        assert!(reply.headers.contains_key(header::RETRY_AFTER));
        assert_eq!(api.get("/api/v1/health").await.status, StatusCode::OK);
        drop(hold);
    };
    let (first, ()) = tokio::join!(first, second);
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_2_a_trickling_upload_is_cut_off_at_the_minimum_rate() {
    let api = Api::with(|c| c.min_body_rate = 1000);
    let chunks = futures_util::stream::unfold(0u32, |i| async move {
        // 5 bytes every 200 ms: 25 bytes/s, inside the idle timeout, far under the rate.
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        (i < 10_000).then(|| (Ok::<_, std::io::Error>(b"1,2\n\n".to_vec()), i + 1))
    });
    let clock = Instant::now();
    let reply = api
        .send(
            api.request(Method::POST, "/api/v1/datasets")
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from_stream(
                    futures_util::stream::once(async {
                        Ok::<_, std::io::Error>(b"x1,y\n".to_vec())
                    })
                    .chain(chunks),
                ))
                .unwrap(),
        )
        .await;
    let body = reply.error(StatusCode::REQUEST_TIMEOUT);
    assert!(
        body["error"].as_str().unwrap().contains("--min-body-rate"),
        "{body}"
    );
    // After the grace period, well before the trickle would have ended (2,000 s).
    assert!(clock.elapsed() < Duration::from_secs(120));
}

use futures_util::StreamExt;

// Case 3 ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_3_foreign_hosts_cross_origin_writes_and_other_types_are_refused() {
    let api = Api::with(|c| c.allowed_hosts = vec!["fivedreg.internal".into()]);
    let port = api.state.config().listen.port();
    let get_with = |name: &'static str, value: String| {
        api.send(
            api.request(Method::GET, "/api/v1/health")
                .header(name, value)
                .body(Body::empty())
                .unwrap(),
        )
    };
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "fivedreg.internal".to_string(),
        format!("fivedreg.internal:{port}"),
    ] {
        assert_eq!(
            get_with("host", host.clone()).await.status,
            StatusCode::OK,
            "{host}"
        );
    }
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1:{}", port + 1),
        "localhost".to_string(),
    ] {
        get_with("host", host).await.error(StatusCode::FORBIDDEN);
    }
    // The page loads under the right host.
    let page = api
        .send(
            api.request(Method::GET, "/")
                .header(header::HOST, format!("localhost:{port}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);

    let csv = sum_of_squares(20, 2, 1);
    let post = |origin: Option<String>, fetch_site: Option<&'static str>| {
        let mut request = api
            .request(Method::POST, "/api/v1/datasets")
            .header(header::HOST, format!("127.0.0.1:{port}"))
            .header(header::CONTENT_TYPE, "text/csv");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        api.send(request.body(Body::from(csv.clone())).unwrap())
    };
    post(Some("http://evil.example".into()), None)
        .await
        .error(StatusCode::FORBIDDEN);
    post(Some("null".into()), None)
        .await
        .error(StatusCode::FORBIDDEN);
    post(None, Some("cross-site"))
        .await
        .error(StatusCode::FORBIDDEN);
    assert_eq!(
        post(
            Some(format!("http://127.0.0.1:{port}")),
            Some("same-origin")
        )
        .await
        .status,
        StatusCode::CREATED
    );
    assert_eq!(post(None, None).await.status, StatusCode::CREATED);
    assert_eq!(
        api.get("/api/v1/datasets")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Only the documented types: text/plain and no type are what another site's page can
    // send without asking.
    for content_type in [Some("text/plain"), None, Some("application/octet-stream")] {
        let mut request = api.request(Method::POST, "/api/v1/datasets");
        if let Some(t) = content_type {
            request = request.header(header::CONTENT_TYPE, t);
        }
        api.send(request.body(Body::from(csv.clone())).unwrap())
            .await
            .error(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    api.post_bytes("/api/v1/models", "text/plain", vec![0; 10])
        .await
        .error(StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

// Case 7 ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_7_a_delete_that_fails_is_a_5xx_and_the_model_stays() {
    let api = Api::new();
    let (_, model) = api.trained().await;
    let data_dir = api.state.config().data_dir.clone();
    let meta = data_dir.join("models").join(format!("{model}.json"));
    // A description that cannot be removed (a directory in its place: refused even to
    // root, unlike a read-only folder).
    std::fs::remove_file(&meta).unwrap();
    std::fs::create_dir(&meta).unwrap();
    std::fs::write(meta.join("keep"), b"x").unwrap();
    let body = api
        .delete(&format!("/api/v1/models/{model}"))
        .await
        .error(StatusCode::INTERNAL_SERVER_ERROR);
    let message = body["error"].as_str().unwrap();
    assert!(message.contains("cannot delete"), "{message}");
    // No absolute path of the server in a 5xx body.
    assert!(!message.contains(&*data_dir.to_string_lossy()), "{message}");
    assert!(
        !message.contains(&*api.dir.path().to_string_lossy()),
        "{message}"
    );
    assert_eq!(
        api.get(&format!("/api/v1/models/{model}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_7_a_damaged_description_is_listed_and_deletable() {
    let api = Api::new();
    let (_, model) = api.trained().await;
    let models_dir = api.state.config().data_dir.join("models");
    std::fs::write(models_dir.join(format!("{model}.json")), b"{\"id\": 12").unwrap();
    let restarted = Api {
        state: api.reopen(),
        dir: tempfile::tempdir().unwrap(),
        token: None,
    };
    let models = restarted.get("/api/v1/models").await.json();
    assert_eq!(models[0]["id"], model.as_str(), "{models}");
    assert!(models[0]["damaged"].is_string(), "{models}");
    restarted
        .get(&format!("/api/v1/models/{model}"))
        .await
        .error(StatusCode::CONFLICT);
    // Its file is whole: it can be downloaded, to be uploaded again.
    assert_eq!(
        restarted
            .get(&format!("/api/v1/models/{model}/file"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        restarted
            .delete(&format!("/api/v1/models/{model}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert!(!models_dir.join(format!("{model}.fdr")).exists());
    assert!(!models_dir.join(format!("{model}.json")).exists());
}

// Case 8 ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_8_the_queue_is_capped_and_nothing_starts_once_stopping() {
    let api = Api::with(|c| c.max_queue = 2);
    let dataset = api.upload(&sum_of_squares(200, 3, 1)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let running = api.submit(&dataset, long_options()).await;
    let running = running["id"].as_str().unwrap().to_string();
    api.wait_job(&running, |j| j["state"] == "running").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let job = api.submit(&dataset, quick_options()).await;
        ids.push(job["id"].as_str().unwrap().to_string());
    }
    let reply = api
        .post_json(
            "/api/v1/jobs",
            &json!({"dataset": dataset, "options": quick_options()}),
        )
        .await;
    reply.error(StatusCode::TOO_MANY_REQUESTS);
    assert!(reply.headers.contains_key(header::RETRY_AFTER));

    api.state.shutdown();
    assert!(api.state.wait_for_jobs(Duration::from_secs(60)).await);
    for id in &ids {
        let job = api.get(&format!("/api/v1/jobs/{id}")).await.json();
        assert_eq!(job["state"], "interrupted", "{job}");
        assert!(job["started_ms"].is_null(), "started after stopping: {job}");
    }
    api.post_json("/api/v1/jobs", &json!({"dataset": dataset}))
        .await
        .error(StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_8_job_curves_are_capped_as_a_model_files_are() {
    let api = Api::new();
    let dataset = api.upload(&sum_of_squares(30, 2, 1)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = api
        .submit(
            &dataset,
            json!({"hidden": [2], "max_epochs": 9_000, "early_stopping": false, "threads": 1}),
        )
        .await;
    let job = api.wait_ended(job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "done", "{job}");
    let curve = job["curves"]["train_loss"].as_array().unwrap();
    assert!(
        curve.len() <= fivedreg::MAX_CURVE_POINTS && curve.len() > 1000,
        "{} points",
        curve.len()
    );
    assert_eq!(curve.last().unwrap(), &job["train_loss"]);
}

// Case 9 ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_9_a_stalled_json_body_is_408() {
    let api = Api::with(|c| {
        c.body_timeout = Duration::from_secs(1);
        c.request_timeout = Duration::from_secs(3);
    });
    let (body, _hold) = stalled_body(b"{\"dataset\": ");
    let reply = api
        .send(
            api.request(Method::POST, "/api/v1/jobs")
                .header(header::CONTENT_TYPE, "application/json")
                .body(body)
                .unwrap(),
        )
        .await;
    reply.error(StatusCode::REQUEST_TIMEOUT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_9_a_5xx_names_no_server_path() {
    let api = Api::new();
    let datasets = api.state.config().data_dir.join("datasets");
    std::fs::remove_dir_all(&datasets).unwrap();
    std::fs::write(&datasets, b"not a folder").unwrap();
    let reply = api
        .post_bytes(
            "/api/v1/datasets",
            "text/csv",
            sum_of_squares(10, 2, 1).into(),
        )
        .await;
    assert!(reply.status.is_server_error(), "{}", reply.text());
    let text = reply.text();
    assert!(!text.contains(&*api.dir.path().to_string_lossy()), "{text}");
    assert!(!text.contains("/datasets/"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_9_a_corrupted_model_file_is_not_served() {
    let api = Api::new();
    let (_, model) = api.trained().await;
    let path = api
        .state
        .config()
        .data_dir
        .join("models")
        .join(format!("{model}.fdr"));
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let reply = api.get(&format!("/api/v1/models/{model}/file")).await;
    let body = reply.error(StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body["error"].as_str().unwrap().contains("damaged"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_9_a_running_jobs_progress_is_on_disk() {
    let api = Api::new();
    let dataset = api.upload(&sum_of_squares(200, 3, 1)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = api.submit(&dataset, long_options()).await;
    let id = job["id"].as_str().unwrap().to_string();
    let path = api
        .state
        .config()
        .data_dir
        .join("jobs")
        .join(format!("{id}.json"));
    // As a kill -9 would find it: the record on disk, read while the job runs.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stored: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if stored["state"] == "running" && stored["epoch"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no progress on disk: {stored}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    api.delete(&format!("/api/v1/jobs/{id}")).await;
}
