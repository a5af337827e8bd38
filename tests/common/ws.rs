//! The WebSocket bridge end to end: [`Harness`] puts the real adapter binary between the embedded Lambda
//! emulator, an [`App`] that pushes through `x-ws-callback`, and a [`Sink`] (`tests/ws_support/sink.py`), a
//! stand-in for API Gateway's `@connections` API that checks every signature with botocore.
//!
//! Needs `python3` with `botocore` (PyPI) on PATH.

use super::{Process, adapter_command, fixture, repo_path};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_adapter::dev::emulator::{Emulator, FunctionInfo, Outcome};
use lambda_adapter::net::{body as http_body_helpers, client as http_client};
use serde_json::Value;
use std::convert::Infallible;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE/token+with=signs";
pub const REGION: &str = "us-east-1";

/// A script of `tests/ws_support/`.
pub fn ws_support(file: &str) -> String {
    repo_path(&format!("tests/ws_support/{file}"))
}

/// `sink.py` on a free port.
pub struct Sink {
    pub port: u16,
    process: Process,
}

impl Sink {
    pub fn start() -> Sink {
        let mut command = Command::new("python3");
        command.arg(ws_support("sink.py")).args([ACCESS_KEY, SECRET_KEY, REGION]);
        let mut process = Process::spawn(command, "sink");
        let line = process.wait_for_line("PORT ", Duration::from_secs(20));
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("sink.py did not start (is botocore installed?): {line:?}"));
        Sink { port, process }
    }

    /// Every call the sink has seen: method, path, body, status, answered.
    pub async fn calls(&self) -> Vec<Value> {
        let request = Request::get(format!("http://127.0.0.1:{}/_calls", self.port))
            .body(http_body_helpers::full(Bytes::new()))
            .unwrap();
        let response = http_client::client().request(request).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice::<Vec<Value>>(&body).unwrap()
    }
}

/// What the app received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// The test app: answers `/ws/*` as the tests need, and records every request.
pub struct App {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl App {
    pub async fn start() -> App {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let record = record.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| app(record.clone(), request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        App { port, seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn text(status: u16, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response
}

/// POSTs (or GETs/DELETEs) `data` to `url`; returns status, `x-amzn-errortype` and body.
pub async fn call(method: &str, url: &str, data: &str) -> (u16, String, String) {
    let request = Request::builder()
        .method(method)
        .uri(url)
        .body(http_body_helpers::full(data.to_string()))
        .unwrap();
    let response = http_client::client().request(request).await.unwrap();
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, error_type, String::from_utf8_lossy(&body).into_owned())
}

/// The app. Messages are JSON with an `action`:
/// `echo` replies with the message; `push` posts "tick" to `x-ws-callback` and replies `pushed:<status>`;
/// `push_to` posts to connection `id` and replies `<status> <error type>`; `push_background` starts a post to
/// `id` without waiting, then replies after 100 ms; `fail` answers 500.
async fn app(seen: Arc<Mutex<Vec<Seen>>>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let path = parts.uri.path().to_string();
    seen.lock().unwrap().push(Seen {
        path: parts.uri.to_string(),
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    let header = |name: &str| parts.headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let callback = header("x-ws-callback");
    let base = callback.split("/@connections/").next().unwrap_or("").to_string();
    let url_for = |id: &str| format!("{base}/@connections/{}", lambda_adapter::net::uri::component(id));
    Ok(match path.as_str() {
        "/ws/connect" if parts.uri.query().unwrap_or("").contains("reject") => text(401, "no"),
        "/ws/connect" => {
            let mut response = text(200, "");
            let offered = header("sec-websocket-protocol");
            if let Some(first) = offered.split(',').map(str::trim).find(|p| !p.is_empty()) {
                response.headers_mut().insert("sec-websocket-protocol", first.parse().unwrap());
            }
            response
        }
        "/ws/message" => {
            let message: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let id = message["id"].as_str().unwrap_or("").to_string();
            match message["action"].as_str().unwrap_or("") {
                "echo" => text(200, body),
                "push" => text(200, format!("pushed:{}", call("POST", &callback, "tick").await.0)),
                "push_to" => {
                    let (status, error_type, _) = call("POST", &url_for(&id), "hello").await;
                    text(200, format!("{status} {error_type}"))
                }
                "push_background" => {
                    let url = url_for(&id);
                    tokio::spawn(async move { call("POST", &url, "late").await });
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    text(200, "started")
                }
                "fail" => text(500, "boom"),
                _ => text(400, "unknown action"),
            }
        }
        "/ws/disconnect" => text(200, "bye"),
        _ => text(200, "ok"),
    })
}

/// Emulator + app + sink + the adapter binary between them.
pub struct Harness {
    pub emulator: Emulator,
    pub app: App,
    pub sink: Sink,
    pub callback_port: u16,
    pub adapter: Process,
}

impl Harness {
    /// Starts everything; `env` adds or overrides the adapter's environment.
    pub async fn start(env: &[(&str, &str)]) -> Harness {
        let emulator = Emulator::start("127.0.0.1:0".parse().unwrap(), FunctionInfo::default())
            .await
            .unwrap();
        let app = App::start().await;
        let sink = Sink::start();
        let callback_port = super::free_port();
        let mut command = adapter_command(&emulator.runtime_api(), app.port, &[]);
        command
            .env("LWA_WS_CALLBACK_PORT", callback_port.to_string())
            .env("LWA_WS_ENDPOINT", format!("http://127.0.0.1:{}/stage", sink.port))
            .env("AWS_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
            .env("LWA_LOG", "debug")
            .envs(env.iter().copied());
        let adapter = Process::spawn(command, "ws-adapter");
        Harness {
            emulator,
            app,
            sink,
            callback_port,
            adapter,
        }
    }

    /// Waits until the adapter polls for invocations.
    pub async fn ready(self) -> Harness {
        if tokio::time::timeout(Duration::from_secs(10), self.emulator.wait_polling())
            .await
            .is_err()
        {
            panic!("the adapter did not start:\n{}", self.adapter_log());
        }
        self
    }

    pub fn adapter_log(&self) -> String {
        self.adapter.output()
    }

    /// Invokes with `event`; returns the buffered response document, or panics with the adapter's log.
    pub async fn invoke(&self, event: &Value) -> Value {
        match self.invoke_outcome(event).await {
            Outcome::Response(payload) => serde_json::from_slice(&payload).unwrap(),
            Outcome::Error(report) => panic!("invocation failed: {}\n{}", report.message(), self.adapter_log()),
            Outcome::Streaming(_) => panic!("a WebSocket event was answered streaming"),
        }
    }

    pub async fn invoke_outcome(&self, event: &Value) -> Outcome {
        let event = Bytes::from(event.to_string());
        match self.emulator.invoke(event, Duration::from_secs(10)).await {
            Ok(outcome) => outcome,
            Err(error) => panic!("{error:?}\n{}", self.adapter_log()),
        }
    }
}

/// The MESSAGE fixture with `body`.
pub fn message(body: Value) -> Value {
    let mut event = fixture("example-apigw-websocket-message.json");
    event["body"] = body.to_string().into();
    event
}
