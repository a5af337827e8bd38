//! Waiting for the app to be ready.
//!
//! Checks by `GET` on the readiness path (healthy when the status is in the healthy ranges) or by a TCP
//! connect: every millisecond for the first two seconds (most apps are up by then, and each millisecond
//! between the app listening and the first `next` is cold-start time the user pays), then every 5 ms, and
//! every 10 ms after ten seconds. While waiting it says why, once a second, so a slow or broken start shows
//! in the log (`GET http://127.0.0.1:8080/health → 500`, `connection refused`) rather than as a silent
//! init timeout.

use http::{Method, Request};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::config::{Config, ReadinessProtocol};
use crate::error::chain;
use crate::net::client::{self as http_client, HttpClient};

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
    url: String,
    healthy: crate::status_ranges::StatusRanges,
    client: HttpClient,
}

impl Readiness {
    pub fn new(config: &Config) -> Self {
        let address = config.readiness_address.to_string();
        Readiness {
            protocol: config.readiness_protocol,
            url: format!("http://{address}{}", config.readiness_path),
            address,
            healthy: config.readiness_healthy_status.clone(),
            client: http_client::client(),
        }
    }

    /// What is checked, for messages.
    pub fn target(&self) -> String {
        match self.protocol {
            ReadinessProtocol::Http => format!("GET {}", self.url),
            ReadinessProtocol::Tcp => format!("TCP connect to {}", self.address),
        }
    }

    /// One check: `Ok` when ready, else what was seen.
    pub async fn check(&self) -> Result<(), String> {
        match self.protocol {
            ReadinessProtocol::Tcp => TcpStream::connect(&self.address).await.map(drop).map_err(|e| e.to_string()),
            ReadinessProtocol::Http => {
                // The path was checked at start-up, so this fails only if that check let something through.
                let request = Request::builder()
                    .method(Method::GET)
                    .uri(&self.url)
                    .body(crate::net::body::full(""))
                    .map_err(|e| format!("cannot build the readiness request for {}: {e}", self.url))?;
                let response = tokio::time::timeout(Duration::from_secs(2), self.client.request(request)).await;
                match response {
                    Err(_) => Err("no answer within 2 s".into()),
                    Ok(Err(error)) => Err(chain(&error)),
                    Ok(Ok(response)) if self.healthy.contains(response.status().as_u16()) => Ok(()),
                    Ok(Ok(response)) => Err(format!("status {} (healthy: {})", response.status().as_u16(), self.healthy)),
                }
            }
        }
    }

    /// Checks until ready or until `until` passes.
    pub async fn wait(&self, until: Option<Instant>) -> Result<(), NotReady> {
        let start = Instant::now();
        let mut next_report = start.checked_add(REPORT_EVERY).unwrap_or(start);
        let target = self.target();
        loop {
            let last = match self.check().await {
                Ok(()) => {
                    tracing::info!(waited_ms = start.elapsed().as_millis() as u64, "app is ready ({target})");
                    return Ok(());
                }
                Err(last) => last,
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
