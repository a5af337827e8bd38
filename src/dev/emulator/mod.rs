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
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::stream::parser::{Parsed, PreludeParser};

mod routes;
use crate::buffered::MAX_PAYLOAD;
use crate::context::now_ms;
use crate::runtime_api::requests::{ERROR_BODY_TRAILER, ERROR_TYPE_HEADER, INVOCATION_ID_HEADER};
use routes::route;

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
    /// The emulator is shutting down and takes no more invocations.
    Closed,
}

/// Facts the emulated function reports.
#[derive(Clone, Debug)]
pub struct FunctionInfo {
    pub name: String,
    pub arn: String,
    /// Invocations that may run at once (`AWS_LAMBDA_MAX_CONCURRENCY` on Lambda Managed Instances); 1 is
    /// the classic one-at-a-time environment.
    pub concurrency: usize,
    /// Send `Lambda-Runtime-Invocation-Id` with each invocation and answer a post that does not echo it
    /// with 410, as Lambda does since July 2026. Off only to measure runtimes that predate it.
    pub invocation_ids: bool,
}

impl Default for FunctionInfo {
    fn default() -> Self {
        FunctionInfo {
            name: "function".into(),
            arn: "arn:aws:lambda:us-east-1:000000000000:function:function".into(),
            concurrency: 1,
            invocation_ids: true,
        }
    }
}

struct Pending {
    request_id: String,
    invocation_id: Option<String>,
    /// `Lambda-Runtime-Trace-Id`, when the caller chose it.
    trace: Option<String>,
    event: Bytes,
    deadline: Instant,
    deadline_ms: u64,
}

struct InFlight {
    outcome: oneshot::Sender<Outcome>,
    deadline: Instant,
    invocation_id: Option<String>,
}

struct Shared {
    function: FunctionInfo,
    /// The port the APIs listen on, which a request's `Host` must name ([`crate::dev::loopback`]).
    port: u16,
    queue_tx: mpsc::UnboundedSender<Pending>,
    queue_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>,
    in_flight: Mutex<HashMap<String, InFlight>>,
    /// Slots freed only when a streamed response is dropped; handed to [`Streamed`].
    stream_slots: Mutex<HashMap<String, OwnedSemaphorePermit>>,
    /// The runtime's `init/error`, or its `restore/error` (SnapStart).
    init_error: watch::Sender<Option<ErrorReport>>,
    polling: watch::Sender<bool>,
    /// `restore/next` calls answered (SnapStart).
    restores: AtomicU64,
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
        let concurrency = function.concurrency.max(1);
        let addr = listener.local_addr()?;
        let (queue_tx, queue_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            function,
            port: addr.port(),
            queue_tx,
            queue_rx: tokio::sync::Mutex::new(queue_rx),
            in_flight: Mutex::new(HashMap::new()),
            stream_slots: Mutex::new(HashMap::new()),
            init_error: watch::channel(None).0,
            polling: watch::channel(false).0,
            restores: AtomicU64::new(0),
            shutdown: watch::channel(None).0,
            extensions: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
        });
        let server_shared = shared.clone();
        // Per invocation at once, the runtime's `next` and its response post; a few more for extensions.
        let cap = crate::net::serve::cap_with(concurrency.saturating_mul(2).saturating_add(16));
        let server = tokio::spawn(crate::net::serve::accept_loop_capped(
            listener,
            "Runtime API",
            cap,
            move |request, _| {
                let shared = server_shared.clone();
                async move { route(&shared, request).await }
            },
        ))
        .abort_handle();
        Ok(Emulator {
            shared,
            slot: Arc::new(Semaphore::new(concurrency)),
            addr,
            server,
        })
    }

    /// Invocations that may run at once ([`FunctionInfo::concurrency`]).
    pub fn concurrency(&self) -> usize {
        self.shared.function.concurrency.max(1)
    }

    /// The address serving the APIs.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn runtime_api(&self) -> String {
        self.addr.to_string()
    }

    /// Invokes the function with `event` and waits for its outcome, at most `timeout`. Invocations run
    /// [`FunctionInfo::concurrency`] at a time; a streamed outcome keeps its slot until it is dropped.
    pub async fn invoke(&self, event: Bytes, timeout: Duration) -> Result<Outcome, InvokeError> {
        self.invoke_traced(event, timeout, None).await
    }

    /// [`Emulator::invoke`], with `trace` as the invocation's `Lambda-Runtime-Trace-Id` (by default one made
    /// from the request id, with a `Parent` and `Sampled=0`, as Lambda sends without active tracing).
    pub async fn invoke_traced(&self, event: Bytes, timeout: Duration, trace: Option<String>) -> Result<Outcome, InvokeError> {
        let slot = self.slot.clone().acquire_owned().await.map_err(|_| InvokeError::Closed)?;
        let n = self.shared.counter.fetch_add(1, Ordering::Relaxed);
        let request_id = request_id(n);
        let invocation_id = self.shared.function.invocation_ids.then(|| invocation_id(n));
        let deadline = crate::context::instant_after(timeout);
        let (tx, rx) = oneshot::channel();
        let in_flight = InFlight {
            outcome: tx,
            deadline,
            invocation_id: invocation_id.clone(),
        };
        lock(&self.shared.in_flight).insert(request_id.clone(), in_flight);
        lock(&self.shared.stream_slots).insert(request_id.clone(), slot);
        let pending = Pending {
            request_id: request_id.clone(),
            invocation_id,
            trace,
            event,
            deadline,
            deadline_ms: now_ms().saturating_add(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX)),
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

    /// How many times the runtime asked for its restore (SnapStart).
    pub fn restores(&self) -> u64 {
        self.shared.restores.load(Ordering::Relaxed)
    }

    /// Resolves once a runtime is waiting on `invocation/next` (the adapter finished init).
    pub async fn wait_polling(&self) {
        let mut polling = self.shared.polling.subscribe();
        let _ = polling.wait_for(|p| *p).await;
    }

    /// Resolves with the runtime's `init/error`, when it reports one.
    pub async fn wait_init_error(&self) -> ErrorReport {
        let mut reports = self.shared.init_error.subscribe();
        match reports.wait_for(Option::is_some).await.ok().and_then(|report| report.clone()) {
            Some(report) => report,
            // The sender lives in `self`, so it cannot be gone while this waits.
            None => std::future::pending().await,
        }
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

/// An invocation id, distinct from the request id as Lambda's are (a request id can be reused after a
/// timeout; the invocation id is what tells a stale post apart).
fn invocation_id(n: u64) -> String {
    let mixed = n.wrapping_add(now_ms()).wrapping_mul(0x94D0_49BB_1331_11EB);
    format!("{mixed:016x}{n:08x}")
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
