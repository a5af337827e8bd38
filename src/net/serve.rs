//! The one accept loop behind every server the adapter and `dev` run: the `@connections` callback server,
//! `dev`'s front door, its management API and its embedded Runtime API.
//!
//! Each connection gets TCP_NODELAY (small writes, such as a streamed chunk, leave at once) and its own task;
//! an accept error (out of file descriptors, say) is logged and retried after a pause instead of spinning or
//! ending the server.
//!
//! A client that opens a connection and sends nothing, or half a request, must not hold the server's
//! resources forever, nor keep anyone else waiting. So every server has the same two limits, set here:
//! - [`HEADER_READ_TIMEOUT`]: a request head not complete this long after the connection became ready for
//!   it (opened, or done with its previous request) closes the connection. This is also how long an idle
//!   kept-alive connection stays open.
//! - [`MAX_CONNECTIONS`] at once per server. When a new connection finds them all taken, the oldest *idle*
//!   one (no request in progress: still sending its head, or kept alive between requests) is closed to make
//!   room, so a crowd of slow clients never delays a normal one; only when every connection has a request in
//!   progress does the new one wait for the first to end. A request in progress (its body still streaming,
//!   a long-poll, a WebSocket upgrade) is never cut by this.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};

use super::body::BoxError;

/// How long a client has to send a whole request head, and how long a kept-alive connection may sit idle.
/// Every client of these servers is on the same machine (a browser, curl, an SDK, the adapter) and sends its
/// head in well under a millisecond; 10 s leaves room for a stalled debugger or a loaded laptop while a
/// connection that sends nothing is gone quickly. Idle connections a client keeps in its pool are closed
/// after it too, which clients expect (Node.js closes them after 5 s, hyper's pool after 90 s).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request body may go without a byte where a server reads it whole before answering (`dev`'s
/// front door, its `@connections` API): 408 then. Chosen as [`HEADER_READ_TIMEOUT`], for the same reasons;
/// a request in progress is never evicted to make room, so a stalled upload must end by itself.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections one server holds at once. `dev` runs three servers in one process, so 3 × 256 file
/// descriptors stay under the common soft limit of 1,024; one local user needs far fewer (a browser opens
/// six per host).
pub const MAX_CONNECTIONS: usize = 256;

/// Serves `listener` with `handler` until the task is dropped; `name` labels the log lines.
pub async fn accept_loop<H, F, B>(listener: TcpListener, name: &'static str, handler: H)
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let open = Arc::new(Mutex::new(Open::default()));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!("{name}: accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if lock(&open).evict_oldest_idle() {
                    tracing::debug!("{name}: {MAX_CONNECTIONS} connections open; the oldest idle one is closed");
                } else {
                    tracing::debug!("{name}: {MAX_CONNECTIONS} requests in progress; a new connection waits");
                }
                match slots.clone().acquire_owned().await {
                    Ok(permit) => permit,
                    Err(_) => return,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let requests = Arc::new(AtomicUsize::new(0));
        let (evict, evicted) = oneshot::channel();
        let registration = Registration {
            id: lock(&open).add(requests.clone(), evict),
            open: open.clone(),
        };
        tokio::spawn(async move {
            let _permit = permit;
            let _registration = registration;
            let in_progress = requests.clone();
            let service = service_fn(move |request| {
                let busy = Busy::start(&requests);
                let response = handler(request, peer);
                async move {
                    let response = response.await;
                    Ok::<_, Infallible>(response.map(|body| Tracked {
                        body: Box::pin(body),
                        _busy: busy,
                    }))
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                Ok(()) = evicted => {
                    if in_progress.load(Ordering::Acquire) == 0 {
                        return;
                    }
                    // A request started meanwhile: it finishes, then the connection closes.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                tracing::debug!("{name}: connection ended: {error}");
            }
        });
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A server's open connections, oldest first, with how many requests each has in progress.
#[derive(Default)]
struct Open {
    next: u64,
    connections: BTreeMap<u64, (Arc<AtomicUsize>, oneshot::Sender<()>)>,
}

impl Open {
    fn add(&mut self, requests: Arc<AtomicUsize>, evict: oneshot::Sender<()>) -> u64 {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.connections.insert(id, (requests, evict));
        id
    }

    /// Tells the oldest connection with no request in progress to close; false when there is none.
    fn evict_oldest_idle(&mut self) -> bool {
        let idle = self
            .connections
            .iter()
            .find(|(_, (requests, _))| requests.load(Ordering::Acquire) == 0)
            .map(|(id, _)| *id);
        match idle.and_then(|id| self.connections.remove(&id)) {
            Some((_, evict)) => {
                let _ = evict.send(());
                true
            }
            None => false,
        }
    }
}

/// Takes a connection off the list when its task ends.
struct Registration {
    id: u64,
    open: Arc<Mutex<Open>>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&self.open).connections.remove(&self.id);
    }
}

/// One request in progress on a connection, from its head until its response body is done or dropped.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn start(requests: &Arc<AtomicUsize>) -> Busy {
        requests.fetch_add(1, Ordering::AcqRel);
        Busy(requests.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted as in progress until it is sent.
struct Tracked<B> {
    body: Pin<Box<B>>,
    _busy: Busy,
}

impl<B: Body> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        self.body.as_mut().poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
