//! The one harness of the end-to-end tests. This file: the real `lambda-adapter` binary and the example apps
//! as child processes ([`Process`]), free loopback ports, the adapter's command line ([`adapter_command`]),
//! events built from the real samples in `tests/fixtures/events/` ([`fixture`]), and streamed answers read
//! whole ([`receive`]). Its submodules build on these:
//! - [`stack`]: the adapter between a Runtime API (the embedded emulator, or a scripted fake) and an app;
//! - [`fault_peers`]: a Runtime API and an app that misbehave on cue;
//! - [`raw_app`]: an app that answers exactly the bytes a test gives, behind the adapter;
//! - [`dev`]: `lambda-adapter dev` and its front door, with a real HTTP client;
//! - [`ws`]: the WebSocket bridge, with a botocore-checked stand-in for API Gateway's `@connections` API;
//! - [`cargo_lambda`]: cargo-lambda's emulator, an independent Runtime API and Function URL.
#![allow(dead_code)]

pub mod cargo_lambda;
pub mod compression;
pub mod dev;
mod events;
pub mod fault_peers;
pub mod raw_app;
pub mod stack;
pub mod ws;

pub use events::*;

use bytes::Bytes;
use lambda_adapter::dev::emulator::{Outcome, StreamItem};
use serde_json::Value;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The adapter's setting for response streaming.
pub const STREAM: [(&str, &str); 1] = [("LWA_INVOKE_MODE", "response_stream")];
/// The adapter's setting for buffered responses (also its default).
pub const BUFFERED: [(&str, &str); 1] = [("LWA_INVOKE_MODE", "buffered")];

/// A path inside the repository, as a string (for command lines).
pub fn repo_path(relative: &str) -> String {
    format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"))
}

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

/// A port nothing listens on right now (bound and released), and that no other test of this process gets:
/// below the kernel's ephemeral range (32768 and up on Linux), so that no server bound to port 0 and no
/// outgoing connection takes it before the test binds it, from a sequence of this process's own.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const LOW: u32 = 10000;
    const SPAN: u32 = 22000;
    let start = std::process::id().wrapping_mul(7919) % SPAN;
    for _ in 0..SPAN {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(LOW + (start + n.wrapping_mul(37)) % SPAN).unwrap();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process in a process group of its own, its stdout and stderr in a log file; it is killed, with
/// whatever it started, when dropped.
pub struct Process {
    pub child: Child,
    pub log: PathBuf,
}

impl Process {
    pub fn spawn(mut command: Command, name: &str) -> Process {
        static LOGS: AtomicU32 = AtomicU32::new(0);
        let n = LOGS.fetch_add(1, Ordering::Relaxed);
        let log = std::env::temp_dir().join(format!("lwa-test-{name}-{}-{n}.log", std::process::id()));
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
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// [`Process::wait_exit`] without blocking the test's runtime (for peers that live on it).
    pub async fn exited(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let exited = async {
            loop {
                if let Ok(Some(status)) = self.child.try_wait() {
                    return status;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(timeout, exited).await.ok()
    }

    /// Waits until a line of the output starts with `prefix` and returns the rest of that line; panics with
    /// the output if the process exits or `timeout` passes first.
    pub fn wait_for_line(&mut self, prefix: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let output = self.output();
            if let Some(rest) = output.lines().find_map(|line| line.strip_prefix(prefix)) {
                return rest.to_string();
            }
            let exited = self.child.try_wait().ok().flatten();
            assert!(
                exited.is_none() && start.elapsed() < timeout,
                "no line starting {prefix:?} (exit: {exited:?}); the output:\n{output}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
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

/// Whether `pid` is a live process (a zombie counts as gone).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().to_string()))
        .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'))
}

/// The peer ports of the established TCP connections whose local end is loopback port `port` (the server
/// side of connections to whatever listens there), from `/proc/net/tcp` and `/proc/net/tcp6`.
pub fn established_connections(port: u16) -> Vec<u16> {
    let mut peers = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            // `sl local_address rem_address st ...`, addresses as `HEXIP:HEXPORT`; state 01 is ESTABLISHED.
            let fields: Vec<&str> = line.split_whitespace().collect();
            let hex_port = |address: &str| address.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
            if fields.len() > 3 && fields[3] == "01" && hex_port(fields[1]) == Some(port) {
                peers.extend(hex_port(fields[2]));
            }
        }
    }
    peers
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

/// The adapter binary, with none of what it reads taken from the test's own environment: no adapter
/// settings (`LWA_*`, `AWS_LWA_*`, `PORT`, `RUST_LOG`) and nothing of AWS's (`AWS_*`: credentials, region,
/// Lambda's variables). Everything it gets, the test gives. Extension mode ([`adapter_command`]) and
/// `lambda-adapter dev` ([`dev::Dev`]) both start from here.
pub fn adapter_base_command() -> Command {
    let mut command = Command::new(adapter_binary());
    for (name, _) in std::env::vars() {
        if name.starts_with("LWA_") || name.starts_with("AWS_") || name == "PORT" || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command
}

/// The adapter as a Lambda extension, pointed at `runtime_api` and an app on `app_port`, with `env` on top.
pub fn adapter_command(runtime_api: &str, app_port: u16, env: &[(&str, &str)]) -> Command {
    let mut command = adapter_base_command();
    command
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("PORT", app_port.to_string())
        .env("RUST_LOG", "info")
        .env("AWS_LAMBDA_FUNCTION_NAME", "e2e-function")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256");
    command.envs(env.iter().copied());
    command
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

/// Starts the adapter with one invalid setting `name=value` against the embedded Runtime API and asserts
/// what Lambda must see: an `InvalidConfig` init error whose message names the variable and contains
/// `expect`, a non-zero exit, and no panic. Returns the message.
pub async fn assert_invalid_setting(name: &str, value: &str, expect: &str) -> String {
    let emulator = lambda_adapter::dev::emulator::Emulator::start(([127, 0, 0, 1], 0).into(), Default::default())
        .await
        .unwrap();
    let mut adapter = Process::spawn(adapter_command(&emulator.runtime_api(), free_port(), &[(name, value)]), "adapter");
    let report = tokio::time::timeout(Duration::from_secs(10), emulator.wait_init_error())
        .await
        .unwrap_or_else(|_| panic!("{name}={value:?}: no init error; log:\n{}", adapter.output()));
    assert_eq!(report.error_type, "LambdaAdapter.InvalidConfig");
    let message = report.message();
    assert!(message.contains(name) && message.contains(expect), "{message}");
    let status = adapter.wait_exit(Duration::from_secs(5)).expect("the adapter exits");
    assert!(!status.success(), "{name}={value:?} must exit non-zero");
    assert!(!adapter.output().contains("panicked"), "{}", adapter.output());
    message
}

/// A finished command's status and both outputs, for assertion messages.
pub fn command_output(output: &std::process::Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A directory of its own under the system's temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("lwa-test-{name}-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }

    /// Waits up to 20 s for `file` to hold a pid.
    pub fn pid(&self, file: &str) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(pid) = std::fs::read_to_string(self.path(file))
                .ok()
                .and_then(|text| text.trim().parse().ok())
            {
                return pid;
            }
            assert!(Instant::now() < deadline, "no pid in {file}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub async fn wait_for_output(process: &Process, text: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while !process.output().contains(text) {
        assert!(Instant::now() < deadline, "no {text:?} in the output:\n{}", process.output());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
