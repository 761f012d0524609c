//! Request bodies streamed into blocking code: an async task feeds the body's chunks through
//! a small bounded channel to a [`BodyReader`], a `std::io::Read` that the CSV reader of the
//! data crate consumes in a blocking task. Memory stays bounded whatever the body's size,
//! and a slow reader slows the client down (back-pressure) instead of buffering.

use crate::error::{human_bytes, ApiError};
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
            BodyFailure::Read(e) => write!(f, "reading the request body failed: {e}"),
        }
    }
}

impl From<BodyFailure> for ApiError {
    fn from(failure: BodyFailure) -> ApiError {
        match failure {
            BodyFailure::TooLarge { limit } => ApiError::too_large(limit),
            BodyFailure::Idle { .. } => {
                ApiError::new(StatusCode::REQUEST_TIMEOUT, failure.to_string())
            }
            BodyFailure::Read(_) => ApiError::bad_request(failure.to_string()),
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
    /// Starts feeding `body` (at most `limit` bytes, each chunk within `idle`) to a reader.
    /// Must be called inside the runtime.
    pub fn spawn(body: Body, limit: u64, idle: Duration) -> BodyReader {
        let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
        tokio::spawn(feed(body, tx, limit, idle));
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

async fn feed(
    body: Body,
    tx: mpsc::Sender<Result<Bytes, BodyFailure>>,
    limit: u64,
    idle: Duration,
) {
    let mut stream = body.into_data_stream();
    let mut total: u64 = 0;
    loop {
        let next = match tokio::time::timeout(idle, stream.next()).await {
            Ok(next) => next,
            Err(_) => {
                let seconds = idle.as_secs();
                let _ = tx.send(Err(BodyFailure::Idle { seconds })).await;
                return;
            }
        };
        let message = match next {
            None => return,
            Some(Err(e)) => Err(BodyFailure::Read(e.to_string())),
            Some(Ok(chunk)) => {
                total = total.saturating_add(chunk.len() as u64);
                if total > limit {
                    Err(BodyFailure::TooLarge { limit })
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

/// Reads a whole body of at most `limit` bytes into memory.
pub async fn read_all(body: Body, limit: u64, idle: Duration) -> Result<Vec<u8>, ApiError> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    loop {
        let next = tokio::time::timeout(idle, stream.next())
            .await
            .map_err(|_| BodyFailure::Idle {
                seconds: idle.as_secs(),
            })?;
        match next {
            None => return Ok(bytes),
            Some(Err(e)) => return Err(BodyFailure::Read(e.to_string()).into()),
            Some(Ok(chunk)) => {
                if (bytes.len() + chunk.len()) as u64 > limit {
                    return Err(BodyFailure::TooLarge { limit }.into());
                }
                bytes.extend_from_slice(&chunk);
            }
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

/// Whether `media` is one of the types a CSV body may be sent as (curl's default for
/// `--data-binary` is a form type, and so is refused with a hint).
pub fn is_csv(media: Option<&str>) -> bool {
    matches!(
        media,
        None | Some("text/csv" | "text/plain" | "application/csv" | "application/octet-stream")
    )
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
