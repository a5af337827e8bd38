//! An app that answers with exactly the bytes a test gives ([`RawApp`]: no framework tidies a response head
//! up), and the real adapter between it and the embedded emulator ([`Rig`]).

use super::{Process, adapter_command, bytes, describe};
use lambda_adapter::dev::emulator::{Emulator, ErrorReport, FunctionInfo, Outcome};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What [`RawApp`] answers on a path: the bytes of a whole response, or a 500 head followed by as much body
/// as the reader takes.
#[derive(Clone)]
pub enum Raw {
    Bytes(&'static [u8]),
    EndlessError,
}

/// A raw-TCP app that answers each listed path with exactly the bytes given (no framework tidies them up),
/// every other path with 200 and the request head it read as the body, one request per connection.
pub struct RawApp {
    pub port: u16,
    pub heads: Arc<Mutex<Vec<String>>>,
}

impl RawApp {
    pub async fn start(routes: &[(&'static str, Raw)]) -> RawApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (seen, routes) = (heads.clone(), routes.to_vec());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let (seen, routes) = (seen.clone(), routes.clone());
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    let mut head = String::new();
                    loop {
                        let mut line = String::new();
                        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push_str(&line);
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let length = head
                        .lines()
                        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    let mut body = vec![0; length];
                    let _ = stream.read_exact(&mut body).await;
                    let target = head.split(' ').nth(1).unwrap_or("").to_string();
                    seen.lock().unwrap().push(head.clone());
                    let stream = stream.get_mut();
                    match routes.iter().find(|(path, _)| *path == target).map(|(_, raw)| raw.clone()) {
                        Some(Raw::Bytes(bytes)) => {
                            let _ = stream.write_all(bytes).await;
                        }
                        Some(Raw::EndlessError) => {
                            let head = "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 1073741824\r\n\r\n";
                            let _ = stream.write_all(head.as_bytes()).await;
                            let chunk = vec![b'x'; 1 << 20];
                            for _ in 0..1024 {
                                if stream.write_all(&chunk).await.is_err() {
                                    break;
                                }
                            }
                        }
                        None => {
                            let answer = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{head}",
                                head.len()
                            );
                            let _ = stream.write_all(answer.as_bytes()).await;
                        }
                    }
                    let _ = stream.shutdown().await;
                });
            }
        });
        RawApp { port, heads }
    }

    /// The request heads the app read for `path`, the readiness check's left out.
    pub fn heads_for(&self, path: &str) -> Vec<String> {
        let prefix = format!(" {path} ");
        self.heads.lock().unwrap().iter().filter(|h| h.contains(&prefix)).cloned().collect()
    }
}

/// The real adapter between the embedded emulator and a [`RawApp`].
pub struct Rig {
    pub emulator: Emulator,
    pub app: RawApp,
    pub adapter: Process,
}

impl Rig {
    pub async fn start(routes: &[(&'static str, Raw)], env: &[(&str, &str)]) -> Rig {
        let emulator = Emulator::start(([127, 0, 0, 1], 0).into(), FunctionInfo::default()).await.unwrap();
        let app = RawApp::start(routes).await;
        let adapter = Process::spawn(adapter_command(&emulator.runtime_api(), app.port, env), "adapter");
        if tokio::time::timeout(Duration::from_secs(20), emulator.wait_polling())
            .await
            .is_err()
        {
            panic!("the adapter never polled; its log:\n{}", adapter.output());
        }
        Rig { emulator, app, adapter }
    }

    pub async fn invoke(&self, event: &Value) -> Outcome {
        match self.emulator.invoke(bytes(event), Duration::from_secs(20)).await {
            Ok(outcome) => outcome,
            Err(error) => panic!("{error:?}; log:\n{}", self.adapter.output()),
        }
    }

    pub async fn document(&self, event: &Value) -> Value {
        match self.invoke(event).await {
            Outcome::Response(payload) => serde_json::from_slice(&payload).unwrap(),
            outcome => panic!("expected a document, got {}; log:\n{}", describe(&outcome), self.adapter.output()),
        }
    }

    pub async fn fails(&self, event: &Value) -> ErrorReport {
        match self.invoke(event).await {
            Outcome::Error(report) => report,
            outcome => panic!("expected an error, got {}; log:\n{}", describe(&outcome), self.adapter.output()),
        }
    }
}
