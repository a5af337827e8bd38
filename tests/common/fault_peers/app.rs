//! An app speaking raw TCP that misbehaves on the paths of [`AppFault`] and answers everything else properly
//! (the readiness check included), recording what it received.

use super::lock;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

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
