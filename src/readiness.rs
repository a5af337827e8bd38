//! Waiting for the app to be ready.
//!
//! Checks by `GET` on the readiness path (healthy when the status is in the healthy ranges) or by a TCP
//! connect: every millisecond for the first two seconds (most apps are up by then, and each moment between
//! the app listening and the first `next` is cold-start time the user pays), every 5 ms until ten seconds,
//! then every 10 ms. The `GET` goes on the connection the check opened, and everything else the first
//! invocation needs is built before the wait, so once the app answers only the first `next` is left.
//! Checks stay on the runtime's one thread: a connect loop on a blocking thread, which could sleep finer than
//! tokio's 1 ms timer, made the cold start slower, not faster, since handing the open connection back costs a
//! cross-thread wake-up (measured with `cargo bench --bench adapter -- --models N`).
//!
//! While waiting it says why, once a second, so a slow or broken start shows in the log
//! (`GET http://127.0.0.1:8080/health → 500`, `connection refused`) rather than as a silent init timeout.

use http::{Method, Request};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::config::{Config, ReadinessProtocol};
use crate::error::chain;
use hyper_util::rt::TokioIo;

/// The pause between checks, `waited` into the wait: short while a quick start is likely, longer after.
fn interval(waited: Duration) -> Duration {
    match waited.as_millis() {
        0..2_000 => Duration::from_millis(1),
        2_000..10_000 => Duration::from_millis(5),
        _ => Duration::from_millis(10),
    }
}

const REPORT_EVERY: Duration = Duration::from_secs(1);

/// The app did not become ready in time.
#[derive(Debug)]
pub struct NotReady {
    /// What was checked (`GET http://127.0.0.1:8080/health` or `TCP 127.0.0.1:8080`).
    pub target: String,
    /// The last result seen.
    pub last: String,
    pub waited: Duration,
}

/// Checks readiness of the app described by a [`Config`].
pub struct Readiness {
    protocol: ReadinessProtocol,
    address: String,
    path: String,
    healthy: crate::status_ranges::StatusRanges,
}

impl Readiness {
    pub fn new(config: &Config) -> Self {
        Readiness {
            protocol: config.readiness_protocol,
            address: config.readiness_address.to_string(),
            path: config.readiness_path.clone(),
            healthy: config.readiness_healthy_status.clone(),
        }
    }

    /// What is checked, for messages.
    pub fn target(&self) -> String {
        match self.protocol {
            ReadinessProtocol::Http => format!("GET http://{}{}", self.address, self.path),
            ReadinessProtocol::Tcp => format!("TCP connect to {}", self.address),
        }
    }

    /// One check, on a connection to the app that is already open: `Ok` when ready, else what was seen. Each check is a connection of its own:
    /// nothing pooled outlives it, across a SnapStart snapshot either.
    async fn check_on(&self, stream: TcpStream) -> Result<(), String> {
        match self.protocol {
            ReadinessProtocol::Tcp => Ok(()),
            ReadinessProtocol::Http => match tokio::time::timeout(Duration::from_secs(2), self.get(stream)).await {
                Err(_) => Err("no answer within 2 s".into()),
                Ok(Err(error)) => Err(error),
                Ok(Ok(status)) if self.healthy.contains(status) => Ok(()),
                Ok(Ok(status)) => Err(format!("status {status} (healthy: {})", self.healthy)),
            },
        }
    }

    /// `GET` of the readiness path on `stream`; the answer's status.
    async fn get(&self, stream: TcpStream) -> Result<u16, String> {
        let _ = stream.set_nodelay(true);
        // The path and the address were checked at start-up, so this fails only if that check let something
        // through.
        let request = Request::builder()
            .method(Method::GET)
            .uri(&self.path)
            .header(http::header::HOST, &self.address)
            .body(crate::net::body::full(""))
            .map_err(|e| format!("cannot build the readiness request for {}: {e}", self.target()))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| chain(&e))?;
        let mut connection = std::pin::pin!(connection);
        tokio::select! {
            response = sender.send_request(request) => response.map(|r| r.status().as_u16()).map_err(|e| chain(&e)),
            ended = &mut connection => Err(match ended {
                Err(error) => chain(&error),
                Ok(()) => "the connection closed without an answer".into(),
            }),
        }
    }

    /// Checks until ready or until `until` passes.
    pub async fn wait(&self, until: Option<Instant>) -> Result<(), NotReady> {
        let start = Instant::now();
        let mut next_report = start.checked_add(REPORT_EVERY).unwrap_or(start);
        let target = self.target();
        loop {
            let last = match TcpStream::connect(&self.address).await {
                Ok(stream) => match self.check_on(stream).await {
                    Ok(()) => {
                        tracing::info!(waited_ms = start.elapsed().as_millis() as u64, "app is ready ({target})");
                        return Ok(());
                    }
                    Err(last) => last,
                },
                Err(refused) => refused.to_string(),
            };
            let now = Instant::now();
            if until.is_some_and(|until| now >= until) {
                return Err(NotReady {
                    target,
                    last,
                    waited: now.saturating_duration_since(start),
                });
            }
            if now >= next_report {
                tracing::info!("waiting for the app: {target} → {last}");
                next_report = now.checked_add(REPORT_EVERY).unwrap_or(now);
            }
            tokio::time::sleep(interval(now.saturating_duration_since(start))).await;
        }
    }
}
