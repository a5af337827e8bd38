//! An embedded Lambda Runtime API and Extensions API: what `lambda-adapter dev`, the end-to-end tests and
//! the benchmark run the adapter against.
//!
//! It behaves like Lambda where users get surprised: one invocation at a time (callers of [`Emulator::invoke`]
//! queue), a deadline per invocation after which the caller gets a timeout and a stream is cut, a 6 MB limit
//! on buffered responses (413 to the runtime, as Lambda answers), and streamed responses parsed from the
//! byte stream (prelude up to the eight NULs, then body, then error trailers) rather than from chunk
//! boundaries. Streamed bodies reach the caller through a small bounded channel, so a slow reader slows the
//! adapter down instead of filling memory.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio::time::Instant;

use super::prelude_parser::{Parsed, PreludeParser};
use crate::buffered::MAX_PAYLOAD;
use crate::context::now_ms;
use crate::runtime_api::requests::{ERROR_BODY_TRAILER, ERROR_TYPE_HEADER};

/// An error the runtime reported (`invocation/error`, `init/error`, or error trailers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorReport {
    pub error_type: String,
    /// The error document (JSON with `errorType` and `errorMessage`).
    pub body: Bytes,
}

impl ErrorReport {
    fn new(error_type: &str, message: &str) -> Self {
        ErrorReport {
            error_type: error_type.into(),
            body: Bytes::from(json!({"errorType": error_type, "errorMessage": message}).to_string()),
        }
    }

    /// The `errorMessage`, or the raw body when it is not the usual JSON.
    pub fn message(&self) -> String {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v["errorMessage"].as_str().map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned())
    }
}

/// One piece of a streamed body.
#[derive(Debug)]
pub enum StreamItem {
    Data(Bytes),
    /// The stream ended with error trailers (or was cut by the emulator).
    Error(ErrorReport),
}

/// A streamed response: the prelude as soon as it is complete, then the body as it arrives. The channel
/// closes when the body ends. The invocation slot is held until this is dropped.
pub struct Streamed {
    pub prelude: Bytes,
    pub body: mpsc::Receiver<StreamItem>,
    _slot: OwnedSemaphorePermit,
}

/// How an invocation ended.
pub enum Outcome {
    /// A buffered response payload.
    Response(Bytes),
    Streaming(Streamed),
    Error(ErrorReport),
}

/// Why [`Emulator::invoke`] got no outcome.
#[derive(Debug, PartialEq, Eq)]
pub enum InvokeError {
    /// The deadline passed before the runtime answered.
    Timeout(Duration),
}

/// Facts the emulated function reports.
#[derive(Clone, Debug)]
pub struct FunctionInfo {
    pub name: String,
    pub arn: String,
}

impl Default for FunctionInfo {
    fn default() -> Self {
        FunctionInfo {
            name: "function".into(),
            arn: "arn:aws:lambda:us-east-1:000000000000:function:function".into(),
        }
    }
}

struct Pending {
    request_id: String,
    event: Bytes,
    deadline: Instant,
    deadline_ms: u64,
}

struct InFlight {
    outcome: oneshot::Sender<Outcome>,
    deadline: Instant,
}

struct Shared {
    function: FunctionInfo,
    queue_tx: mpsc::UnboundedSender<Pending>,
    queue_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>,
    in_flight: Mutex<HashMap<String, InFlight>>,
    /// Slots freed only when a streamed response is dropped; handed to [`Streamed`].
    stream_slots: Mutex<HashMap<String, OwnedSemaphorePermit>>,
    init_error: watch::Sender<Option<ErrorReport>>,
    polling: watch::Sender<bool>,
    shutdown: watch::Sender<Option<String>>,
    extensions: Mutex<Vec<String>>,
    counter: AtomicU64,
}

/// The emulator; serving stops when it is dropped.
pub struct Emulator {
    shared: Arc<Shared>,
    slot: Arc<Semaphore>,
    addr: SocketAddr,
    server: tokio::task::AbortHandle,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type ServerResponse = Response<Full<Bytes>>;

impl Emulator {
    /// Starts serving on `addr` (port 0 picks a free port).
    pub async fn start(addr: SocketAddr, function: FunctionInfo) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (queue_tx, queue_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            function,
            queue_tx,
            queue_rx: tokio::sync::Mutex::new(queue_rx),
            in_flight: Mutex::new(HashMap::new()),
            stream_slots: Mutex::new(HashMap::new()),
            init_error: watch::channel(None).0,
            polling: watch::channel(false).0,
            shutdown: watch::channel(None).0,
            extensions: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
        });
        let server_shared = shared.clone();
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                let shared = server_shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(route(&shared, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
        .abort_handle();
        Ok(Emulator {
            shared,
            slot: Arc::new(Semaphore::new(1)),
            addr,
            server,
        })
    }

    /// The address serving the APIs.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn runtime_api(&self) -> String {
        self.addr.to_string()
    }

    /// Invokes the function with `event` and waits for its outcome, at most `timeout`. Invocations run one at a
    /// time; a streamed outcome keeps the slot until it is dropped.
    pub async fn invoke(&self, event: Bytes, timeout: Duration) -> Result<Outcome, InvokeError> {
        let slot = self.slot.clone().acquire_owned().await.expect("the semaphore is never closed");
        let n = self.shared.counter.fetch_add(1, Ordering::Relaxed);
        let request_id = request_id(n);
        let deadline = Instant::now() + timeout;
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.in_flight).insert(request_id.clone(), InFlight { outcome: tx, deadline });
        lock(&self.shared.stream_slots).insert(request_id.clone(), slot);
        let pending = Pending {
            request_id: request_id.clone(),
            event,
            deadline,
            deadline_ms: now_ms() + timeout.as_millis() as u64,
        };
        let _ = self.shared.queue_tx.send(pending);
        let mut cleanup = Abandoned {
            shared: self.shared.clone(),
            request_id: request_id.clone(),
            deadline,
            armed: true,
        };
        let result = tokio::time::timeout_at(deadline, rx).await;
        cleanup.armed = false;
        lock(&self.shared.in_flight).remove(&request_id);
        let slot = lock(&self.shared.stream_slots).remove(&request_id);
        match result {
            Ok(Ok(Outcome::Streaming(streamed))) => Ok(Outcome::Streaming(streamed)),
            Ok(Ok(outcome)) => {
                drop(slot);
                Ok(outcome)
            }
            _ => Err(InvokeError::Timeout(timeout)),
        }
    }

    /// Resolves once a runtime is waiting on `invocation/next` (the adapter finished init).
    pub async fn wait_polling(&self) {
        let mut polling = self.shared.polling.subscribe();
        let _ = polling.wait_for(|p| *p).await;
    }

    /// Resolves with the runtime's `init/error`, when it reports one.
    pub async fn wait_init_error(&self) -> ErrorReport {
        let mut reports = self.shared.init_error.subscribe();
        let report = reports.wait_for(Option::is_some).await.expect("the sender lives in self");
        report.clone().expect("waited for Some")
    }

    /// The ids of the registered extensions.
    pub fn extensions(&self) -> Vec<String> {
        lock(&self.shared.extensions).clone()
    }

    /// Sends SHUTDOWN to every extension waiting on `event/next`.
    pub fn shutdown(&self, reason: &str) {
        self.shared.shutdown.send_replace(Some(reason.to_string()));
    }
}

/// Frees an invocation whose caller went away (its [`Emulator::invoke`] future was dropped, say because an
/// HTTP client disconnected): like Lambda, the invocation still runs, and its slot is freed when the runtime
/// answers or, at the latest, at the deadline — never held forever.
struct Abandoned {
    shared: Arc<Shared>,
    request_id: String,
    deadline: Instant,
    armed: bool,
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (shared, request_id, deadline) = (self.shared.clone(), std::mem::take(&mut self.request_id), self.deadline);
        let release = move || {
            lock(&shared.in_flight).remove(&request_id);
            lock(&shared.stream_slots).remove(&request_id);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => drop(handle.spawn(async move {
                tokio::time::sleep_until(deadline).await;
                release();
            })),
            Err(_) => release(),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A request id shaped like Lambda's (a UUID), unique within the process.
fn request_id(n: u64) -> String {
    let seed = now_ms() ^ (u64::from(std::process::id()) << 32);
    let mixed = (seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (mixed >> 32) as u32,
        (mixed >> 16) as u16,
        n & 0xfff,
        (mixed >> 4) & 0xfff,
        n
    )
}

fn reply(status: StatusCode, body: impl Into<Bytes>) -> ServerResponse {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    response
}

fn error_reply(status: StatusCode, error_type: &str, message: &str) -> ServerResponse {
    reply(status, json!({"errorType": error_type, "errorMessage": message}).to_string())
}

fn accepted() -> ServerResponse {
    reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

async fn route(shared: &Arc<Shared>, request: Request<Incoming>) -> ServerResponse {
    let path = request.uri().path().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (request.method(), segments.as_slice()) {
        (&Method::GET, ["2018-06-01", "runtime", "invocation", "next"]) => next(shared).await,
        (&Method::POST, ["2018-06-01", "runtime", "invocation", id, "response"]) => {
            let id = id.to_string();
            response(shared, &id, request).await
        }
        (&Method::POST, ["2018-06-01", "runtime", "invocation", id, "error"]) => {
            let id = id.to_string();
            let report = read_error(request).await;
            match take(shared, &id) {
                Some(in_flight) => {
                    let _ = in_flight.outcome.send(Outcome::Error(report));
                    lock(&shared.stream_slots).remove(&id);
                    accepted()
                }
                None => unknown_id(&id),
            }
        }
        (&Method::POST, ["2018-06-01", "runtime", "init", "error"]) => {
            let report = read_error(request).await;
            shared.init_error.send_replace(Some(report));
            accepted()
        }
        (&Method::POST, ["2020-01-01", "extension", "register"]) => {
            let name = request
                .headers()
                .get("lambda-extension-name")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            if name.is_empty() {
                return error_reply(
                    StatusCode::BAD_REQUEST,
                    "Extension.InvalidName",
                    "missing Lambda-Extension-Name header",
                );
            }
            let id = request_id(shared.counter.fetch_add(1, Ordering::Relaxed));
            lock(&shared.extensions).push(id.clone());
            let mut response = reply(
                StatusCode::OK,
                json!({"functionName": shared.function.name, "functionVersion": "$LATEST", "handler": name}).to_string(),
            );
            response
                .headers_mut()
                .insert("lambda-extension-identifier", id.parse().expect("ids are header-safe"));
            response
        }
        (&Method::GET, ["2020-01-01", "extension", "event", "next"]) => {
            let mut shutdown = shared.shutdown.subscribe();
            let reason = shutdown
                .wait_for(Option::is_some)
                .await
                .map(|r| r.clone().unwrap_or_default())
                .unwrap_or_default();
            reply(
                StatusCode::OK,
                json!({"eventType": "SHUTDOWN", "shutdownReason": reason, "deadlineMs": now_ms() + 2000}).to_string(),
            )
        }
        (&Method::POST, ["2020-01-01", "extension", "init" | "exit", "error"]) => accepted(),
        _ => error_reply(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("no such Runtime API route: {} {path}", request.method()),
        ),
    }
}

fn take(shared: &Shared, id: &str) -> Option<InFlight> {
    lock(&shared.in_flight).remove(id)
}

fn unknown_id(id: &str) -> ServerResponse {
    error_reply(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        &format!("no invocation {id} is in flight (answered already, or timed out)"),
    )
}

async fn next(shared: &Arc<Shared>) -> ServerResponse {
    shared.polling.send_replace(true);
    let mut queue = shared.queue_rx.lock().await;
    loop {
        let Some(pending) = queue.recv().await else {
            return error_reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Emulator.Closed",
                "the emulator is shutting down",
            );
        };
        if pending.deadline <= Instant::now() || !lock(&shared.in_flight).contains_key(&pending.request_id) {
            continue;
        }
        let mut response = reply(StatusCode::OK, pending.event);
        let headers = response.headers_mut();
        let trace = format!("Root=1-{:08x}-{}", now_ms() / 1000, &pending.request_id.replace('-', "")[..24]);
        for (name, value) in [
            ("lambda-runtime-aws-request-id", pending.request_id.clone()),
            ("lambda-runtime-deadline-ms", pending.deadline_ms.to_string()),
            ("lambda-runtime-invoked-function-arn", shared.function.arn.clone()),
            ("lambda-runtime-trace-id", format!("{trace};Parent=0000000000000000;Sampled=0")),
        ] {
            headers.insert(name, value.parse().expect("header-safe values"));
        }
        return response;
    }
}

async fn read_error(request: Request<Incoming>) -> ErrorReport {
    let error_type = request
        .headers()
        .get(ERROR_TYPE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Unhandled")
        .to_string();
    let body = Limited::new(request.into_body(), MAX_PAYLOAD)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    ErrorReport { error_type, body }
}

async fn response(shared: &Arc<Shared>, id: &str, request: Request<Incoming>) -> ServerResponse {
    let streaming = request
        .headers()
        .get("lambda-runtime-function-response-mode")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"streaming"));
    let Some(in_flight) = take(shared, id) else { return unknown_id(id) };
    if streaming {
        let slot = lock(&shared.stream_slots).remove(id);
        return stream(in_flight, slot, request.into_body()).await;
    }
    let result = Limited::new(request.into_body(), MAX_PAYLOAD).collect().await;
    // The runtime has answered: the slot is free whether or not the caller still waits.
    lock(&shared.stream_slots).remove(id);
    match result {
        Ok(body) => {
            let _ = in_flight.outcome.send(Outcome::Response(body.to_bytes()));
            accepted()
        }
        Err(error) => {
            let message = if error.is::<http_body_util::LengthLimitError>() {
                format!("Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes).")
            } else {
                format!("the response body failed: {error}")
            };
            let _ = in_flight
                .outcome
                .send(Outcome::Error(ErrorReport::new("Function.ResponseSizeTooLarge", &message)));
            error_reply(StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge", &message)
        }
    }
}

async fn stream(in_flight: InFlight, slot: Option<OwnedSemaphorePermit>, mut body: Incoming) -> ServerResponse {
    let deadline = in_flight.deadline;
    let mut parser = PreludeParser::default();
    let timed_out = || {
        ErrorReport::new(
            "Sandbox.Timedout",
            "Task timed out: the invocation's deadline passed while the response was streaming",
        )
    };
    // The prelude.
    let (prelude, rest) = loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return stream_failed(in_flight, timed_out()),
            Ok(None) => {
                let message = format!(
                    "the streamed response ended after {} bytes, before its prelude was complete",
                    parser.seen()
                );
                return stream_failed(in_flight, ErrorReport::new("Runtime.InvalidStreamingResponse", &message));
            }
            Ok(Some(Err(error))) => return stream_failed(in_flight, ErrorReport::new("Runtime.StreamBroken", &error.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        match frame.into_data() {
            Ok(data) => match parser.push(&data) {
                Ok(Parsed::NeedMore) => continue,
                Ok(Parsed::Done { prelude, rest }) => break (prelude, rest),
                Err(message) => return stream_failed(in_flight, ErrorReport::new("Runtime.InvalidStreamingResponse", &message)),
            },
            Err(frame) => {
                let report = frame.into_trailers().ok().and_then(|t| trailer_error(&t));
                return stream_failed(
                    in_flight,
                    report.unwrap_or_else(|| ErrorReport::new("Runtime.InvalidStreamingResponse", "trailers before the prelude")),
                );
            }
        }
    };
    let (tx, rx) = mpsc::channel(4);
    let Some(slot) = slot else {
        return error_reply(StatusCode::BAD_REQUEST, "InvalidRequestID", "the invocation is no longer waiting");
    };
    if in_flight
        .outcome
        .send(Outcome::Streaming(Streamed {
            prelude,
            body: rx,
            _slot: slot,
        }))
        .is_err()
    {
        return error_reply(StatusCode::GONE, "ClientGone", "the invoker went away");
    }
    if !rest.is_empty() && tx.send(StreamItem::Data(rest)).await.is_err() {
        return client_gone();
    }
    // The body.
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                let _ = tx.send(StreamItem::Error(timed_out())).await;
                return error_reply(StatusCode::GONE, "Sandbox.Timedout", "the invocation's deadline passed");
            }
            Ok(None) => return accepted(),
            Ok(Some(Err(error))) => {
                let _ = tx
                    .send(StreamItem::Error(ErrorReport::new("Runtime.StreamBroken", &error.to_string())))
                    .await;
                return accepted();
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let item = match frame.into_data() {
            Ok(data) if data.is_empty() => continue,
            Ok(data) => StreamItem::Data(data),
            Err(frame) => match frame.into_trailers().ok().and_then(|t| trailer_error(&t)) {
                Some(report) => StreamItem::Error(report),
                None => continue,
            },
        };
        if tx.send(item).await.is_err() {
            return client_gone();
        }
    }
}

/// The client stopped reading: answering now (with the body unread) makes hyper close the runtime's
/// connection, which is how the runtime learns to stop.
fn client_gone() -> ServerResponse {
    error_reply(
        StatusCode::GONE,
        "ClientDisconnected",
        "the client went away before the stream ended",
    )
}

fn stream_failed(in_flight: InFlight, report: ErrorReport) -> ServerResponse {
    let _ = in_flight.outcome.send(Outcome::Error(report));
    accepted()
}

fn trailer_error(trailers: &http::HeaderMap) -> Option<ErrorReport> {
    let error_type = trailers.get(ERROR_TYPE_HEADER)?.to_str().ok()?.to_string();
    let body = trailers
        .get(ERROR_BODY_TRAILER)
        .and_then(|v| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, v.as_bytes()).ok())
        .unwrap_or_default();
    Some(ErrorReport {
        error_type,
        body: Bytes::from(body),
    })
}
