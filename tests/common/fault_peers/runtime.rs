//! A Runtime and Extensions API whose every `invocation/next` answer, and every answer to the adapter's
//! `/response` and `/error` posts, the test scripts; it records what the adapter sent.

use super::lock;
use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_adapter::context::now_ms;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

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
