//! fivedreg-server: the HTTP API and browser page of `fivedreg serve`.
//!
//! [`router`] is the whole service as an axum `Router` (a test drives it without a socket);
//! [`serve`] runs it on a listener, and [`run`] is `fivedreg serve`: it opens the data
//! directory, listens, and stops cleanly on Ctrl-C or SIGTERM.
//!
//! ```no_run
//! let config = fivedreg_server::ServeConfig::default(); // 127.0.0.1:8000, ./fivedreg-data
//! fivedreg_server::run(config)?;
//! # Ok::<(), fivedreg_server::ServerError>(())
//! ```
//!
//! The API is under `/api/v1` and described by `/api/v1/openapi.json`; `docs/serve.md`
//! walks through it. Every client error is a 4xx with a JSON body `{"error": …}` (plus
//! `field`, `line`, `column` or `row` where one is at fault).
#![warn(missing_docs)]

mod admission;
mod body;
mod connections;
mod datasets;
mod error;
mod hyperparameters;
mod jobs;
mod json;
mod models;
mod openapi;
mod page;
mod state;
mod store;
mod toolkit;

pub use datasets::{ColumnStats, DatasetInfo};
pub use error::{ApiError, ErrorBody, ServerError};
pub use hyperparameters::{Hyperparameter, Hyperparameters, Slider};
pub use jobs::{
    CandidateScore, Curves, JobRecord, JobRequest, JobState, JobView, Plan, TrainOptions,
};
pub use json::JSON_LIMIT;
pub use models::{
    EnsembleInfo, Metrics, ModelDetail, ModelInfo, ModelSource, PredictQuery, PredictRequest,
    PredictResponse, TestPredictions, MAX_TEST_POINTS,
};
pub use openapi::ApiDoc;
pub use state::analysis_slots;
pub use state::{default_memory_limit, AppState, ServeConfig, BODY_GRACE, LARGE_JSON, MAX_JOBS};
pub use toolkit::{
    ContourData, DesignRequest, DesignResponse, IceCurve, OptimizeRequest, OptimizeResponse,
    SensitivityRequest, SensitivityResponse, SliceData, SliceRequest, SliceResponse,
    SuggestRequest, SuggestResponse,
};

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use serde::Serialize;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::{OpenApi, ToSchema};

/// `GET /api/v1/health`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// The server's version.
    pub version: String,
    /// The model file format version it writes.
    pub model_format_version: u32,
}

/// Is the server up?
#[utoipa::path(get, path = "/api/v1/health", tag = "service",
    responses((status = 200, body = Health)))]
pub(crate) async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        model_format_version: fivedreg::FORMAT_VERSION,
    })
}

/// The job options, their defaults and valid ranges (from the library's checks).
#[utoipa::path(get, path = "/api/v1/hyperparameters", tag = "service",
    responses((status = 200, body = Hyperparameters)))]
pub(crate) async fn get_hyperparameters() -> Json<Hyperparameters> {
    Json(hyperparameters::hyperparameters())
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "service",
    responses((status = 200, description = "the OpenAPI document", body = Object)))]
pub(crate) async fn openapi_json() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => ApiError::internal(format!("cannot encode the document: {e}")).into_response(),
    }
}

/// Whether `given` equals `expected`, in time that does not depend on where they differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = u8::from(given.len() != expected.len());
    for (i, &e) in expected.iter().enumerate() {
        difference |= e ^ given.get(i).copied().unwrap_or(!e);
    }
    difference == 0
}

async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(token) = &state.config().token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
            .unwrap_or(b"");
        if !same_secret(given, token.as_bytes()) {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "this server needs a token: send the header 'Authorization: Bearer <token>'",
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// Whether `host` (a `Host` header's value) names this server: its listen address, an IP
/// literal of it (any, when listening on every address), `localhost` with the port when
/// listening on loopback, or a name given with `--allowed-host` (with any port, unless the
/// name gives one). A page of another site whose name was made to resolve to this
/// address (DNS rebinding) sends its own name, and is refused.
fn known_host(state: &AppState, host: &str) -> bool {
    let addr = state.address();
    let host = host.trim().to_ascii_lowercase();
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && !port.contains(']') => {
            (name.to_string(), port.parse::<u16>().ok())
        }
        _ => (host.clone(), None),
    };
    for allowed in &state.config().allowed_hosts {
        let allowed = allowed.to_ascii_lowercase();
        if allowed == host || allowed == name {
            return true;
        }
    }
    // The listen port must be named, or be the default one (80) left out.
    let port_matches = port.map_or(addr.port() == 80, |p| p == addr.port());
    if !port_matches {
        return false;
    }
    let literal = name.trim_start_matches('[').trim_end_matches(']');
    match literal.parse::<std::net::IpAddr>() {
        Ok(ip) => ip == addr.ip() || addr.ip().is_unspecified(),
        Err(_) => name == "localhost" && addr.ip().is_loopback(),
    }
}

/// Refuses what a page of another site could send: a `Host` that is not this server's (DNS
/// rebinding), and a request that changes something (any method but GET and HEAD) from
/// another origin (`Origin` other than `http://` + the `Host`, or a `Sec-Fetch-Site` other
/// than same-origin). Clients that send neither header (curl, scripts) are not browsers
/// and pass.
async fn same_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers.get(header::HOST).map(|v| v.to_str().unwrap_or(""));
    if let Some(host) = host {
        if !known_host(&state, host) {
            tracing::warn!("refused a request for host {host:?} (see --allowed-host)");
            return ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "this server does not answer to the host {:?}; if that name is meant to \
                     reach it, start it with --allowed-host NAME",
                    host.chars().take(100).collect::<String>()
                ),
            )
            .into_response();
        }
    }
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        let expected = format!(
            "http://{}",
            host.map_or_else(|| state.address().to_string(), str::to_string)
        );
        let origin = headers
            .get(header::ORIGIN)
            .map(|v| v.to_str().unwrap_or("?"));
        let cross_origin = origin.is_some_and(|o| !o.eq_ignore_ascii_case(&expected));
        let fetch_site = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("same-origin");
        if cross_origin || !matches!(fetch_site, "same-origin" | "none") {
            tracing::warn!(
                "refused a cross-origin {method} {} (Origin {origin:?})",
                request.uri().path()
            );
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "cross-origin request refused: only this server's own page may change \
                 anything from a browser",
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// Turns any error response that is not JSON yet (a rejection by axum or tower-http, an
/// unknown route) into `{"error": …}`, so that every client error has the same shape.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 << 10)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text
    };
    let mut replaced = ApiError::new(status, message).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replaced.headers_mut().insert(name.clone(), value.clone());
        }
    }
    replaced
}

async fn not_found(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {method} {}", uri.path()),
    )
}

async fn log_request(request: Request, next: Next) -> Response {
    // Cheap clones (the URI shares its bytes): this runs for every request.
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let clock = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    // A 503 is a cap or the shutdown at work, logged where it is decided.
    if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
        tracing::error!("{method} {} -> {status}", uri.path());
    } else {
        tracing::debug!(
            "{method} {} -> {status} in {:.3} ms",
            uri.path(),
            clock.elapsed().as_secs_f64() * 1e3
        );
    }
    response
}

/// The whole service: the API (behind the token, when there is one), the page, and the
/// JSON error shape. Requests that are not streamed have a body cap ([`JSON_LIMIT`]) and a
/// timeout; streamed ones (uploads, CSV predictions, event streams) are capped by
/// `--max-upload-mb` and by an idle timeout between chunks instead.
pub fn router(state: AppState) -> Router {
    let timeout = state.config().request_timeout;
    let quick = |route: MethodRouter<AppState>| {
        route
            .layer::<_, std::convert::Infallible>(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                timeout,
            ))
            .layer::<_, std::convert::Infallible>(RequestBodyLimitLayer::new(JSON_LIMIT as usize))
    };
    let api = Router::new()
        .route("/api/v1/health", quick(get(health)))
        .route("/api/v1/hyperparameters", quick(get(get_hyperparameters)))
        .route("/api/v1/openapi.json", quick(get(openapi_json)))
        .route(
            "/api/v1/datasets",
            quick(get(datasets::list)).post(datasets::create),
        )
        .route(
            "/api/v1/datasets/{id}",
            quick(get(datasets::get).delete(datasets::delete)),
        )
        .route("/api/v1/jobs", quick(get(jobs::list).post(jobs::create)))
        // A cancellation waits for the training to reach its epoch's end.
        .route(
            "/api/v1/jobs/{id}",
            quick(get(jobs::get)).delete(jobs::delete),
        )
        .route("/api/v1/jobs/{id}/events", get(jobs::events))
        .route(
            "/api/v1/models",
            quick(get(models::list)).post(models::upload),
        )
        .route(
            "/api/v1/models/{id}",
            quick(get(models::get).delete(models::delete)),
        )
        .route("/api/v1/models/{id}/file", quick(get(models::file)))
        .route("/api/v1/models/{id}/predict", post(models::predict))
        // The surrogate toolkit: JSON in and out, the work on the blocking pool.
        .route(
            "/api/v1/models/{id}/sensitivity",
            quick(post(toolkit::sensitivity)),
        )
        .route("/api/v1/models/{id}/slice", quick(post(toolkit::slice)))
        .route("/api/v1/models/{id}/suggest", quick(post(toolkit::suggest)))
        .route(
            "/api/v1/models/{id}/optimize",
            quick(post(toolkit::optimize)),
        )
        .route("/api/v1/design", quick(post(toolkit::design)))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/", get(page::index))
        .route("/app.js", get(page::app_js))
        .route("/style.css", get(page::style_css))
        .route("/favicon.svg", get(page::favicon))
        .merge(api)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), same_origin))
        .layer(middleware::map_response(json_errors))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Serves [`router`] on `listener` until `shutdown` completes; then stops the jobs and
/// event streams ([`AppState::shutdown`]) and waits for the open requests to finish.
///
/// Connections have a header-read timeout (`header_timeout`, which also closes keep-alive
/// connections idle that long) and are capped (`max_connections`; see the `connections`
/// module).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(local) = listener.local_addr() {
        let _ = state.inner.bound.set(local);
    }
    let app = router(state.clone());
    let stopping = state.clone();
    connections::run(listener, app, &state, shutdown, move || {
        tracing::info!("stopping: new connections refused, jobs interrupted");
        stopping.shutdown();
    })
    .await
}

/// Completes on Ctrl-C or SIGTERM.
async fn stop_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

/// Logs to stderr, at `info` unless `RUST_LOG` names another level (`debug` shows every
/// request).
pub fn init_logging() {
    let level = match std::env::var("RUST_LOG")
        .unwrap_or_default()
        .to_lowercase()
        .as_str()
    {
        "error" => tracing::Level::ERROR,
        "warn" => tracing::Level::WARN,
        "debug" => tracing::Level::DEBUG,
        "trace" => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(false)
        .try_init();
}

/// `fivedreg serve`: opens the data directory, listens on `config.listen` and serves until
/// Ctrl-C or SIGTERM; then running jobs are stopped (and recorded as `interrupted`) and
/// open requests get a few seconds to finish.
pub fn run(config: ServeConfig) -> Result<(), ServerError> {
    let state = AppState::open(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("fivedreg-serve")
        .build()
        .map_err(ServerError::Runtime)?;
    let result = runtime.block_on(async {
        let addr = state.config().listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Listen { addr, source })?;
        let local = listener.local_addr().unwrap_or(addr);
        let data_dir = std::fs::canonicalize(state.config().data_dir.as_path())
            .unwrap_or_else(|_| state.config().data_dir.clone());
        tracing::info!(
            "listening on http://{local}/ (data in {}; {} training job{} at once{})",
            data_dir.display(),
            state.config().jobs,
            if state.config().jobs == 1 { "" } else { "s" },
            if state.config().token.is_some() {
                "; API requests need the token"
            } else {
                ""
            }
        );
        let mut stopping = state.shutdown_signal();
        let server = serve(listener, state.clone(), stop_signal());
        tokio::select! {
            served = server => served.map_err(ServerError::Runtime)?,
            // Requests still open some seconds after the signal are cut off.
            _ = async {
                let _ = stopping.wait_for(|stop| *stop).await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            } => tracing::warn!("closing the connections still open"),
        }
        if !state.wait_for_jobs(Duration::from_secs(30)).await {
            tracing::warn!("a training job did not stop within 30 s");
        }
        Ok(())
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        for given in [&b""[..], b"ab", b"abd", b"abcd", b"xbc"] {
            assert!(!same_secret(given, b"abc"), "{given:?}");
        }
    }
}
