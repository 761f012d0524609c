//! Request bodies streamed into blocking code: an async task feeds the body's chunks through
//! a small bounded channel to a [`BodyReader`], a `std::io::Read` that the CSV reader of the
//! data crate consumes in a blocking task. Memory stays bounded whatever the body's size,
//! and a slow reader slows the client down (back-pressure) instead of buffering.

use crate::error::{human_bytes, ApiError};
use crate::state::{ServeConfig, BODY_GRACE};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};
use futures_util::StreamExt;
use std::io::{self, Read};
use std::time::Duration;
use tokio::sync::mpsc;

/// Chunks in flight between the feeding task and the reader.
const CHANNEL_CHUNKS: usize = 8;

/// Why a body could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyFailure {
    /// It is longer than the limit.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The client sent nothing for too long.
    Idle {
        /// How long, in seconds.
        seconds: u64,
    },
    /// The body arrives slower than the minimum rate.
    TooSlow {
        /// Bytes received so far.
        received: u64,
        /// Seconds since the body began.
        seconds: u64,
        /// The minimum rate, bytes per second.
        min_rate: u64,
    },
    /// The connection failed.
    Read(String),
}

impl std::fmt::Display for BodyFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyFailure::TooLarge { limit } => {
                write!(f, "the request body is larger than {}", human_bytes(*limit))
            }
            BodyFailure::Idle { seconds } => {
                write!(f, "the client sent nothing for {seconds} s")
            }
            BodyFailure::TooSlow {
                received,
                seconds,
                min_rate,
            } => write!(
                f,
                "the request body arrives too slowly: {received} bytes in {seconds} s, under \
                 the minimum of {min_rate} bytes/s (--min-body-rate)"
            ),
            BodyFailure::Read(e) => write!(f, "reading the request body failed: {e}"),
        }
    }
}

impl From<BodyFailure> for ApiError {
    fn from(failure: BodyFailure) -> ApiError {
        match failure {
            BodyFailure::TooLarge { limit } => ApiError::too_large(limit),
            BodyFailure::Idle { .. } | BodyFailure::TooSlow { .. } => {
                ApiError::new(StatusCode::REQUEST_TIMEOUT, failure.to_string())
            }
            BodyFailure::Read(_) => ApiError::bad_request(failure.to_string()),
        }
    }
}

/// What a streamed body must keep to.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Most bytes.
    pub limit: u64,
    /// Longest pause between two chunks.
    pub idle: Duration,
    /// Slowest average rate, bytes per second, once `grace` has passed.
    pub min_rate: u64,
    /// Time before `min_rate` applies.
    pub grace: Duration,
}

impl From<&ServeConfig> for BodyLimits {
    fn from(config: &ServeConfig) -> BodyLimits {
        BodyLimits {
            limit: config.max_upload_bytes,
            idle: config.idle_timeout,
            min_rate: config.min_body_rate,
            grace: BODY_GRACE,
        }
    }
}

/// A request body as a blocking reader. Use it only in blocking code
/// (`tokio::task::spawn_blocking`).
pub struct BodyReader {
    rx: mpsc::Receiver<Result<Bytes, BodyFailure>>,
    current: Bytes,
    failure: Option<BodyFailure>,
}

impl BodyReader {
    /// Starts feeding `body` (within `limits`) to a reader. Must be called inside the
    /// runtime.
    pub fn spawn(body: Body, limits: BodyLimits) -> BodyReader {
        let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
        tokio::spawn(feed(body, tx, limits));
        BodyReader {
            rx,
            current: Bytes::new(),
            failure: None,
        }
    }

    /// Why reading stopped early, if it did. Check it first when a reader of this body
    /// fails: its own error then only echoes this one.
    pub fn failure(&self) -> Option<&BodyFailure> {
        self.failure.as_ref()
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(failure) = &self.failure {
                return Err(io::Error::other(failure.to_string()));
            }
            if !self.current.is_empty() {
                let n = buf.len().min(self.current.len());
                buf[..n].copy_from_slice(&self.current.split_to(n));
                return Ok(n);
            }
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(failure)) => self.failure = Some(failure),
            }
        }
    }
}

async fn feed(body: Body, tx: mpsc::Sender<Result<Bytes, BodyFailure>>, limits: BodyLimits) {
    let mut stream = body.into_data_stream();
    let mut total: u64 = 0;
    let started = tokio::time::Instant::now();
    loop {
        // The wait for the next chunk ends at the idle timeout, or sooner when the minimum
        // rate would be missed by then: a client that trickles a few bytes just inside
        // the idle timeout is cut off all the same.
        let idle_deadline = tokio::time::Instant::now() + limits.idle;
        let rate_deadline = (limits.min_rate > 0).then(|| {
            let due = Duration::from_secs_f64(total as f64 / limits.min_rate as f64);
            started + limits.grace.max(due)
        });
        let deadline = rate_deadline.map_or(idle_deadline, |r| r.min(idle_deadline));
        let next = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(next) => next,
            Err(_) => {
                let failure = if deadline == idle_deadline {
                    BodyFailure::Idle {
                        seconds: limits.idle.as_secs(),
                    }
                } else {
                    BodyFailure::TooSlow {
                        received: total,
                        seconds: started.elapsed().as_secs(),
                        min_rate: limits.min_rate,
                    }
                };
                tracing::info!("request body cut off: {failure}");
                let _ = tx.send(Err(failure)).await;
                return;
            }
        };
        let message = match next {
            None => return,
            Some(Err(e)) => Err(BodyFailure::Read(e.to_string())),
            Some(Ok(chunk)) => {
                total = total.saturating_add(chunk.len() as u64);
                if total > limits.limit {
                    Err(BodyFailure::TooLarge {
                        limit: limits.limit,
                    })
                } else {
                    Ok(chunk)
                }
            }
        };
        let stop = message.is_err();
        if tx.send(message).await.is_err() || stop {
            return;
        }
    }
}

/// Refuses at once a body whose declared length is over `limit`.
pub fn check_length(headers: &HeaderMap, limit: u64) -> Result<(), ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > limit => Err(ApiError::too_large(limit)),
        _ => Ok(()),
    }
}

/// The media type of the body (`text/csv`), lower-cased, without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or("").trim();
    Some(essence.to_ascii_lowercase())
}

/// Whether `media` is the type a CSV body must be sent as: `text/csv`, and nothing else
/// (curl's default for `--data-binary` is a form type, and so is refused with a hint). A
/// missing type or `text/plain` are refused too: a page of another site can send those
/// without asking first (CORS "simple" requests).
pub fn is_csv(media: Option<&str>) -> bool {
    media == Some("text/csv")
}

/// 415 for a body that should have been CSV.
pub fn not_csv(media: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!(
            "expected a CSV body (Content-Type: text/csv), not {media}; with curl: \
             -H 'Content-Type: text/csv' --data-binary @data.csv"
        ),
    )
}
