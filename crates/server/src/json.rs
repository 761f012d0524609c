//! JSON request bodies: size-capped, and a bad one is a 400 that names the field at fault
//! (`options.learning_rate`) rather than axum's plain-text rejection.

use crate::error::ApiError;
use crate::state::{AppState, LARGE_JSON};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// Largest JSON body (a prediction of more rows should be sent as CSV, which streams).
pub const JSON_LIMIT: u64 = 16 << 20;

/// A JSON body parsed into `T`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Send + 'static> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        match crate::body::media_type(request.headers()).as_deref() {
            Some("application/json") => {}
            other => {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!(
                        "expected a JSON body (Content-Type: application/json), not {}",
                        other.unwrap_or("a body without a Content-Type")
                    ),
                ))
            }
        }
        let bytes = collect_json(state, request).await?;
        parse_json_blocking(bytes).await.map(ApiJson)
    }
}

/// Bodies up to this size are parsed where they arrive: it takes microseconds, less than
/// handing them to another thread.
const INLINE_PARSE: usize = 64 << 10;

/// [`parse_json`] on the blocking pool for a body over [`INLINE_PARSE`], so that parsing
/// megabytes never holds up an async worker (and the other requests on it).
pub async fn parse_json_blocking<T: DeserializeOwned + Send + 'static>(
    bytes: Vec<u8>,
) -> Result<T, ApiError> {
    if bytes.len() <= INLINE_PARSE {
        return parse_json(&bytes);
    }
    tokio::task::spawn_blocking(move || parse_json(&bytes))
        .await
        .map_err(|e| ApiError::internal(format!("parsing the body stopped: {e}")))?
}

/// The body of a JSON request, at most [`JSON_LIMIT`] bytes, arriving whole within
/// `--body-timeout` (408 otherwise; shorter than the request's own timeout, so that a
/// stalled body is told 408 rather than 503). A body over [`LARGE_JSON`] takes an upload
/// slot while it is read and parsed, so that many large bodies cannot pile up in memory.
pub async fn collect_json(state: &AppState, request: Request) -> Result<Vec<u8>, ApiError> {
    let limit = JSON_LIMIT.min(state.config().max_upload_bytes);
    crate::body::check_length(request.headers(), limit)?;
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut slot = match declared {
        Some(n) if n > LARGE_JSON => Some(state.upload_slot()?),
        _ => None,
    };
    let mut stream = request.into_body().into_data_stream();
    let collect = async {
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                // tower-http's body limit speaks first on a body without a length.
                let inner = e.into_inner();
                if inner.is::<http_body_util::LengthLimitError>() {
                    ApiError::too_large(limit)
                } else {
                    ApiError::bad_request(format!("reading the request body failed: {inner}"))
                }
            })?;
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(ApiError::too_large(limit));
            }
            bytes.extend_from_slice(&chunk);
            if slot.is_none() && bytes.len() as u64 > LARGE_JSON {
                slot = Some(state.upload_slot()?);
            }
        }
        Ok(bytes)
    };
    let timeout = state.config().body_timeout;
    let bytes = tokio::time::timeout(timeout, collect).await.map_err(|_| {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body did not arrive within {} s (--body-timeout)",
                timeout.as_secs()
            ),
        )
    })??;
    // The slot bounds the bodies being read at once; the caller parses this one now.
    drop(slot);
    Ok(bytes)
}

/// Parses `bytes` as `T`; a 400 naming the field and what is wrong with it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // The plain parser first (every prediction request goes through here); only a body that
    // fails is parsed again, tracking the path, to name the field.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let error = ApiError::bad_request(format!("invalid JSON body: {}", e.inner()));
        if path == "." {
            error
        } else {
            error.with_field(path)
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
    Ok(value)
}
