//! The pieces of a WebSocket end-to-end test: the embedded Lambda emulator, the real adapter binary, a small
//! app that pushes through `x-ws-callback`, and `sink.py`, a stand-in for API Gateway's `@connections` API
//! that checks every signature with botocore.
//!
//! Needs `python3` with `botocore` (PyPI) on PATH.

#![allow(dead_code)]

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
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE/token+with=signs";
pub const REGION: &str = "us-east-1";

/// A child process killed when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn support(file: &str) -> String {
    format!("{}/tests/ws_support/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// `sink.py` on a free port.
pub struct Sink {
    pub port: u16,
    _process: Process,
}

impl Sink {
    pub fn start() -> Sink {
        let mut child = Command::new("python3")
            .arg(support("sink.py"))
            .args([ACCESS_KEY, SECRET_KEY, REGION])
            .stdout(Stdio::piped())
            .spawn()
            .expect("these tests need python3 with botocore (pip install botocore)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("sink.py did not start (is botocore installed?): {line:?}"));
        Sink {
            port,
            _process: Process(child),
        }
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

/// A free port on loopback (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Emulator + app + sink + the adapter binary between them.
pub struct Harness {
    pub emulator: Emulator,
    pub app: App,
    pub sink: Sink,
    pub callback_port: u16,
    pub log: std::path::PathBuf,
    _adapter: Process,
}

impl Harness {
    /// Starts everything; `env` adds or overrides the adapter's environment.
    pub async fn start(env: &[(&str, &str)]) -> Harness {
        let emulator = Emulator::start("127.0.0.1:0".parse().unwrap(), FunctionInfo::default())
            .await
            .unwrap();
        let app = App::start().await;
        let sink = Sink::start();
        let callback_port = free_port();
        let log = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("ws-adapter-{}.log", emulator.addr().port()));
        let mut command = Command::new(env!("CARGO_BIN_EXE_lambda-adapter"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
            .env("LWA_PORT", app.port.to_string())
            .env("LWA_WS_CALLBACK_PORT", callback_port.to_string())
            .env("LWA_WS_ENDPOINT", format!("http://127.0.0.1:{}/stage", sink.port))
            .env("AWS_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
            .env("LWA_LOG", "debug")
            .stderr(std::fs::File::create(&log).unwrap());
        for (name, value) in env {
            command.env(name, value);
        }
        let adapter = Process(command.spawn().unwrap());
        Harness {
            emulator,
            app,
            sink,
            callback_port,
            log,
            _adapter: adapter,
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
        std::fs::read_to_string(&self.log).unwrap_or_default()
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

/// A fixture from `tests/fixtures/events/`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// The MESSAGE fixture with `body`.
pub fn message(body: Value) -> Value {
    let mut event = fixture("example-apigw-websocket-message.json");
    event["body"] = body.to_string().into();
    event
}
