//! `lambda-adapter dev` end to end: [`Dev`] starts it with an app behind it (the echo example unless told
//! otherwise), and [`send`], [`open`] and [`frames`] talk to its front door over real sockets, as a browser or
//! curl would; its output and its children's pids are there to watch. [`WsDev`] is `dev` as a WebSocket API,
//! with the Python clients of `tests/ws_support/` to talk to it.

use super::{Process, adapter_base_command, example_binary, free_port, repo_path};
use bytes::Bytes;
use http::response::Parts;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::process::ExitStatus;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Bytes that are not UTF-8, with CR, LF and NUL among them.
pub const BINARY: &[u8] = &[0, 1, 2, 0x80, 0xfe, 0xff, b'\r', b'\n', 0];

/// A whole response.
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Every value of a header, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.headers.get_all(name).iter().map(|v| v.to_str().unwrap().to_string()).collect()
    }
}

/// Sends one request on a fresh connection to `port` and reads the whole answer.
pub async fn send(port: u16, method: &str, target: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let response = open(port, method, target, headers, body).await;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_else(|e| panic!("{method} {target}: body failed: {e}"));
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}

/// Sends a request and returns the response head with its body still unread.
pub async fn open(port: u16, method: &str, target: &str, headers: &[(&str, &str)], body: Vec<u8>) -> http::Response<hyper::body::Incoming> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let mut request = http::Request::builder()
        .method(method)
        .uri(target)
        .header("host", format!("127.0.0.1:{port}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(Bytes::from(body))).unwrap();
    sender
        .send_request(request)
        .await
        .unwrap_or_else(|e| panic!("{method} {target}: {e}"))
}

/// Writes `request` as it is to loopback `port` and reads everything the server sends until it closes the
/// connection (so `request` should say `Connection: close`); the status, and the whole answer as text.
pub async fn raw(port: u16, request: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status line from port {port}: {answer:?}"));
    (status, answer)
}

/// A GET of `target` on loopback `port` with `host` and any `extra` header lines (each ending in CRLF),
/// through [`raw`]; at most 10 s.
pub async fn raw_get(port: u16, target: &str, host: &str, extra: &str) -> (u16, String) {
    let request = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n");
    tokio::time::timeout(Duration::from_secs(10), raw(port, &request))
        .await
        .unwrap_or_else(|_| panic!("GET {target} with Host {host} on {port} got no answer in 10 s"))
}

/// Reads a body frame by frame, with the time each arrived, and how it ended.
pub async fn frames(mut body: hyper::body::Incoming) -> (Vec<(Instant, Bytes)>, Result<(), String>) {
    let mut frames = Vec::new();
    loop {
        match body.frame().await {
            None => return (frames, Ok(())),
            Some(Err(error)) => return (frames, Err(error.to_string())),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    frames.push((Instant::now(), data));
                }
            }
        }
    }
}

/// A running `lambda-adapter dev` with the echo app. Dropping it sends SIGTERM and waits, so that dev stops
/// its children itself: they lead process groups of their own, out of reach of a kill of dev's group.
pub struct Dev {
    pub port: u16,
    process: Process,
}

impl Dev {
    /// Starts `dev` with `flags` before `--` and `env` added, and returns without waiting.
    pub fn spawn(flags: &[&str], env: &[(&str, &str)]) -> Dev {
        let echo = example_binary("echo");
        Dev::spawn_app(&[echo.to_str().unwrap()], flags, env)
    }

    /// Starts `dev` in front of `app` (a command line) with `flags` and `env`; returns without waiting.
    /// Nothing of the test's own adapter settings or AWS environment is passed on ([`adapter_base_command`]):
    /// `dev` uses its fake credentials unless `env` gives some.
    pub fn spawn_app(app: &[&str], flags: &[&str], env: &[(&str, &str)]) -> Dev {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut command = adapter_base_command();
        command.args(["dev", "--listen", &listen]).args(flags).arg("--").args(app);
        command.envs(env.iter().copied()).env("LWA_LOG", "info");
        Dev {
            port,
            process: Process::spawn(command, "dev"),
        }
    }

    /// Starts `dev` in front of `app` and waits for its banner.
    pub async fn start_app(app: &[&str], flags: &[&str], env: &[(&str, &str)]) -> Dev {
        Dev::wait_ready(Dev::spawn_app(app, flags, env)).await
    }

    /// Starts `dev` and waits for its banner.
    pub async fn start(flags: &[&str], env: &[(&str, &str)]) -> Dev {
        Dev::wait_ready(Dev::spawn(flags, env)).await
    }

    async fn wait_ready(dev: Dev) -> Dev {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !dev.output().contains("Ctrl-C stops") {
            assert!(Instant::now() < deadline, "dev did not start:\n{}", dev.output());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        dev
    }

    /// Waits for the front door to accept connections (it serves from the start, before the app is ready).
    pub async fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "the front door never listened:\n{}", self.output());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The port of a loopback address the banner names after `label`: `Runtime API at 127.0.0.1:PORT`.
    fn banner_port(&self, label: &str) -> u16 {
        let output = self.output();
        let rest = output
            .split_once(label)
            .unwrap_or_else(|| panic!("no {label:?} in the banner:\n{output}"))
            .1;
        let rest = rest.strip_prefix("http://").unwrap_or(rest);
        let rest = rest
            .strip_prefix("127.0.0.1:")
            .unwrap_or_else(|| panic!("{label}: not 127.0.0.1 in {rest:?}"));
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().unwrap_or_else(|_| panic!("{label}: no port in {rest:?}"))
    }

    /// The port of dev's embedded Runtime API (and Extensions API), from the banner.
    pub fn runtime_api_port(&self) -> u16 {
        self.banner_port("Runtime API at ")
    }

    /// The port of dev's `@connections` management API, from the banner.
    pub fn management_port(&self) -> u16 {
        self.banner_port("@connections at ")
    }

    /// Everything dev and its children printed so far: banner, request lines, the adapter's log.
    pub fn output(&self) -> String {
        self.process.output()
    }

    /// Waits up to 5 s for `text` in the output.
    pub async fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.output().contains(text) {
            assert!(Instant::now() < deadline, "no {text:?} in the output:\n{}", self.output());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn banner_pid(&self, label: &str) -> u32 {
        let output = self.output();
        let line = output
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no `{label}` line in the banner:\n{output}"));
        line.rsplit("pid ")
            .next()
            .and_then(|rest| rest.trim_end_matches(')').trim().parse().ok())
            .unwrap_or_else(|| panic!("no pid in {line:?}"))
    }

    pub fn app_pid(&self) -> u32 {
        self.banner_pid("app ")
    }

    pub fn adapter_pid(&self) -> u32 {
        self.banner_pid("adapter ")
    }

    pub async fn send(&self, method: &str, target: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
        send(self.port, method, target, headers, body).await
    }

    /// A GET whose body is read frame by frame.
    pub async fn stream(&self, target: &str) -> (Parts, Vec<(Instant, Bytes)>, Result<(), String>) {
        let (parts, body) = open(self.port, "GET", target, &[], vec![]).await.into_parts();
        let (frames, end) = frames(body).await;
        (parts, frames, end)
    }

    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        unsafe { libc::kill(self.process.pid() as libc::pid_t, signal) };
    }

    /// Waits for dev to exit; `None` if it is still running after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.process.wait_exit(timeout)
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        if let Ok(None) = self.process.child.try_wait() {
            self.signal(libc::SIGTERM);
            // If dev does not stop, `Process`'s own drop kills it.
            let _ = self.wait_exit(Duration::from_secs(8));
        }
    }
}

/// `dev` in front of a Python WebSocket app, with its adapter's callback server on a port of its own, so tests
/// can run side by side.
pub struct WsDev {
    pub dev: Dev,
    pub callback_port: u16,
}

impl WsDev {
    /// `dev` in front of `python3 <app>` (`app` relative to the repository).
    pub async fn start(app: &str, flags: &[&str]) -> WsDev {
        let callback_port = free_port();
        let app = repo_path(app);
        let dev = Dev::start_app(&["python3", &app], flags, &[("LWA_WS_CALLBACK_PORT", &callback_port.to_string())]).await;
        WsDev { dev, callback_port }
    }

    /// `dev` in front of `tests/ws_support/dev_app.py`.
    pub async fn test_app(flags: &[&str]) -> WsDev {
        WsDev::start("tests/ws_support/dev_app.py", flags).await
    }

    pub fn url(&self, target: &str) -> String {
        format!("ws://127.0.0.1:{}{target}", self.dev.port)
    }

    /// dev's own management API, as the banner shows it.
    pub fn management_endpoint(&self) -> String {
        let output = self.dev.output();
        let start = output.find("@connections at ").expect("the banner names the @connections API") + 16;
        output[start..].split(')').next().unwrap().to_string()
    }

    /// Runs a Python script from `tests/ws_support/` and parses the JSON it prints.
    pub async fn python(&self, script: &str, args: &[&str]) -> Value {
        let output = tokio::process::Command::new("python3")
            .arg(repo_path(&format!("tests/ws_support/{script}")))
            .args(args)
            .output()
            .await
            .expect("python3 runs (scripts/test.sh installs websockets and boto3)");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{script} {args:?} failed:\n{stdout}\n{}\n--- dev:\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.dev.output()
        );
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{script}: {e}: {stdout}"))
    }

    /// Runs `scenario` of `dev_clients.py` against `target` with `args`.
    pub async fn client(&self, scenario: &str, target: &str, args: &[&str]) -> Value {
        let url = self.url(target);
        let all: Vec<&str> = [scenario, url.as_str()].into_iter().chain(args.iter().copied()).collect();
        self.python("dev_clients.py", &all).await
    }

    /// What the test app has seen, fetched through dev's front door like any page.
    pub async fn seen(&self) -> Vec<Value> {
        let reply = self.dev.send("GET", "/_seen", &[], vec![]).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        serde_json::from_slice(&reply.body).unwrap()
    }

    /// Waits for the app to see the `DISCONNECT` of `id` (it is invoked after the socket has closed).
    pub async fn disconnect_of(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let seen = self.seen().await;
            if let Some(found) = seen.iter().find(|r| r["event"] == "DISCONNECT" && r["connectionId"] == id) {
                return found.clone();
            }
            assert!(Instant::now() < deadline, "no DISCONNECT for {id}: {seen:?}\n{}", self.dev.output());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
