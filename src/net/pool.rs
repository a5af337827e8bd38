//! Keep-alive HTTP/1.1 connections to one peer: the app, or the Runtime API.
//!
//! Each peer is one fixed address, so the pool is a stack of idle connections and nothing else: no key to
//! hash, no per-request lookup, no task spawned to watch a connection come back. hyper-util's general client
//! did all three for every call, and with three calls per invocation (`next`, the app's request, the post)
//! it was the adapter's largest cost after the event's translation (callgrind: some 40,000 instructions per
//! invocation). A connection goes back on the stack when its response body has ended, is taken again only
//! once hyper says it is ready for another request, and is dropped when idle longer than the pool's idle
//! timeout. As hyper-util's pool did, a request that a pooled connection closed before sending goes once
//! more on a new connection; anything later is the caller's to judge ([`super::app_client`]).

use bytes::Bytes;
use http::header::HOST;
use http::{HeaderValue, Request, Response, Uri};
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

use super::body::Body;

/// How long a connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The pool's settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    /// How long an idle connection may be reused.
    pub idle_timeout: Duration,
    /// How many idle connections are kept.
    pub max_idle: usize,
    /// Header lines a response head may have; `None` keeps hyper's default of 100, which hyper reads without
    /// setting room aside (a limit makes it allocate and fill room for that many headers on every response).
    pub max_headers: Option<usize>,
}

/// Connections to one peer, shared by clones.
#[derive(Clone)]
pub(crate) struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    /// `host:port`, as connected to.
    address: String,
    /// The `Host` header for requests that carry none.
    host: Option<HeaderValue>,
    settings: Settings,
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    sender: SendRequest<Body>,
    since: Instant,
}

/// Why a request got no response head.
#[derive(Debug)]
pub(crate) enum PoolError {
    /// No TCP connection to the peer.
    Connect { address: String, source: std::io::Error },
    /// The connect took longer than [`CONNECT_TIMEOUT`].
    ConnectTimeout { address: String },
    /// The HTTP exchange failed: the handshake, the request, or the response head.
    Http(hyper::Error),
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Connect { address, .. } => write!(f, "cannot connect to {address}"),
            PoolError::ConnectTimeout { address } => write!(f, "no connection to {address} within 5 s"),
            PoolError::Http(_) => f.write_str("the HTTP exchange failed"),
        }
    }
}

impl std::error::Error for PoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PoolError::Connect { source, .. } => Some(source),
            PoolError::ConnectTimeout { .. } => None,
            PoolError::Http(error) => Some(error),
        }
    }
}

impl Pool {
    /// A pool of connections to `address` (`host:port`).
    pub(crate) fn new(address: &str, settings: Settings) -> Self {
        Pool {
            inner: Arc::new(Inner {
                address: address.to_string(),
                host: HeaderValue::from_str(address).ok(),
                settings,
                idle: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Sends `request` (its URI's path and query; the pool's address is where it goes) on an idle connection
    /// when there is one, else on a new one, and returns the response head.
    pub(crate) async fn request(&self, request: Request<Body>) -> Result<Response<PooledBody>, PoolError> {
        let mut request = self.prepare(request);
        while let Some(mut sender) = self.checkout().await {
            match sender.try_send_request(request).await {
                Ok(response) => return Ok(self.wrap(response, sender)),
                // Closed before the request went out: nothing was sent, so it may go on another connection.
                Err(mut failed) => match failed.take_message() {
                    Some(unsent) => request = unsent,
                    None => return Err(PoolError::Http(failed.into_error())),
                },
            }
        }
        self.send_fresh(request).await
    }

    /// Sends `request` on a new connection, whatever is idle: for a replay after a pooled connection turned
    /// out dead, when the other idle ones may be dead too.
    pub(crate) async fn request_fresh(&self, request: Request<Body>) -> Result<Response<PooledBody>, PoolError> {
        let request = self.prepare(request);
        self.send_fresh(request).await
    }

    async fn send_fresh(&self, request: Request<Body>) -> Result<Response<PooledBody>, PoolError> {
        let mut sender = self.connect().await?;
        let response = sender.send_request(request).await.map_err(PoolError::Http)?;
        Ok(self.wrap(response, sender))
    }

    /// The request as it goes on the wire: origin-form target, and a `Host` header when it has none.
    fn prepare(&self, mut request: Request<Body>) -> Request<Body> {
        if let Some(host) = &self.inner.host
            && !request.headers().contains_key(HOST)
        {
            request.headers_mut().insert(HOST, host.clone());
        }
        let uri = std::mem::take(request.uri_mut());
        *request.uri_mut() = origin_form(uri);
        request
    }

    /// The most recently idle connection that is still usable, once it is ready for a request.
    async fn checkout(&self) -> Option<SendRequest<Body>> {
        loop {
            let Idle { mut sender, since } = self.inner.idle.lock().ok()?.pop()?;
            if since.elapsed() >= self.inner.settings.idle_timeout || sender.is_closed() {
                continue;
            }
            // A connection given back as its body ended is ready once hyper has seen the end too.
            if sender.is_ready() || sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    async fn connect(&self) -> Result<SendRequest<Body>, PoolError> {
        let address = &self.inner.address;
        let stream = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address.as_str())).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(source)) => {
                return Err(PoolError::Connect {
                    address: address.clone(),
                    source,
                });
            }
            Err(_) => return Err(PoolError::ConnectTimeout { address: address.clone() }),
        };
        // Small writes (a streaming prelude, an SSE event) leave at once rather than after a delayed ACK.
        stream.set_nodelay(true).map_err(|source| PoolError::Connect {
            address: address.clone(),
            source,
        })?;
        let mut builder = http1::Builder::new();
        if let Some(max_headers) = self.inner.settings.max_headers {
            builder.max_headers(max_headers);
        }
        let (sender, connection) = builder.handshake(TokioIo::new(stream)).await.map_err(PoolError::Http)?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!("connection ended: {error}");
            }
        });
        Ok(sender)
    }

    fn wrap(&self, response: Response<Incoming>, sender: SendRequest<Body>) -> Response<PooledBody> {
        let home = Home {
            sender,
            pool: self.inner.clone(),
        };
        response.map(|body| PooledBody { body, home: Some(home) })
    }
}

/// `uri` without scheme and authority: `/path?query`, or `/`.
fn origin_form(uri: Uri) -> Uri {
    let mut parts = uri.into_parts();
    parts.scheme = None;
    parts.authority = None;
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    Uri::from_parts(parts).unwrap_or_else(|_| Uri::from_static("/"))
}

/// Where a response's connection goes back once its body has ended.
struct Home {
    sender: SendRequest<Body>,
    pool: Arc<Inner>,
}

impl Home {
    fn give_back(self) {
        let Ok(mut idle) = self.pool.idle.lock() else {
            return;
        };
        if idle.len() < self.pool.settings.max_idle && !self.sender.is_closed() {
            idle.push(Idle {
                sender: self.sender,
                since: Instant::now(),
            });
        }
    }
}

/// A response body that gives its connection back to the pool when it ends. Dropped before its end, it
/// takes the connection with it: hyper closes a connection whose response was not read to the end.
pub(crate) struct PooledBody {
    body: Incoming,
    home: Option<Home>,
}

impl fmt::Debug for PooledBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledBody").field("body", &self.body).finish_non_exhaustive()
    }
}

impl PooledBody {
    fn give_back(&mut self) {
        if let Some(home) = self.home.take() {
            home.give_back();
        }
    }
}

impl HttpBody for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.give_back(),
            Poll::Ready(Some(Ok(_))) if this.body.is_end_stream() => this.give_back(),
            Poll::Ready(Some(Err(_))) => this.home = None,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        // An empty body (`HEAD`, `204`) ends without a poll.
        if self.body.is_end_stream() {
            self.give_back();
        }
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
