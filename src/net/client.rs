//! The HTTP client both sides share: to the app and to the Runtime API.
//!
//! One hyper connection pool per peer, TCP_NODELAY on every connection so that small writes (the streaming
//! prelude, an SSE event) leave at once instead of waiting ~40 ms for a delayed ACK.

use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

use super::body::Body;

/// A pooled HTTP/1.1 client.
pub type HttpClient = Client<HttpConnector, Body>;

/// A client with TCP_NODELAY and keep-alive, for the Runtime API.
pub fn client() -> HttpClient {
    build(Duration::from_secs(60), 4)
}

/// Header lines an app's response head may have. hyper's default of 100 fails an ordinary app that sets many
/// cookies; past this limit the response is refused as invalid rather than held in memory.
pub const MAX_APP_HEADERS: usize = 512;

/// A client for the app. Idle connections are dropped after 4 s, before the 5 s keep-alive timeout of Node.js
/// and many other servers: reusing a connection the app is closing at that moment would fail the invocation.
/// Under SnapStart no connection is kept at all, since a restored snapshot's pooled sockets are dead.
pub fn app_client() -> HttpClient {
    let snap_start = std::env::var("AWS_LAMBDA_INITIALIZATION_TYPE").is_ok_and(|t| t == "snap-start");
    build(Duration::from_secs(4), if snap_start { 0 } else { 4 })
}

fn build(idle_timeout: Duration, max_idle: usize) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(5)));
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(idle_timeout)
        .pool_max_idle_per_host(max_idle)
        .http1_max_headers(MAX_APP_HEADERS)
        .build(connector)
}
