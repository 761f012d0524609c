//! The connection loop of [`crate::serve`]: HTTP/1.1 over hyper with a header-read
//! timeout (which also closes keep-alive connections idle that long) and a cap on open
//! connections. At the cap, the oldest idle connection (no request in flight) is closed to
//! make room, so that a crowd of idle or half-open connections cannot lock out the next
//! client; when every connection is busy, the new one is closed instead. Either is logged.

use crate::state::AppState;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use futures_util::StreamExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

/// One open connection, as the table sees it.
struct Entry {
    opened: Instant,
    /// Requests in flight, counting a streamed response until its body is sent.
    in_flight: Arc<AtomicUsize>,
    /// Told when the connection is to be closed to make room.
    close: Arc<Notify>,
}

/// The open connections.
struct Table {
    max: usize,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Entry>>,
    /// Last time a refusal or an eviction was logged (seconds since `started`), so that a
    /// flood is logged once a second, not once a connection.
    last_log: AtomicU64,
    started: Instant,
    /// Told when a connection ends (for the wait at shutdown).
    ended: Notify,
}

/// A connection's place in the table; leaving it frees the place.
struct Place {
    table: Arc<Table>,
    id: u64,
    in_flight: Arc<AtomicUsize>,
    close: Arc<Notify>,
}

impl Drop for Place {
    fn drop(&mut self) {
        crate::state::lock(&self.table.open).remove(&self.id);
        self.table.ended.notify_waiters();
    }
}

impl Table {
    fn log_rarely(&self, message: impl FnOnce() -> String) {
        let now = self.started.elapsed().as_secs() + 1;
        if self.last_log.swap(now, Ordering::Relaxed) != now {
            tracing::warn!("{}", message());
        }
    }

    /// A place for a new connection, closing the oldest idle one if the table is full;
    /// `None` when every connection is busy.
    fn admit(self: &Arc<Table>) -> Option<Place> {
        let mut open = crate::state::lock(&self.open);
        if open.len() >= self.max {
            let oldest_idle = open
                .iter()
                .filter(|(_, e)| e.in_flight.load(Ordering::Acquire) == 0)
                .min_by_key(|(_, e)| e.opened)
                .map(|(&id, _)| id);
            match oldest_idle {
                Some(id) => {
                    if let Some(entry) = open.remove(&id) {
                        entry.close.notify_one();
                    }
                    self.log_rarely(|| {
                        format!(
                            "connection cap reached ({} open, --max-connections): closing the \
                             oldest idle connections to make room",
                            self.max
                        )
                    });
                }
                None => {
                    self.log_rarely(|| {
                        format!(
                            "connection cap reached ({} open and busy, --max-connections): \
                             refusing new connections",
                            self.max
                        )
                    });
                    return None;
                }
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let close = Arc::new(Notify::new());
        open.insert(
            id,
            Entry {
                opened: Instant::now(),
                in_flight: in_flight.clone(),
                close: close.clone(),
            },
        );
        Some(Place {
            table: self.clone(),
            id,
            in_flight,
            close,
        })
    }

    fn is_empty(&self) -> bool {
        crate::state::lock(&self.open).is_empty()
    }
}

/// Counts a request in flight until dropped.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(counter: &Arc<AtomicUsize>) -> InFlight {
        counter.fetch_add(1, Ordering::AcqRel);
        InFlight(counter.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Accepts connections on `listener` and serves `app` on each until `shutdown` completes;
/// then stops accepting, runs `on_stop`, asks every connection to finish its request and
/// close, and waits for them.
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    state: &AppState,
    shutdown: impl Future<Output = ()>,
    on_stop: impl FnOnce(),
) -> std::io::Result<()> {
    let config = state.config();
    let table = Arc::new(Table {
        max: config.max_connections,
        next_id: AtomicU64::new(0),
        open: Mutex::new(HashMap::new()),
        last_log: AtomicU64::new(0),
        started: Instant::now(),
        ended: Notify::new(),
    });
    let (stopping_tx, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // Out of file descriptors, most likely: wait for some to be freed rather
                // than spin.
                table.log_rarely(|| format!("cannot accept a connection: {e}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(place) = table.admit() else {
            drop(tcp);
            continue;
        };
        // Replies are written whole; no need to wait for more bytes to fill a packet.
        let _ = tcp.set_nodelay(true);
        tokio::spawn(connection(
            tcp,
            app.clone(),
            place,
            stopping.clone(),
            config.header_timeout,
        ));
    }
    drop(listener);
    on_stop();
    let _ = stopping_tx.send(true);
    loop {
        let ended = table.ended.notified();
        if table.is_empty() {
            return Ok(());
        }
        ended.await;
    }
}

async fn connection(
    tcp: TcpStream,
    app: Router,
    place: Place,
    mut stopping: watch::Receiver<bool>,
    header_timeout: Duration,
) {
    let counter = place.in_flight.clone();
    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
        let guard = InFlight::new(&counter);
        let mut app = app.clone();
        async move {
            let response: Response =
                match tower_service::Service::call(&mut app, request.map(Body::new)).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
            Ok::<_, std::convert::Infallible>(hold_until_sent(response, guard))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(tcp), service);
    tokio::pin!(conn);
    let mut graceful = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("connection ended: {e}");
                }
                break;
            }
            // Evicted to make room: dropping the connection closes it.
            () = place.close.notified() => break,
            _ = stopping.wait_for(|stop| *stop), if !graceful => {
                conn.as_mut().graceful_shutdown();
                graceful = true;
            }
        }
    }
    drop(place);
}

/// A streamed response (no exact length: event streams, spooled CSV) keeps its request
/// counted in flight until its body is sent, so that its connection is not taken for idle.
fn hold_until_sent(response: Response, guard: InFlight) -> Response {
    use axum::body::HttpBody as _;
    if response.body().size_hint().exact().is_some() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let stream = body.into_data_stream().map(move |chunk| {
        let _held = &guard;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(stream))
}
