//! Waiting for the app to be ready.
//!
//! Checks by `GET` on the readiness path (healthy when the status is in the healthy ranges) or by a TCP
//! connect: every millisecond for the first two seconds (most apps are up by then, and each moment between
//! the app listening and the first `next` is cold-start time the user pays), every 5 ms until ten seconds,
//! then every 10 ms. Until the port takes connections the checks are refused connects, made in a loop on
//! one blocking thread: tokio's timer counts whole milliseconds (its 1 ms sleep lasts 1 to 2), and the loop
//! wakes nothing else. Each try is a few system calls and one wake-up, 30 to 50 ms of CPU per second of
//! waiting on a 2-vCPU VM; checking every half millisecond doubled that and did not shorten the cold start
//! measurably, since a fresh connection's first `GET` costs the app more. Once the port accepts, the `GET`
//! goes on that connection.
//!
//! While waiting it says why, once a second, so a slow or broken start shows in the log
//! (`GET http://127.0.0.1:8080/health → 500`, `connection refused`) rather than as a silent init timeout.

use http::{Method, Request};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
            let stop = until.map_or(next_report, |until| until.min(next_report));
            let last = match self.accepting(start, stop).await {
                Ok(stream) => match self.check_on(stream).await {
                    Ok(()) => {
                        tracing::info!(waited_ms = start.elapsed().as_millis() as u64, "app is ready ({target})");
                        return Ok(());
                    }
                    Err(last) => last,
                },
                Err(refused) => refused,
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
            } else {
                // The port accepted but the app is not healthy yet: the next check after the usual pause.
                tokio::time::sleep(interval(now.saturating_duration_since(start)).max(Duration::from_millis(1))).await;
            }
        }
    }

    /// Connects to the app's port until it accepts (the open connection) or `stop` passes (the last error),
    /// on a blocking thread, pausing [`interval`] between tries (`start` is when the wait began).
    async fn accepting(&self, start: Instant, stop: Instant) -> Result<TcpStream, String> {
        let address = self.address.clone();
        let abandoned = Abandoned::default();
        let flag = abandoned.0.clone();
        let (start, stop) = (start.into_std(), stop.into_std());
        let tries = tokio::task::spawn_blocking(move || {
            // Resolved once per call: a name (`localhost`) is not looked up again every half millisecond.
            let addresses: Vec<SocketAddr> = address.to_socket_addrs().map_err(|e| e.to_string())?.collect();
            loop {
                let mut last = format!("{address} has no address");
                for to in &addresses {
                    match std::net::TcpStream::connect_timeout(to, Duration::from_secs(2)) {
                        Ok(stream) => return Ok(stream),
                        Err(error) => last = error.to_string(),
                    }
                }
                let now = std::time::Instant::now();
                if now >= stop || flag.load(Ordering::Relaxed) {
                    return Err(last);
                }
                std::thread::sleep(interval(now.saturating_duration_since(start)).min(stop.saturating_duration_since(now)));
            }
        });
        let stream = tries.await.map_err(|e| format!("the readiness check stopped: {e}"))??;
        drop(abandoned);
        stream.set_nonblocking(true).map_err(|e| e.to_string())?;
        TcpStream::from_std(stream).map_err(|e| e.to_string())
    }
}

/// Tells the blocking connect loop that nobody waits for it any more (the wait was dropped).
#[derive(Default)]
struct Abandoned(Arc<AtomicBool>);

impl Drop for Abandoned {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
