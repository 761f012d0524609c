//! `/api/v1/datasets`: upload a CSV (streamed to disk and validated by the data crate as it
//! arrives), list, show and delete.

use crate::body::{check_length, is_csv, media_type, not_csv, BodyReader};
use crate::error::{ApiError, ErrorBody};
use crate::state::{lock, read, write, AppState};
use crate::store::{new_id, now_ms, valid_id, Kind};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use fivedreg_data::{CsvOptions, Dataset, FeatureRows, RowChunk};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use utoipa::{IntoParams, ToSchema};

/// One column of a data set and its statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ColumnStats {
    /// The header's name.
    pub name: String,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Mean value.
    pub mean: f64,
}

/// A stored data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DatasetInfo {
    /// Its id (`d` and 16 hex digits).
    pub id: String,
    /// The name it was uploaded under (`?name=`), for display.
    pub name: String,
    /// Every column of numbers in header order, with its minimum, maximum and mean.
    pub columns: Vec<ColumnStats>,
    /// Columns of text (an ID, a label: text on the first row), left out of the features
    /// as `fivedreg train` leaves them out; a job's `features` cannot name them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text_columns: Vec<String>,
    /// One line for each column left out without being asked (pandas' index, columns of
    /// text), as `fivedreg train` prints them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Data rows.
    pub rows: usize,
    /// Size of the CSV file, in bytes.
    pub bytes: u64,
    /// When it was uploaded, in milliseconds since the Unix epoch.
    pub created_ms: u64,
}

/// The query of an upload.
#[derive(Debug, Deserialize, IntoParams)]
pub struct NameQuery {
    /// A name to show for the upload (e.g. the file's name).
    pub name: Option<String>,
}

/// A name fit for display: no control characters, at most 200 characters.
pub(crate) fn display_name(name: Option<&str>, fallback: &str) -> String {
    let cleaned: String = name
        .unwrap_or(fallback)
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        fallback.to_string()
    } else {
        cleaned
    }
}

/// Copies what it reads to a file, so that the upload is validated and stored in one pass.
struct Tee<'a, R> {
    inner: R,
    out: std::io::BufWriter<&'a mut std::fs::File>,
    bytes: u64,
    write_error: Option<std::io::Error>,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Err(e) = self.out.write_all(&buf[..n]) {
            let message = e.to_string();
            self.write_error = Some(e);
            return Err(std::io::Error::other(message));
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

fn column_stats(data: &Dataset) -> Vec<ColumnStats> {
    let n = data.n_rows();
    let stats = |name: &str, values: &mut dyn Iterator<Item = f64>| {
        let mut column = Column::default();
        for v in values {
            column.add(v);
        }
        column.stats(name, n)
    };
    let d = data.n_features();
    let mut columns: Vec<ColumnStats> = data
        .feature_names()
        .iter()
        .enumerate()
        .map(|(j, name)| stats(name, &mut (0..n).map(|i| data.features()[i * d + j])))
        .collect();
    columns.push(stats(
        data.target_name(),
        &mut data.targets().iter().copied(),
    ));
    columns
}

/// A column's running minimum, maximum and sum (added in row order, so that the mean is
/// the same whether the rows were held or streamed).
#[derive(Debug, Clone, Copy)]
struct Column {
    min: f64,
    max: f64,
    sum: f64,
}

impl Default for Column {
    fn default() -> Column {
        Column {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
        }
    }
}

impl Column {
    fn add(&mut self, v: f64) {
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.sum += v;
    }

    fn stats(&self, name: &str, rows: usize) -> ColumnStats {
        ColumnStats {
            name: name.to_string(),
            min: self.min,
            max: self.max,
            mean: self.sum / rows.max(1) as f64,
        }
    }
}

/// Keeps a copy of what it reads (only while a header is read: a few blocks at most).
struct Recording<R> {
    inner: R,
    bytes: Vec<u8>,
}

impl<R: Read> Read for Recording<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// Validates a CSV data set as [`fivedreg_data::read_csv`] does, a block at a time,
/// computing each column's statistics as the rows go by: memory stays at a few blocks
/// whatever the file's size. The two files read_csv treats specially, one with fewer than
/// two columns (an error about the header) or with an unnamed first column (perhaps a
/// pandas index), are handed to read_csv itself.
fn scan_csv<R: Read>(reader: R, source: &str) -> Result<Scanned, ApiError> {
    let options = CsvOptions::default();
    let mut recording = Recording {
        inner: reader,
        bytes: Vec::new(),
    };
    let (names, first) = {
        let mut header = FeatureRows::with_options(&mut recording, source, &[], &options)?;
        let names = header.header().to_vec();
        // The first row's fields, to find the columns of text as read_csv does.
        let first = match header.next_row() {
            Some(Ok(row)) => (row.line, row.fields),
            _ => (0, Vec::new()),
        };
        (names, first)
    };
    let (first_line, first) = first;
    let Recording { inner, bytes } = recording;
    // The bytes the header's reader took, then the rest: the file from its start.
    let whole = std::io::Cursor::new(bytes).chain(inner);
    if names.len() < 2 || names[0].is_empty() {
        let (data, read) = fivedreg_data::read_csv(whole, source, &options)?;
        return Ok(Scanned {
            columns: column_stats(&data),
            rows: data.n_rows(),
            notes: read.notes(),
            text_columns: read.text_columns_dropped,
        });
    }
    let (features, target) = names.split_at(names.len() - 1);
    // Columns of text on the first row, unless every feature is text (then the file is
    // refused at its first field, as read_csv refuses it). Later rows of these columns are
    // not read here: a number among them fails the job, with its line and column.
    let text: Vec<usize> = (0..features.len())
        .filter(|&c| {
            first
                .get(c)
                .is_some_and(|f| fivedreg_data::is_text_field(f))
        })
        .collect();
    let text = if text.len() == features.len() {
        Vec::new()
    } else {
        text
    };
    let text_columns: Vec<String> = text.iter().map(|&c| names[c].clone()).collect();
    let features: Vec<String> = (0..features.len())
        .filter(|c| !text.contains(c))
        .map(|c| names[c].clone())
        .collect();
    // Each column read here (the features, then the target) by its place in the file.
    let file_columns: Vec<usize> = (0..names.len()).filter(|c| !text.contains(c)).collect();
    let names: Vec<String> = features.iter().chain(target).cloned().collect();
    let mut rows = FeatureRows::with_target(whole, source, &features, &target[0], &options)?;
    let delimiter = rows.delimiter();
    let d = features.len();
    let mut columns = vec![Column::default(); d + 1];
    let mut count = 0usize;
    let mut chunk = RowChunk::new(true);
    loop {
        chunk.clear();
        // A feature with text after rows of numbers mixes them: the hint says how to drop it.
        let more = rows.read_chunk(&mut chunk).map_err(|e| match e {
            fivedreg_data::DataError::NotANumber { line, ref name, .. }
                if line > first_line && name != &target[0] =>
            {
                e.with_drop_hint()
            }
            e => e,
        })?;
        if !more {
            break;
        }
        for (i, (x, y)) in chunk
            .features
            .chunks_exact(d)
            .zip(&chunk.targets)
            .enumerate()
        {
            for (c, &v) in x.iter().chain(std::iter::once(y)).enumerate() {
                if !v.is_finite() {
                    // read_csv refuses NaN and infinities (the prediction reader does not).
                    let text = chunk
                        .text(i)
                        .split(|&b| b == delimiter)
                        .nth(file_columns.get(c).copied().unwrap_or(c))
                        .map(|field| {
                            String::from_utf8_lossy(field)
                                .trim_matches(|ch: char| ch.is_whitespace() || ch == '"')
                                .to_string()
                        })
                        .unwrap_or_else(|| v.to_string());
                    return Err(fivedreg_data::DataError::NonFinite {
                        file: source.to_string(),
                        line: chunk.lines.get(i).copied().unwrap_or(0),
                        column: file_columns.get(c).copied().unwrap_or(c) + 1,
                        name: names[c].clone(),
                        text,
                    }
                    .into());
                }
                columns[c].add(v);
            }
        }
        count += chunk.targets.len();
    }
    if count == 0 {
        return Err(fivedreg_data::DataError::HeaderOnly {
            file: source.to_string(),
        }
        .into());
    }
    let stats = columns
        .iter()
        .zip(&names)
        .map(|(column, name)| column.stats(name, count))
        .collect();
    let read = fivedreg_data::ReadSummary {
        text_columns_dropped: text_columns,
        ..Default::default()
    };
    Ok(Scanned {
        columns: stats,
        rows: count,
        notes: read.notes(),
        text_columns: read.text_columns_dropped,
    })
}

/// What [`scan_csv`] found: the numeric columns' statistics, the rows, the columns of text.
struct Scanned {
    columns: Vec<ColumnStats>,
    rows: usize,
    text_columns: Vec<String>,
    notes: Vec<String>,
}

/// Upload a data set: the CSV file itself as the body.
///
/// The CSV needs a header row and numbers only (the last column is the default target;
/// a job may pick another). It is validated as it streams to disk: a bad file is refused
/// with the line and column at fault, and nothing is stored.
#[utoipa::path(
    post,
    path = "/api/v1/datasets",
    tag = "datasets",
    params(NameQuery),
    request_body(content = String, content_type = "text/csv", description = "the CSV file"),
    responses(
        (status = 201, description = "stored", body = DatasetInfo),
        (status = 400, description = "not a valid CSV data set (line and column given)", body = ErrorBody),
        (status = 413, description = "larger than --max-upload-mb", body = ErrorBody),
        (status = 415, description = "not sent as CSV", body = ErrorBody),
        (status = 408, description = "the body stalled or arrived under --min-body-rate", body = ErrorBody),
        (status = 503, description = "all --max-uploads slots are taken (Retry-After)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Query(query): Query<NameQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<DatasetInfo>), ApiError> {
    let media = media_type(&headers);
    if !is_csv(media.as_deref()) {
        return Err(not_csv(media.as_deref().unwrap_or("")));
    }
    let config = state.config();
    check_length(&headers, config.max_upload_bytes)?;
    let id = new_id(Kind::Dataset);
    let name = display_name(query.name.as_deref(), "upload.csv");
    let slot = state.upload_slot()?;
    let mut reader = BodyReader::spawn(body, config.into());
    let path = state.inner.store.data_path(Kind::Dataset, &id);
    let (info_id, info_name) = (id.clone(), name.clone());
    let info = tokio::task::spawn_blocking(move || -> Result<DatasetInfo, ApiError> {
        let _slot = slot;
        let mut file = fivedreg::AtomicFile::create(&path)?;
        let mut tee = Tee {
            inner: &mut reader,
            out: std::io::BufWriter::with_capacity(1 << 16, file.file()),
            bytes: 0,
            write_error: None,
        };
        let read = scan_csv(&mut tee, &info_name);
        let flushed = tee.out.flush();
        let (bytes, write_error) = (tee.bytes, tee.write_error.take());
        drop(tee);
        if let Some(failure) = reader.failure() {
            return Err(failure.clone().into());
        }
        if let Some(e) = write_error.or(flushed.err()) {
            tracing::error!("storing {}: {e}", path.display());
            return Err(ApiError::internal(format!(
                "cannot store the data set: {e}"
            )));
        }
        let Scanned {
            columns,
            rows,
            text_columns,
            notes,
        } = read?;
        file.commit()?;
        Ok(DatasetInfo {
            id: info_id,
            name: info_name,
            columns,
            text_columns,
            notes,
            rows,
            bytes,
            created_ms: now_ms(),
        })
    })
    .await
    .map_err(|e| ApiError::internal(format!("the upload stopped: {e}")))??;
    let store = &state.inner.store;
    if let Err(e) = store.write_meta(Kind::Dataset, &id, &info) {
        store.discard(Kind::Dataset, &id);
        return Err(e);
    }
    tracing::info!(
        "data set {id} stored: {name:?}, {} rows, {} columns",
        info.rows,
        info.columns.len()
    );
    write(&state.inner.datasets).insert(id, info.clone());
    Ok((StatusCode::CREATED, Json(info)))
}

/// List the data sets, oldest first.
#[utoipa::path(get, path = "/api/v1/datasets", tag = "datasets",
    responses((status = 200, body = Vec<DatasetInfo>)))]
pub async fn list(State(state): State<AppState>) -> Json<Vec<DatasetInfo>> {
    let mut all: Vec<DatasetInfo> = read(&state.inner.datasets).values().cloned().collect();
    all.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
    Json(all)
}

/// Looks up a data set, 404 when there is none.
pub(crate) fn find(state: &AppState, id: &str) -> Result<DatasetInfo, ApiError> {
    if !valid_id(id, Kind::Dataset) {
        return Err(ApiError::not_found("data set", id));
    }
    read(&state.inner.datasets)
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("data set", id))
}

/// Show one data set.
#[utoipa::path(get, path = "/api/v1/datasets/{id}", tag = "datasets",
    params(("id" = String, Path, description = "data set id")),
    responses((status = 200, body = DatasetInfo), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DatasetInfo>, ApiError> {
    find(&state, &id).map(Json)
}

/// Delete a data set. Refused (409) while a queued or running job trains on it; the models
/// trained on it stay.
#[utoipa::path(delete, path = "/api/v1/datasets/{id}", tag = "datasets",
    params(("id" = String, Path, description = "data set id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "a job is training on it", body = ErrorBody),
        (status = 500, description = "the files could not be removed (it stays)", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    find(&state, &id)?;
    // The jobs' lock is held while the data set goes, so no job can start using it now.
    let jobs = lock(&state.inner.jobs);
    let mut users: Vec<(u64, String)> = jobs
        .values()
        .filter(|job| job.dataset() == id && job.is_active())
        .map(|job| {
            let record = job.record();
            (
                record.created_ms,
                format!("{} ({})", record.id, record.state.as_str()),
            )
        })
        .collect();
    if !users.is_empty() {
        users.sort();
        let names: Vec<String> = users.into_iter().map(|(_, name)| name).collect();
        return Err(ApiError::conflict(format!(
            "data set {id} is in use by job{} {}; cancel {} first (DELETE /api/v1/jobs/ID)",
            if names.len() == 1 { "" } else { "s" },
            names.join(", "),
            if names.len() == 1 { "it" } else { "them" },
        )));
    }
    // From the disk first: if that fails the data set stays listed, as a restart would
    // find it.
    state
        .inner
        .store
        .remove(Kind::Dataset, &id)
        .map_err(|e| ApiError::internal(format!("cannot delete data set {id}: {e}")))?;
    if write(&state.inner.datasets).remove(&id).is_none() {
        return Err(ApiError::not_found("data set", &id));
    }
    drop(jobs);
    tracing::info!("data set {id} deleted");
    Ok(StatusCode::NO_CONTENT)
}
