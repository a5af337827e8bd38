//! Scriptable peers for the fault tests (`tests/faults.rs`). The embedded emulator is a faithful Lambda and
//! the echo app a well-behaved server; faults need peers a test can tell to misbehave:
//! - [`FakeRuntime`]: a Runtime and Extensions API whose every `invocation/next` answer, and every answer to
//!   the adapter's `/response` and `/error` posts, the test scripts; it records what the adapter sent.
//! - [`ScriptedApp`]: an app speaking raw TCP that misbehaves on the paths of [`AppFault`] and answers
//!   everything else properly (the readiness check included), recording what it received.

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_adapter::context::now_ms;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use super::Process;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Waits for `process` to exit, at most `timeout`, without blocking the test's runtime (the fake peers live
/// on it).
pub async fn wait_exit(process: &mut Process, timeout: Duration) -> Option<ExitStatus> {
    let exited = async {
        loop {
            if let Ok(Some(status)) = process.child.try_wait() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(timeout, exited).await.ok()
}

// --- the fake Runtime API ---

/// One answer to `GET /runtime/invocation/next`.
#[derive(Debug)]
pub enum Next {
    Event(NextEvent),
    /// An error status with a JSON error body, as Lambda answers.
    Status(u16),
    /// The connection is closed without an answer.
    Drop,
}

/// An event and the headers that come with it; `None` leaves a header out.
#[derive(Debug)]
pub struct NextEvent {
    pub request_id: Option<String>,
    /// `Lambda-Runtime-Deadline-Ms`, as sent.
    pub deadline_ms: Option<String>,
    pub body: Bytes,
}

impl NextEvent {
    /// An event with its request id and a deadline 30 s from now.
    pub fn new(request_id: &str, body: impl Into<Bytes>) -> Self {
        NextEvent {
            request_id: Some(request_id.into()),
            deadline_ms: Some((now_ms() + 30_000).to_string()),
            body: body.into(),
        }
    }
}

/// One answer to a post of the adapter's (`/response` or `/error`), given once its whole body is read.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// 202, Lambda's success.
    Accept,
    /// An error status with a JSON error body.
    Status(u16),
    /// The connection is closed without an answer.
    Drop,
    /// The connection is closed as soon as the first bytes of the body arrive, before its end.
    DropMidBody,
}

/// Which post an [`Answer`] is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Post {
    Response,
    Error,
}

/// A request the adapter made, as the fake Runtime API received it.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub trailers: Option<HeaderMap>,
}

impl Call {
    pub fn is_next(&self) -> bool {
        self.path.ends_with("/runtime/invocation/next")
    }

    /// The invocation post this is (`/invocation/{id}/response` or `/error`) and its request id.
    pub fn post(&self) -> Option<(Post, &str)> {
        let rest = self.path.split("/runtime/invocation/").nth(1)?;
        let (id, kind) = rest.split_once('/')?;
        match kind {
            "response" => Some((Post::Response, id)),
            "error" => Some((Post::Error, id)),
            _ => None,
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{} posted no JSON ({e}): {:?}", self.path, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn trailer(&self, name: &str) -> Option<&str> {
        self.trailers.as_ref()?.get(name).and_then(|v| v.to_str().ok())
    }
}

struct RuntimeState {
    next_tx: mpsc::UnboundedSender<Next>,
    next_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Next>>,
    responses: Mutex<VecDeque<Answer>>,
    errors: Mutex<VecDeque<Answer>>,
    calls: watch::Sender<Vec<Call>>,
}

/// A Runtime and Extensions API answering as scripted; serving stops when it is dropped. `invocation/next`
/// waits until a [`Next`] is pushed; `extension/event/next` never answers (no SHUTDOWN); posts are answered
/// 202 unless an [`Answer`] is queued for them.
pub struct FakeRuntime {
    addr: SocketAddr,
    state: Arc<RuntimeState>,
    server: tokio::task::AbortHandle,
}

impl Drop for FakeRuntime {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The service's error: hyper closes the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the script")
    }
}

impl std::error::Error for Dropped {}

type Reply = Result<Response<Full<Bytes>>, Dropped>;

fn reply(status: u16, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = StatusCode::from_u16(status).expect("a valid status");
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    Ok(response)
}

fn error_status(status: u16) -> Reply {
    reply(
        status,
        format!(r#"{{"errorType":"Scripted.Status{status}","errorMessage":"scripted answer {status}"}}"#),
    )
}

impl FakeRuntime {
    pub async fn start() -> FakeRuntime {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (next_tx, next_rx) = mpsc::unbounded_channel();
        let state = Arc::new(RuntimeState {
            next_tx,
            next_rx: tokio::sync::Mutex::new(next_rx),
            responses: Mutex::new(VecDeque::new()),
            errors: Mutex::new(VecDeque::new()),
            calls: watch::channel(Vec::new()).0,
        });
        let shared = state.clone();
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let state = state.clone();
                        async move { route(&state, request).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
        .abort_handle();
        FakeRuntime { addr, state, server }
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn runtime_api(&self) -> String {
        self.addr.to_string()
    }

    /// Queues answers to `invocation/next`, in order.
    pub fn next(&self, answers: impl IntoIterator<Item = Next>) {
        for answer in answers {
            self.state.next_tx.send(answer).expect("the receiver lives in the state");
        }
    }

    /// Queues answers to the adapter's `/response` (or `/error`) posts, in order; once they are used up,
    /// posts get 202.
    pub fn answer(&self, post: Post, answers: impl IntoIterator<Item = Answer>) {
        let queue = match post {
            Post::Response => &self.state.responses,
            Post::Error => &self.state.errors,
        };
        lock(queue).extend(answers);
    }

    /// Every request so far, in order of arrival (posts once their body is read).
    pub fn calls(&self) -> Vec<Call> {
        self.state.calls.borrow().clone()
    }

    /// Waits until `done` holds for the requests so far, at most `timeout`; `None` when it never did.
    pub async fn wait_for(&self, timeout: Duration, done: impl Fn(&[Call]) -> bool) -> Option<Vec<Call>> {
        let mut calls = self.state.calls.subscribe();
        let waited = tokio::time::timeout(timeout, calls.wait_for(|calls| done(calls))).await;
        match waited {
            Ok(Ok(calls)) => Some(calls.clone()),
            _ => None,
        }
    }
}

async fn route(state: &RuntimeState, request: Request<Incoming>) -> Reply {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let mut call = Call {
        method: parts.method.to_string(),
        path: path.clone(),
        headers: parts.headers,
        body: Bytes::new(),
        trailers: None,
    };
    if call.is_next() {
        state.calls.send_modify(|calls| calls.push(call));
        let next = state.next_rx.lock().await.recv().await.expect("the sender lives in the state");
        return match next {
            Next::Status(status) => error_status(status),
            Next::Drop => Err(Dropped),
            Next::Event(event) => {
                let mut response = reply(200, event.body)?;
                let headers = response.headers_mut();
                let values = [
                    ("lambda-runtime-aws-request-id", event.request_id),
                    ("lambda-runtime-deadline-ms", event.deadline_ms),
                    (
                        "lambda-runtime-invoked-function-arn",
                        Some("arn:aws:lambda:us-east-1:000000000000:function:faults".into()),
                    ),
                    (
                        "lambda-runtime-trace-id",
                        Some("Root=1-00000000-000000000000000000000000;Sampled=0".into()),
                    ),
                ];
                for (name, value) in values {
                    if let Some(value) = value {
                        headers.insert(name, value.parse().expect("header-safe values"));
                    }
                }
                Ok(response)
            }
        };
    }
    if path.ends_with("/extension/event/next") {
        state.calls.send_modify(|calls| calls.push(call));
        return std::future::pending().await;
    }
    let post = call.post().map(|(post, _)| post);
    let scripted = match post {
        Some(Post::Response) => lock(&state.responses).pop_front(),
        Some(Post::Error) => lock(&state.errors).pop_front(),
        None => None,
    };
    if let Some(Answer::DropMidBody) = scripted {
        let mut body = body;
        if let Some(Ok(frame)) = body.frame().await {
            call.body = frame.into_data().unwrap_or_default();
        }
        state.calls.send_modify(|calls| calls.push(call));
        return Err(Dropped);
    }
    match body.collect().await {
        Ok(collected) => {
            call.trailers = collected.trailers().cloned();
            call.body = collected.to_bytes();
        }
        Err(error) => call.body = Bytes::from(format!("<the body failed: {error}>")),
    }
    state.calls.send_modify(|calls| calls.push(call));
    if path.ends_with("/extension/register") {
        let mut response = reply(200, r#"{"functionName":"faults","functionVersion":"$LATEST","handler":"x"}"#)?;
        response
            .headers_mut()
            .insert("lambda-extension-identifier", http::HeaderValue::from_static("fault-extension"));
        return Ok(response);
    }
    match scripted.unwrap_or(Answer::Accept) {
        Answer::Accept => reply(202, r#"{"status":"OK"}"#),
        Answer::Status(status) => error_status(status),
        Answer::Drop | Answer::DropMidBody => Err(Dropped),
    }
}

// --- the scripted app ---

/// The bytes of the body an app sends before failing, where its fault allows one.
pub const PARTIAL: &[u8] = b"0123456789";

/// Ways an app misbehaves (or, for [`AppFault::ManyCookies`], behaves unusually), each on its own path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppFault {
    /// Reads the request, then closes the connection without a word.
    Close,
    /// Answers `garbage\r\n\r\n`.
    Garbage,
    /// Answers a head with 100,000 headers.
    ManyHeaders,
    /// Answers 200 with 150 `Set-Cookie` headers (a 2.7 KB head: unusual, but valid HTTP) and the body `ok`.
    ManyCookies,
    /// Reads the request and never answers (until the adapter hangs up).
    StallBeforeHead,
    /// Sends a head with `Content-Length: 100`, then [`PARTIAL`], then nothing more (until the adapter hangs up).
    StallAfterHead,
    /// Sends a head with `Content-Length: 100`, then [`PARTIAL`], then closes.
    ShortContentLength,
    /// Sends a chunked body: [`PARTIAL`] as a whole chunk, then a chunk announced as 100 bytes that closes
    /// after 10 (`abcdefghij`).
    ChunkedDies,
}

impl AppFault {
    pub const ALL: [AppFault; 8] = [
        AppFault::ManyCookies,
        AppFault::Close,
        AppFault::Garbage,
        AppFault::ManyHeaders,
        AppFault::StallBeforeHead,
        AppFault::StallAfterHead,
        AppFault::ShortContentLength,
        AppFault::ChunkedDies,
    ];

    pub fn path(self) -> &'static str {
        match self {
            AppFault::Close => "/fault/close",
            AppFault::ManyCookies => "/fault/150-cookies",
            AppFault::Garbage => "/fault/garbage",
            AppFault::ManyHeaders => "/fault/many-headers",
            AppFault::StallBeforeHead => "/fault/stall-before-head",
            AppFault::StallAfterHead => "/fault/stall-after-head",
            AppFault::ShortContentLength => "/fault/short-content-length",
            AppFault::ChunkedDies => "/fault/chunked-dies",
        }
    }

    fn from_path(path: &str) -> Option<AppFault> {
        AppFault::ALL.into_iter().find(|fault| fault.path() == path)
    }
}

/// A request as the scripted app read it.
#[derive(Clone, Debug)]
pub struct AppRequest {
    /// The request line and headers, as text.
    pub head: String,
    pub body: Vec<u8>,
}

impl AppRequest {
    fn request_line(&self) -> (&str, &str) {
        let mut words = self.head.lines().next().unwrap_or("").split(' ');
        (words.next().unwrap_or(""), words.next().unwrap_or(""))
    }

    pub fn method(&self) -> &str {
        self.request_line().0
    }

    /// The path and query.
    pub fn target(&self) -> &str {
        self.request_line().1
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// The answer of [`ScriptedApp`] to every path that is not a fault.
pub fn served(method: &str, target: &str, body_len: usize) -> String {
    format!("served {method} {target} with {body_len} body bytes")
}

/// A raw-TCP app on a free loopback port; serving stops when it is dropped. Each connection carries one
/// request: [`AppFault`] paths misbehave, every other path gets 200 `text/plain` with [`served`]'s text
/// and `Connection: close`.
pub struct ScriptedApp {
    pub port: u16,
    requests: Arc<Mutex<Vec<AppRequest>>>,
    server: tokio::task::AbortHandle,
}

impl Drop for ScriptedApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// How long a stalling fault holds its connection at most, so that no test can hang on it.
const STALL_LIMIT: Duration = Duration::from_secs(30);

impl ScriptedApp {
    pub async fn start() -> ScriptedApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                tokio::spawn(serve(stream, seen.clone()));
            }
        })
        .abort_handle();
        ScriptedApp { port, requests, server }
    }

    /// Every request so far, the readiness check's included.
    pub fn requests(&self) -> Vec<AppRequest> {
        lock(&self.requests).clone()
    }
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> Option<AppRequest> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).await.ok()? == 0 || head.len() > 1 << 20 {
            return None;
        }
        head.extend_from_slice(&line);
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    let mut request = AppRequest {
        head: String::from_utf8_lossy(&head).into_owned(),
        body: Vec::new(),
    };
    let length = request.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    request.body = vec![0; length];
    reader.read_exact(&mut request.body).await.ok()?;
    Some(request)
}

async fn serve(stream: TcpStream, requests: Arc<Mutex<Vec<AppRequest>>>) {
    let mut stream = BufReader::new(stream);
    let Some(request) = read_request(&mut stream).await else { return };
    lock(&requests).push(request.clone());
    let fault = AppFault::from_path(request.target());
    let head_100 = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\n";
    // Write errors are ignored throughout: the adapter may hang up at any point, which is what faults are.
    let stream = stream.get_mut();
    match fault {
        None => {
            let body = served(request.method(), request.target(), request.body.len());
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
        Some(AppFault::Close) => {}
        Some(AppFault::Garbage) => {
            let _ = stream.write_all(b"garbage\r\n\r\n").await;
        }
        Some(AppFault::ManyHeaders) => {
            let mut head = String::from("HTTP/1.1 200 OK\r\n");
            for i in 0..100_000 {
                head.push_str(&format!("x-header-{i}: value\r\n"));
            }
            head.push_str("content-length: 0\r\n\r\n");
            let _ = stream.write_all(head.as_bytes()).await;
        }
        Some(AppFault::ManyCookies) => {
            let mut head = String::from("HTTP/1.1 200 OK\r\n");
            for i in 0..150 {
                head.push_str(&format!("set-cookie: c{i}=1\r\n"));
            }
            head.push_str("content-length: 2\r\n\r\nok");
            let _ = stream.write_all(head.as_bytes()).await;
        }
        Some(AppFault::StallBeforeHead) => hold(stream).await,
        Some(AppFault::StallAfterHead) => {
            let _ = stream.write_all(head_100.as_bytes()).await;
            let _ = stream.write_all(PARTIAL).await;
            hold(stream).await;
        }
        Some(AppFault::ShortContentLength) => {
            let _ = stream.write_all(head_100.as_bytes()).await;
            let _ = stream.write_all(PARTIAL).await;
        }
        Some(AppFault::ChunkedDies) => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(b"a\r\n0123456789\r\n64\r\nabcdefghij").await;
        }
    }
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}

/// Keeps the connection open without a word until the peer hangs up (or [`STALL_LIMIT`]).
async fn hold(stream: &mut TcpStream) {
    let _ = stream.flush().await;
    let mut sink = [0u8; 1024];
    let _ = tokio::time::timeout(STALL_LIMIT, async {
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}
