//! The one accept loop behind every server the adapter and `dev` run: the `@connections` callback server,
//! `dev`'s front door, its management API and its embedded Runtime API.
//!
//! Each connection gets TCP_NODELAY (small writes, such as a streamed chunk, leave at once) and its own task;
//! an accept error (out of file descriptors, say) is logged and retried after a pause instead of spinning or
//! ending the server.
//!
//! A client that opens a connection and sends nothing, or half a request, must not hold the server's
//! resources forever, nor keep anyone else waiting. So every server has the same limits, set here:
//! - [`HEADER_READ_TIMEOUT`]: a request head not complete this long after the connection became ready for
//!   it (opened, or done with its previous request) closes the connection. This is also how long an idle
//!   kept-alive connection stays open.
//! - [`MAX_CONNECTIONS`] at once per server (plus those it holds by design, [`cap_with`]). A connection is
//!   *idle* when it has no request in progress: just opened and still sending its head, or kept alive
//!   between requests. When a new connection finds every place taken, the connection idle the longest is
//!   closed to make room, once it has been idle for [`EVICTABLE_AFTER`]; so a crowd of slow clients delays a
//!   normal one by a quarter of a second at most, while a burst of normal clients, whose heads the server
//!   reads at once, is never cut: they wait for a place. A request in progress (its body still streaming, a
//!   long-poll, a WebSocket upgrade) is never cut by this.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
use tokio::time::Instant;

use super::body::BoxError;

/// How long a client has to send a whole request head, and how long a kept-alive connection may sit idle.
/// Every client of these servers is on the same machine (a browser, curl, an SDK, the adapter) and sends its
/// head in well under a millisecond; 10 s leaves room for a stalled debugger or a loaded laptop while a
/// connection that sends nothing is gone quickly. Idle connections a client keeps in its pool are closed
/// after it too, which clients expect (Node.js closes them after 5 s, hyper's pool after 90 s).
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request body may go without a byte where a server reads it whole before answering (`dev`'s
/// front door, its `@connections` API): 408 then. Chosen as [`HEADER_READ_TIMEOUT`], for the same reasons;
/// a request in progress is never evicted to make room, so a stalled upload must end by itself.
pub(crate) const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections one server holds at once, besides those it holds by design (see [`cap_with`]). `dev` runs
/// three servers in one process, so 3 × 256 file descriptors stay under the common soft limit of 1,024; one
/// local user needs far fewer (a browser opens six per host).
pub(crate) const MAX_CONNECTIONS: usize = 256;

/// The cap of a server that, by design, holds `held` connections with a request in progress: `dev`'s
/// Runtime API holds a `next` long-poll and a response post per concurrent invocation, and its front door a
/// request per invocation. Those come on top of [`MAX_CONNECTIONS`], so that `--concurrency 1024` does not
/// starve the adapter of connections.
pub(crate) fn cap_with(held: usize) -> usize {
    MAX_CONNECTIONS.saturating_add(held)
}

/// How long a connection must have been idle before it may be closed to make room: long enough for a client
/// that has just connected to send its head and for the server to read it, even on a loaded machine; short
/// enough that a client waiting for the place does not notice.
pub(crate) const EVICTABLE_AFTER: Duration = Duration::from_millis(250);

/// Serves `listener` with `handler` until the task is dropped, holding at most [`MAX_CONNECTIONS`]
/// connections; `name` labels the log lines.
pub(crate) async fn accept_loop<H, F, B>(listener: TcpListener, name: &'static str, handler: H)
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    accept_loop_capped(listener, name, MAX_CONNECTIONS, handler).await;
}

/// [`accept_loop`] holding at most `cap` connections ([`cap_with`]).
pub(crate) async fn accept_loop_capped<H, F, B>(listener: TcpListener, name: &'static str, cap: usize, handler: H)
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let slots = Arc::new(Semaphore::new(cap.max(1)));
    let open = Arc::new(Mutex::new(Open::default()));
    let epoch = Instant::now();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!("{name}: accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let permit = loop {
            if let Ok(permit) = slots.clone().try_acquire_owned() {
                break permit;
            }
            let (evicted, retry_in) = lock(&open).make_room(Instant::now());
            if evicted {
                tracing::debug!("{name}: {cap} connections open; the one idle the longest is closed");
            }
            tokio::select! {
                permit = slots.clone().acquire_owned() => match permit {
                    Ok(permit) => break permit,
                    Err(_) => return,
                },
                () = tokio::time::sleep(retry_in) => {}
            }
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let activity = Arc::new(Activity::new(epoch));
        let (evict, evicted) = oneshot::channel();
        let registration = Registration {
            id: lock(&open).add(activity.clone(), evict),
            open: open.clone(),
        };
        tokio::spawn(async move {
            let _permit = permit;
            let _registration = registration;
            let in_progress = activity.clone();
            let service = service_fn(move |request| {
                let busy = Busy::start(&activity);
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
                    if in_progress.idle_for(Instant::now()).is_some() {
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

/// What the server knows of a connection's use: its requests in progress, and since when it is idle.
struct Activity {
    /// Requests in progress, each from its head until its response body is sent or dropped.
    requests: AtomicUsize,
    /// When the connection last became idle (opened, or its last request ended), in µs after `epoch`.
    idle_since: AtomicU64,
    epoch: Instant,
}

impl Activity {
    fn new(epoch: Instant) -> Activity {
        let activity = Activity {
            requests: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            epoch,
        };
        activity.mark_idle();
        activity
    }

    fn mark_idle(&self) {
        let micros = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.idle_since.store(micros, Ordering::Release);
    }

    /// How long the connection has been idle at `now`; `None` while a request is in progress.
    fn idle_for(&self, now: Instant) -> Option<Duration> {
        if self.requests.load(Ordering::Acquire) > 0 {
            return None;
        }
        let since = self
            .epoch
            .checked_add(Duration::from_micros(self.idle_since.load(Ordering::Acquire)))?;
        Some(now.saturating_duration_since(since))
    }
}

/// A server's open connections, oldest first.
#[derive(Default)]
struct Open {
    next: u64,
    connections: BTreeMap<u64, (Arc<Activity>, oneshot::Sender<()>)>,
}

impl Open {
    fn add(&mut self, activity: Arc<Activity>, evict: oneshot::Sender<()>) -> u64 {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.connections.insert(id, (activity, evict));
        id
    }

    /// Tells the connection idle the longest to close, if it has been idle for [`EVICTABLE_AFTER`]. Returns
    /// whether one was told, and when to look again if no place has come free by then.
    fn make_room(&mut self, now: Instant) -> (bool, Duration) {
        let longest = self
            .connections
            .iter()
            .filter_map(|(id, (activity, _))| Some((activity.idle_for(now)?, *id)))
            .max_by_key(|(idle, _)| *idle);
        match longest {
            Some((idle, id)) if idle >= EVICTABLE_AFTER => {
                if let Some((_, evict)) = self.connections.remove(&id) {
                    let _ = evict.send(());
                }
                // It closes at once, unless a request started meanwhile: then it finishes that first.
                (true, EVICTABLE_AFTER)
            }
            Some((idle, _)) => (false, EVICTABLE_AFTER.saturating_sub(idle)),
            None => (false, EVICTABLE_AFTER),
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
struct Busy(Arc<Activity>);

impl Busy {
    fn start(activity: &Arc<Activity>) -> Busy {
        activity.requests.fetch_add(1, Ordering::AcqRel);
        Busy(activity.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if self.0.requests.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.mark_idle();
        }
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
