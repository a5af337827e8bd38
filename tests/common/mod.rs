//! Shared pieces of the end-to-end tests: the real `lambda-adapter` binary, the real example app, and the
//! embedded Runtime API, each on a free loopback port; and events built from the real samples.
#![allow(dead_code)]

pub mod cargo_lambda;
pub mod fault_peers;

use bytes::Bytes;
use lambda_adapter::dev::emulator::{Emulator, FunctionInfo, Outcome, StreamItem};
use serde_json::Value;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The adapter binary under test.
pub fn adapter_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lambda-adapter"))
}

/// A Cargo example built beside the binary (`cargo test` builds examples).
pub fn example_binary(name: &str) -> PathBuf {
    let path = adapter_binary().parent().unwrap().join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: build the examples (`cargo test` does)",
        path.display()
    );
    path
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed when dropped.
pub struct Process {
    pub child: Child,
    pub log: PathBuf,
}

impl Process {
    pub fn spawn(mut command: Command, name: &str) -> Process {
        let log = std::env::temp_dir().join(format!("lwa-test-{name}-{}-{}.log", std::process::id(), free_port()));
        let file = std::fs::File::create(&log).unwrap();
        command
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file))
            .stdin(Stdio::null());
        // Its own process group, so that killing it also ends whatever it started.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Process { child, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the process wrote so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn kill(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit, at most `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// Peak resident memory (VmHWM) in KiB, from /proc.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Starts the echo example app on `port`.
pub fn start_app(port: u16) -> Process {
    let mut command = Command::new(example_binary("echo"));
    command.env("PORT", port.to_string()).env_remove("HOST");
    let app = Process::spawn(command, "echo");
    wait_for_port(port, Duration::from_secs(10));
    app
}

/// Waits until something accepts connections on `port`.
pub fn wait_for_port(port: u16, timeout: Duration) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < timeout, "nothing listens on port {port} after {timeout:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The adapter command, pointed at `runtime_api` and an app on `app_port`, with `env` on top.
pub fn adapter_command(runtime_api: &str, app_port: u16, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(adapter_binary());
    for (name, _) in std::env::vars() {
        if name.starts_with("LWA_") || name.starts_with("AWS_LWA_") || name == "PORT" {
            command.env_remove(name);
        }
    }
    command
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("PORT", app_port.to_string())
        .env("RUST_LOG", "info");
    command
        .env("AWS_LAMBDA_FUNCTION_NAME", "e2e-function")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// An emulator, an echo app and an adapter between them.
pub struct Stack {
    pub emulator: Emulator,
    pub app: Process,
    pub app_port: u16,
    pub adapter: Process,
}

impl Stack {
    /// Starts everything and waits until the adapter polls for invocations.
    pub async fn start(env: &[(&str, &str)]) -> Stack {
        let emulator = Emulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), FunctionInfo::default())
            .await
            .unwrap();
        let app_port = free_port();
        let app = start_app(app_port);
        let adapter = Process::spawn(adapter_command(&emulator.runtime_api(), app_port, env), "adapter");
        let stack = Stack {
            emulator,
            app,
            app_port,
            adapter,
        };
        if tokio::time::timeout(Duration::from_secs(20), stack.emulator.wait_polling())
            .await
            .is_err()
        {
            panic!("the adapter never polled for an invocation; its log:\n{}", stack.adapter.output());
        }
        stack
    }

    /// Invokes with a 30 s deadline.
    pub async fn invoke(&self, event: impl Into<Bytes>) -> Outcome {
        self.invoke_with(event, Duration::from_secs(30)).await
    }

    pub async fn invoke_with(&self, event: impl Into<Bytes>, timeout: Duration) -> Outcome {
        match self.emulator.invoke(event.into(), timeout).await {
            Ok(outcome) => outcome,
            Err(error) => panic!("invocation failed: {error:?}; adapter log:\n{}", self.adapter.output()),
        }
    }

    /// Invokes and returns the buffered response document.
    pub async fn invoke_json(&self, event: impl Into<Bytes>) -> Value {
        match self.invoke(event).await {
            Outcome::Response(payload) => serde_json::from_slice(&payload).unwrap_or_else(|e| panic!("not JSON ({e}): {payload:?}")),
            Outcome::Error(report) => panic!(
                "expected a response, got error {}: {}\nlog:\n{}",
                report.error_type,
                report.message(),
                self.adapter.output()
            ),
            Outcome::Streaming(_) => panic!("expected a buffered response, got a stream"),
        }
    }
}

/// A real event sample from `tests/fixtures/events/`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

/// The Function URL sample, with method, path and query replaced.
pub fn function_url(method: &str, path: &str, query: &str) -> Value {
    let mut event = fixture("example-lambda-function-url-request.json");
    event["rawPath"] = path.into();
    event["rawQueryString"] = query.into();
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = path.into();
    event["cookies"] = Value::Null;
    event["headers"].as_object_mut().unwrap().remove("cookie");
    event
}

/// The REST API sample with method, path and a decoded query map.
pub fn rest_api(method: &str, path: &str, query: &[(&str, &str)]) -> Value {
    let mut event = fixture("example-apigw-request.json");
    event["httpMethod"] = method.into();
    event["path"] = path.into();
    let mut multi = serde_json::Map::new();
    for (key, value) in query {
        multi
            .entry(key.to_string())
            .or_insert_with(|| Value::Array(vec![]))
            .as_array_mut()
            .unwrap()
            .push((*value).into());
    }
    event["multiValueQueryStringParameters"] = if query.is_empty() { Value::Null } else { Value::Object(multi) };
    event["queryStringParameters"] = Value::Null;
    event
}

/// The ALB sample (multi-value form or not) with method and path.
pub fn alb(method: &str, path: &str, multi_value: bool) -> Value {
    let name = if multi_value {
        "example-alb-lambda-target-request-multivalue-headers.json"
    } else {
        "example-alb-lambda-target-request-headers-only.json"
    };
    let mut event = fixture(name);
    event["httpMethod"] = method.into();
    event["path"] = path.into();
    event
}

pub fn bytes(value: &Value) -> Bytes {
    Bytes::from(value.to_string())
}

/// The echo app's deterministic byte pattern.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + 7) % 251) as u8).collect()
}

/// A stream's prelude (as JSON), its body with the arrival time of each chunk, and its error, if any.
pub struct Received {
    pub prelude: Value,
    pub chunks: Vec<(Instant, Bytes)>,
    pub error: Option<lambda_adapter::dev::emulator::ErrorReport>,
}

impl Received {
    pub fn body(&self) -> Vec<u8> {
        self.chunks.iter().flat_map(|(_, c)| c.iter().copied()).collect()
    }
}

/// Reads a whole stream.
pub async fn receive(outcome: Outcome) -> Received {
    let Outcome::Streaming(mut streamed) = outcome else {
        panic!("expected a stream, got {}", describe(&outcome));
    };
    let prelude = serde_json::from_slice(&streamed.prelude).expect("the prelude is JSON");
    let mut received = Received {
        prelude,
        chunks: Vec::new(),
        error: None,
    };
    while let Some(item) = streamed.body.recv().await {
        match item {
            StreamItem::Data(data) => received.chunks.push((Instant::now(), data)),
            StreamItem::Error(report) => received.error = Some(report),
        }
    }
    received
}

pub fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Response(payload) => format!("response {}", String::from_utf8_lossy(payload)),
        Outcome::Streaming(s) => format!("stream with prelude {}", String::from_utf8_lossy(&s.prelude)),
        Outcome::Error(report) => format!("error {}: {}", report.error_type, report.message()),
    }
}
