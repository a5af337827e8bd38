//! Waiting for the app to be ready.
//!
//! Checks by `GET` on the readiness path (healthy when the status is in the healthy ranges) or by a TCP
//! connect: every millisecond for the first two seconds (most apps are up by then, and each moment between
//! the app listening and the first `next` is cold-start time the user pays), every 5 ms until ten seconds,
//! then every 10 ms. The `GET` goes on the connection the check opened, and everything else the first
//! invocation needs is built before the wait, so once the app answers only the first `next` is left.
//! Checks stay on the runtime's one thread: a connect loop on a blocking thread made the cold start slower,
//! not faster, since handing the open connection back costs a cross-thread wake-up. They are spaced by a
//! `timerfd` ([`Ticks`]): tokio's sleeps, rounded up to its millisecond wheel, spaced them 1 to 2 ms apart, and
//! the app listening → first `next` median went from 1.45 to 1.06 ms (`cargo bench --bench adapter -- --models 3`).
//! A finer period would cost the app CPU while it starts, on a function's fraction of a vCPU.
//!
//! While waiting it says why, once a second, so a slow or broken start shows in the log
//! (`GET http://127.0.0.1:8080/health → 500`, `connection refused`) rather than as a silent init timeout.

use http::{Method, Request};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::config::{Config, ReadinessProtocol};
use crate::error::chain;
use crate::status_ranges::StatusRanges;
use crate::ticks::Ticks;
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
/// The longest a connect, and then the `GET`'s answer, may take before the check counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The app did not become ready in time.
#[derive(Debug)]
pub(crate) struct NotReady {
    /// What was checked (`GET http://127.0.0.1:8080/health` or `TCP 127.0.0.1:8080`).
    pub target: String,
    /// The last result seen.
    pub last: CheckFailed,
    pub waited: Duration,
}

/// Why one check did not find the app ready, as the log shows it (`connection refused`, `status 500 ...`).
#[derive(Debug)]
pub(crate) enum CheckFailed {
    /// The connect failed.
    Connect(std::io::Error),
    /// The connect took longer than [`CHECK_TIMEOUT`].
    NoConnection,
    /// The `GET`'s answer took longer than [`CHECK_TIMEOUT`].
    NoAnswer,
    /// The app answered outside the healthy ranges.
    Unhealthy { status: u16, healthy: StatusRanges },
    /// The readiness request could not be built for `target` (the start-up checks should prevent it).
    Request { target: String, source: http::Error },
    /// The HTTP exchange failed.
    Exchange(hyper::Error),
}

impl fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckFailed::Connect(e) => e.fmt(f),
            CheckFailed::NoConnection => f.write_str("no connection within 2 s"),
            CheckFailed::NoAnswer => f.write_str("no answer within 2 s"),
            CheckFailed::Unhealthy { status, healthy } => write!(f, "status {status} (healthy: {healthy})"),
            CheckFailed::Request { target, source } => write!(f, "cannot build the readiness request for {target}: {source}"),
            CheckFailed::Exchange(e) => f.write_str(&chain(e)),
        }
    }
}

impl std::error::Error for CheckFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckFailed::Connect(e) => Some(e),
            CheckFailed::Request { source, .. } => Some(source),
            CheckFailed::Exchange(e) => Some(e),
            CheckFailed::NoConnection | CheckFailed::NoAnswer | CheckFailed::Unhealthy { .. } => None,
        }
    }
}

/// Checks readiness of the app described by a [`Config`].
pub(crate) struct Readiness {
    protocol: ReadinessProtocol,
    address: String,
    /// `address` when it is an IP address and port, connected to without resolving ([`quick_connect`]).
    socket_address: Option<SocketAddr>,
    path: String,
    healthy: StatusRanges,
}

impl Readiness {
    pub(crate) fn new(config: &Config) -> Self {
        Readiness {
            protocol: config.readiness_protocol,
            address: config.readiness_address.to_string(),
            socket_address: config.readiness_address.as_str().parse().ok(),
            path: config.readiness_path.clone(),
            healthy: config.readiness_healthy_status.clone(),
        }
    }

    /// What is checked, for messages.
    pub(crate) fn target(&self) -> String {
        match self.protocol {
            ReadinessProtocol::Http => format!("GET http://{}{}", self.address, self.path),
            ReadinessProtocol::Tcp => format!("TCP connect to {}", self.address),
        }
    }

    /// One check, on a connection to the app that is already open: `Ok` when ready, else what was seen. Each
    /// check is a connection of its own: nothing pooled outlives it, across a SnapStart snapshot either.
    async fn check_on(&self, stream: TcpStream) -> Result<(), CheckFailed> {
        match self.protocol {
            ReadinessProtocol::Tcp => Ok(()),
            ReadinessProtocol::Http => match tokio::time::timeout(CHECK_TIMEOUT, self.get(stream)).await {
                Err(_) => Err(CheckFailed::NoAnswer),
                Ok(Err(error)) => Err(error),
                Ok(Ok(status)) if self.healthy.contains(status) => Ok(()),
                Ok(Ok(status)) => Err(CheckFailed::Unhealthy {
                    status,
                    healthy: self.healthy.clone(),
                }),
            },
        }
    }

    /// A connection to the app. A connect that hangs (a host that drops packets) counts as a failed check
    /// after 2 s.
    async fn connect(&self) -> Result<TcpStream, CheckFailed> {
        let Some(address) = self.socket_address else {
            return match tokio::time::timeout(CHECK_TIMEOUT, TcpStream::connect(&self.address)).await {
                Ok(Ok(stream)) => Ok(stream),
                Ok(Err(refused)) => Err(CheckFailed::Connect(refused)),
                Err(_) => Err(CheckFailed::NoConnection),
            };
        };
        let stream = match quick_connect(address) {
            Ok(Connect::Settled(stream)) => return TcpStream::from_std(stream).map_err(CheckFailed::Connect),
            Ok(Connect::Pending(stream)) => TcpStream::from_std(stream).map_err(CheckFailed::Connect)?,
            Err(refused) => return Err(CheckFailed::Connect(refused)),
        };
        match tokio::time::timeout(CHECK_TIMEOUT, stream.writable()).await {
            Err(_) => Err(CheckFailed::NoConnection),
            Ok(Err(error)) => Err(CheckFailed::Connect(error)),
            Ok(Ok(())) => match stream.take_error() {
                Ok(None) => Ok(stream),
                Ok(Some(error)) | Err(error) => Err(CheckFailed::Connect(error)),
            },
        }
    }

    /// `GET` of the readiness path on `stream`; the answer's status.
    async fn get(&self, stream: TcpStream) -> Result<u16, CheckFailed> {
        let _ = stream.set_nodelay(true);
        // The path and the address were checked at start-up, so this fails only if that check let something
        // through.
        let request = Request::builder()
            .method(Method::GET)
            .uri(&self.path)
            .header(http::header::HOST, &self.address)
            .body(crate::net::body::full(""))
            .map_err(|source| CheckFailed::Request {
                target: self.target(),
                source,
            })?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(CheckFailed::Exchange)?;
        // The connection runs on its own, so that an app closing it right after answering (HTTP/1.0, or
        // `Connection: close`) still has its answer read; aborting it closes the check's connection.
        let connection = tokio::spawn(connection);
        let answer = sender.send_request(request).await;
        connection.abort();
        answer.map(|response| response.status().as_u16()).map_err(CheckFailed::Exchange)
    }

    /// Checks until ready or until `until` passes.
    pub(crate) async fn wait(&self, until: Option<Instant>) -> Result<(), NotReady> {
        let start = Instant::now();
        let mut next_report = start.checked_add(REPORT_EVERY).unwrap_or(start);
        // Checks come on a fixed schedule finer than tokio's timer ([`Ticks`]).
        let mut ticks = Ticks::new(interval(Duration::ZERO));
        let target = self.target();
        loop {
            let last = match self.connect().await {
                Ok(stream) => match self.check_on(stream).await {
                    Ok(()) => {
                        tracing::info!(waited_ms = start.elapsed().as_millis() as u64, "app is ready ({target})");
                        return Ok(());
                    }
                    Err(last) => last,
                },
                Err(failed) => failed,
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
            ticks.set_period(interval(now.saturating_duration_since(start)));
            ticks.tick().await;
        }
    }
}

/// A connect begun without the runtime's reactor.
enum Connect {
    /// Connected when the call returned.
    Settled(std::net::TcpStream),
    /// Still in progress: the reactor waits for it.
    Pending(std::net::TcpStream),
}

/// Starts a non-blocking connect to `address` and looks at once whether it settled. To a port on this machine
/// the kernel has refused or accepted it before `connect` returns, so a check while the app starts costs a
/// socket, a connect and a look at its error, rather than also a registration with the reactor, a wait and
/// a timer for the timeout (eleven system calls per check down to four, `strace`; with the wait for the next
/// tick, six).
fn quick_connect(address: SocketAddr) -> std::io::Result<Connect> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(address), Type::STREAM.nonblocking(), Some(Protocol::TCP))?;
    match socket.connect(&address.into()) {
        Ok(()) => return Ok(Connect::Settled(socket.into())),
        Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(error) => return Err(error),
    }
    if let Some(error) = socket.take_error()? {
        return Err(error);
    }
    Ok(match socket.peer_addr() {
        Ok(_) => Connect::Settled(socket.into()),
        Err(_) => Connect::Pending(socket.into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn readiness(port: u16, path: &str) -> Readiness {
        let port = port.to_string();
        let mut settings = Settings::new(crate::config::lookup(&[("LWA_PORT", &port), ("LWA_READINESS_CHECK_PATH", path)]));
        Readiness::new(&Config::from_settings(&mut settings).unwrap())
    }

    /// An app that answers each connection's request with the next of `statuses`, and sends back the request
    /// heads it read.
    async fn app(statuses: &'static [u16]) -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (heads, seen) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            for status in statuses {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.ends_with(b"\r\n\r\n") {
                    let n = stream.read(&mut buf).await.unwrap();
                    assert!(n > 0, "the check closed before its request head ended");
                    head.extend_from_slice(&buf[..n]);
                }
                heads.send(String::from_utf8(head).unwrap()).unwrap();
                let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
                stream.write_all(answer.as_bytes()).await.unwrap();
            }
        });
        (port, seen)
    }

    #[tokio::test]
    async fn gets_the_path_in_origin_form_with_the_host_until_a_healthy_status() {
        let (port, mut seen) = app(&[503, 200]).await;
        let readiness = readiness(port, "/health?deep=1");
        readiness.wait(Some(Instant::now() + Duration::from_secs(10))).await.unwrap();
        for _ in 0..2 {
            let head = seen.recv().await.unwrap();
            assert!(head.starts_with("GET /health?deep=1 HTTP/1.1\r\n"), "{head}");
            assert!(head.to_lowercase().contains(&format!("\r\nhost: 127.0.0.1:{port}\r\n")), "{head}");
        }
    }

    #[tokio::test]
    async fn a_port_that_refuses_fails_the_wait_with_what_was_seen() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let not_ready = readiness(port, "/")
            .wait(Some(Instant::now() + Duration::from_millis(50)))
            .await
            .unwrap_err();
        assert_eq!(not_ready.target, format!("GET http://127.0.0.1:{port}/"));
        assert!(not_ready.last.to_string().to_lowercase().contains("refused"), "{}", not_ready.last);
    }

    #[tokio::test]
    async fn an_unhealthy_status_is_what_was_seen() {
        let (port, _seen) = app(&[500, 500, 500, 500, 500, 500, 500, 500, 500, 500]).await;
        let not_ready = readiness(port, "/")
            .wait(Some(Instant::now() + Duration::from_millis(5)))
            .await
            .unwrap_err();
        assert!(
            not_ready.last.to_string().starts_with("status 500 (healthy: "),
            "{}",
            not_ready.last
        );
    }
}
