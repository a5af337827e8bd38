//! The connections both sides keep: to the app and to the Runtime API, one [`Pool`] each, with their
//! settings; and a general client for the few calls off the hot path (a SnapStart hook, the tests' own
//! calls).
//!
//! TCP_NODELAY on every connection, so that small writes (the streaming prelude, an SSE event) leave at once
//! instead of waiting ~40 ms for a delayed ACK.

use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

use super::body::Body;
use super::pool::{Pool, Settings};

/// The Runtime API's connections at `address`. Every concurrent invocation holds a `next` poll and then a
/// post, so as many connections as that may stay pooled. An idle one is dropped after [`RUNTIME_API_IDLE`],
/// before a server that closes idle connections (`dev`'s, after 10 s) could close it under a post, which is
/// not replayed.
pub(crate) fn runtime_pool(address: &str) -> Pool {
    let settings = Settings {
        idle_timeout: RUNTIME_API_IDLE,
        max_idle: 2 * crate::config::MAX_CONCURRENCY,
        max_headers: None,
    };
    Pool::new(address, settings)
}

/// The app's connections at `address`: an idle one is dropped after `idle_timeout`
/// (`POOL_IDLE_TIMEOUT_SECONDS`, 4 s by default, before the 5 s keep-alive timeout of Node.js and many other
/// servers), and up to `concurrency` of them (at least 4) stay pooled, one per invocation in flight.
pub(crate) fn app_pool(address: &str, idle_timeout: Duration, concurrency: usize) -> Pool {
    let settings = Settings {
        idle_timeout,
        max_idle: concurrency.max(4),
        max_headers: Some(MAX_APP_HEADERS),
    };
    Pool::new(address, settings)
}

/// A pooled HTTP/1.1 client.
pub(crate) type HttpClient = Client<HttpConnector, Body>;

/// A general client with TCP_NODELAY and keep-alive, with the Runtime API pool's settings.
pub fn client() -> HttpClient {
    build(RUNTIME_API_IDLE, 2 * crate::config::MAX_CONCURRENCY, None)
}

/// How long an idle Runtime API connection stays pooled.
pub(crate) const RUNTIME_API_IDLE: Duration = Duration::from_secs(5);

/// Header lines an app's response head may have. hyper's default of 100 fails an ordinary app that sets many
/// cookies; past this limit the response is refused as invalid rather than held in memory. The Runtime API's
/// answers (a handful of headers) keep hyper's default: a limit set at all makes hyper allocate and fill
/// room for that many headers on every read of a response head (two 16 KiB arrays for 512), which was a sixth
/// of the adapter's instructions per invocation when the Runtime API client had it too.
pub(crate) const MAX_APP_HEADERS: usize = 512;

/// A client that keeps no connection: every request opens a fresh one (a SnapStart hook, called once).
pub(crate) fn fresh_client() -> HttpClient {
    build(Duration::ZERO, 0, Some(MAX_APP_HEADERS))
}

/// `max_headers`: `None` keeps hyper's default of 100, read without setting room aside.
fn build(idle_timeout: Duration, max_idle: usize, max_headers: Option<usize>) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(5)));
    let mut builder = Client::builder(TokioExecutor::new());
    builder.pool_idle_timeout(idle_timeout).pool_max_idle_per_host(max_idle);
    if let Some(max_headers) = max_headers {
        builder.http1_max_headers(max_headers);
    }
    builder.build(connector)
}
