//! JSON request bodies: size-capped, and a bad one is a 400 that names the field at fault
//! (`options.learning_rate`) rather than axum's plain-text rejection.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// Largest JSON body (a prediction of more rows should be sent as CSV, which streams).
pub const JSON_LIMIT: u64 = 16 << 20;

/// A JSON body parsed into `T`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
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
        parse_json(&bytes).map(ApiJson)
    }
}

/// The body of a JSON request, at most [`JSON_LIMIT`] bytes and within the request timeout.
pub async fn collect_json(state: &AppState, request: Request) -> Result<Vec<u8>, ApiError> {
    let limit = JSON_LIMIT.min(state.config().max_upload_bytes);
    crate::body::check_length(request.headers(), limit)?;
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
        }
        Ok(bytes)
    };
    let timeout = state.config().request_timeout;
    tokio::time::timeout(timeout, collect).await.map_err(|_| {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body did not arrive within {} s",
                timeout.as_secs()
            ),
        )
    })?
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
