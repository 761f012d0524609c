//! Errors: [`ApiError`] is what a request gets back (a status and a JSON body), and
//! [`ServerError`] is why the server could not start.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::path::PathBuf;
use utoipa::ToSchema;

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in one line.
    pub error: String,
    /// The request field at fault (e.g. `options.learning_rate`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The 1-based line of the uploaded CSV at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The 1-based column of the uploaded CSV at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The 1-based row of a JSON `rows` array at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
}

/// A failed request: its status and body. Client errors are 4xx; a 5xx means the server
/// itself failed (a disk error, say), never that the input was bad.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// Seconds for a `Retry-After` header (429, 503).
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: message.into().replace('\n', " "),
                field: None,
                line: None,
                column: None,
                row: None,
            },
            retry_after: None,
        }
    }
    /// Adds `Retry-After: seconds`.
    pub fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }
    /// 400: the request is malformed or a value is out of range.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    /// 404: no `what` with this id.
    pub fn not_found(what: &str, id: &str) -> ApiError {
        let shown: String = id.chars().take(40).collect();
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no {what} with id {shown:?}"),
        )
    }
    /// 409: the request conflicts with the state of the server.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }
    /// 413: the body is larger than allowed.
    pub fn too_large(limit: u64) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is larger than the limit of {} (see --max-upload-mb)",
                human_bytes(limit)
            ),
        )
    }
    /// 500: the server failed; the message says what it was doing (absolute paths in it
    /// are cut to file names in the response; the log keeps them whole).
    pub fn internal(message: impl Into<String>) -> ApiError {
        let message = message.into();
        tracing::error!("{message}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
    /// Names the request field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.body.field = Some(field.into());
        self
    }
    /// Names the CSV line and column at fault.
    pub fn at(mut self, line: Option<u64>, column: Option<usize>) -> ApiError {
        self.body.line = line;
        self.body.column = column;
        self
    }
    /// Names the JSON row at fault (1-based).
    pub fn with_row(mut self, row: usize) -> ApiError {
        self.body.row = Some(row);
        self
    }
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// The body.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }
}

impl IntoResponse for ApiError {
    fn into_response(mut self) -> Response {
        if self.status.is_server_error() {
            // The server's own paths are no business of a client (the log has them).
            self.body.error = scrub_paths(&self.body.error);
        }
        let bytes = serde_json::to_vec(&self.body).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (self.status, bytes).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// `message` with every absolute path cut to its file name (`/srv/data/models/m1.fdr` is
/// `m1.fdr`): a path is a `/` at the start of a word (after a space, quote, bracket or
/// `=`) up to the next space, quote, bracket or comma, less a trailing `:` or `.`.
pub(crate) fn scrub_paths(message: &str) -> String {
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    let starts_word =
        |i: usize| i == 0 || matches!(chars[i - 1], ' ' | '"' | '\'' | '(' | '=' | '`');
    let ends_path = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ')' | ',' | '`');
    while i < chars.len() {
        if chars[i] == '/' && starts_word(i) && chars.get(i + 1).is_some_and(|c| !ends_path(*c)) {
            let mut end = i;
            while end < chars.len() && !ends_path(chars[end]) {
                end += 1;
            }
            // A path is followed by `: error` or ends a sentence.
            while end > i + 1 && matches!(chars[end - 1], ':' | '.') {
                end -= 1;
            }
            let path: String = chars[i..end].iter().collect();
            let name = path.rsplit('/').find(|part| !part.is_empty()).unwrap_or("");
            out.push_str(name);
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The line and column a data error names, when it names them.
pub(crate) fn data_error_location(
    error: &fivedreg_data::DataError,
) -> (Option<u64>, Option<usize>) {
    use fivedreg_data::DataError as E;
    match error {
        E::TooManyColumns { line, .. }
        | E::TargetNotFound { line, .. }
        | E::MissingFeature { line, .. }
        | E::DropNotFound { line, .. }
        | E::NoFeatureColumns { line, .. }
        | E::LineTooLong { line, .. } => (Some(*line), None),
        E::Csv { line, .. } => ((*line > 0).then_some(*line), None),
        E::EmptyColumnName { line, column, .. }
        | E::DuplicateColumnName { line, column, .. }
        | E::HeaderNotUtf8 { line, column, .. }
        | E::TooFewFields { line, column, .. }
        | E::TooManyFields { line, column, .. }
        | E::NotANumber { line, column, .. }
        | E::MixedColumn { line, column, .. }
        | E::NonFinite { line, column, .. }
        | E::NotUtf8 { line, column, .. } => (Some(*line), Some(*column)),
        _ => (None, None),
    }
}

impl From<fivedreg_data::DataError> for ApiError {
    fn from(error: fivedreg_data::DataError) -> ApiError {
        let (line, column) = data_error_location(&error);
        ApiError::bad_request(error.to_string()).at(line, column)
    }
}

impl From<fivedreg::Error> for ApiError {
    fn from(error: fivedreg::Error) -> ApiError {
        use fivedreg::Error as E;
        match error {
            E::InvalidOption { .. } | E::Nn(fivedreg::NnError::InvalidParam { .. }) => {
                match fivedreg::SpecError::from(error) {
                    // An option no job sets (a candidate's): no field to name.
                    fivedreg::SpecError::Library(e) => ApiError::bad_request(e.to_string()),
                    spec => ApiError::from(spec),
                }
            }
            E::NonFiniteFeature { row, .. } => {
                ApiError::bad_request(error.to_string()).with_row(row)
            }
            E::Data(e) => ApiError::from(e),
            E::Io { .. } | E::Encode(_) => ApiError::internal(error.to_string()),
            other => ApiError::bad_request(other.to_string()),
        }
    }
}

impl From<fivedreg::SpecError> for ApiError {
    /// A bad training option: a 400 naming `options.<name>`, in the API's own names.
    fn from(error: fivedreg::SpecError) -> ApiError {
        if let fivedreg::SpecError::Library(e) = error {
            return ApiError::from(e);
        }
        let message = error.message(&|p| p.name().to_string());
        let bad = ApiError::bad_request(message);
        match error.param() {
            Some(param) => bad.with_field(format!("options.{}", param.name())),
            None => bad,
        }
    }
}

/// A byte count in words (`1.5 MB`).
pub(crate) fn human_bytes(n: u64) -> String {
    const MB: u64 = 1 << 20;
    if n >= MB {
        format!("{:.0} MB", n as f64 / MB as f64)
    } else if n >= 1024 {
        format!("{:.0} KB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A setting is invalid (the message names it).
    #[error("{0}")]
    Config(String),
    /// The data directory could not be created or read.
    #[error("{}: {source}", path.display())]
    DataDir {
        /// The path.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The address could not be listened on.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// The async runtime could not be started, or serving failed.
    #[error("{0}")]
    Runtime(std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::scrub_paths;

    #[test]
    fn absolute_paths_are_cut_to_file_names() {
        assert_eq!(
            scrub_paths("cannot store m1: /srv/data/models/.fivedreg-x.tmp: Permission denied"),
            "cannot store m1: .fivedreg-x.tmp: Permission denied"
        );
        // A space ends a path: what follows it is left as it is.
        assert_eq!(
            scrub_paths("\"/tmp/a b/c.fdr\" (os error 13)"),
            "\"a b/c.fdr\" (os error 13)"
        );
        assert_eq!(scrub_paths("a/b and 1/2 stay"), "a/b and 1/2 stay");
        assert_eq!(scrub_paths("in /data/models."), "in models.");
    }
}
