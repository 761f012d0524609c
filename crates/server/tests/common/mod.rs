//! Helpers shared by the server's tests: a state on a temporary data directory, requests
//! sent through the router without a socket, and small data sets.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use fivedreg_server::{router, AppState, ServeConfig};
use serde_json::Value;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// A server state on its own temporary data directory.
pub struct Api {
    pub state: AppState,
    pub dir: tempfile::TempDir,
    pub token: Option<String>,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {:?} (status {})",
                String::from_utf8_lossy(&self.body),
                self.status
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// Asserts the status and that the body is the error shape; the error object.
    pub fn error(&self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(
            self.headers.get(header::CONTENT_TYPE).unwrap(),
            "application/json",
            "{}",
            self.text()
        );
        let body = self.json();
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
        body
    }
}

impl Api {
    pub fn new() -> Api {
        Api::with(|_| {})
    }

    pub fn with(adjust: impl FnOnce(&mut ServeConfig)) -> Api {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServeConfig {
            data_dir: dir.path().join("data"),
            ..ServeConfig::default()
        };
        adjust(&mut config);
        let token = config.token.clone();
        let state = AppState::open(config).unwrap();
        Api { state, dir, token }
    }

    /// The same data directory opened again, as after a restart.
    pub fn reopen(&self) -> AppState {
        AppState::open(self.state.config().clone()).unwrap()
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn request(&self, method: Method, path: &str) -> axum::http::request::Builder {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = &self.token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        builder
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(
            self.request(Method::DELETE, path)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn post_json(&self, path: &str, value: &Value) -> Reply {
        self.send(
            self.request(Method::POST, path)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(value.to_string()))
                .unwrap(),
        )
        .await
    }

    pub async fn post_bytes(&self, path: &str, content_type: &str, bytes: Vec<u8>) -> Reply {
        self.send(
            self.request(Method::POST, path)
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(bytes))
                .unwrap(),
        )
        .await
    }

    /// Uploads `csv`; the data set's description.
    pub async fn upload(&self, csv: &str) -> Value {
        let reply = self
            .post_bytes("/api/v1/datasets?name=test.csv", "text/csv", csv.into())
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        reply.json()
    }

    /// Submits a job; its record.
    pub async fn submit(&self, dataset: &str, options: Value) -> Value {
        let reply = self
            .post_json(
                "/api/v1/jobs",
                &serde_json::json!({"dataset": dataset, "options": options}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
        reply.json()
    }

    /// Polls the job until `done(record)`; the record.
    pub async fn wait_job(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let job = self.get(&format!("/api/v1/jobs/{id}")).await.json();
            if done(&job) {
                return job;
            }
            assert!(Instant::now() < deadline, "job {id} stuck: {job}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the job has ended; the record.
    pub async fn wait_ended(&self, id: &str) -> Value {
        self.wait_job(id, |j| {
            !matches!(j["state"].as_str(), Some("queued" | "running"))
        })
        .await
    }

    /// Uploads a small data set and trains on it; (data set id, model id).
    pub async fn trained(&self) -> (String, String) {
        let dataset = self.upload(&sum_of_squares(400, 3, 1)).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let job = self.submit(&dataset, quick_options()).await;
        let job = self.wait_ended(job["id"].as_str().unwrap()).await;
        assert_eq!(job["state"], "done", "{job}");
        (dataset, job["model"].as_str().unwrap().to_string())
    }
}

/// Options that train in well under a second.
pub fn quick_options() -> Value {
    serde_json::json!({"hidden": [16, 8], "max_epochs": 40, "seed": 3, "threads": 1})
}

/// `n` rows of y = sum of squares of `d` inputs, as CSV.
pub fn sum_of_squares(n: usize, d: usize, seed: u64) -> String {
    let data = fivedreg_data::generate(fivedreg_data::TestFunction::SumOfSquares, n, d, 0.0, seed)
        .unwrap();
    let mut bytes = Vec::new();
    fivedreg_data::write_csv(&data, &mut bytes).unwrap();
    String::from_utf8(bytes).unwrap()
}

/// The files under `dir`, recursively, relative to it.
pub fn files(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}
