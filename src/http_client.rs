//! The HTTP client both sides share: to the app and to the Runtime API.
//!
//! One hyper connection pool per peer, TCP_NODELAY on every connection so that small writes (the streaming
//! prelude, an SSE event) leave at once instead of waiting ~40 ms for a delayed ACK.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// A boxed error that can cross tasks.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type every outgoing request uses.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// A pooled HTTP/1.1 client.
pub type HttpClient = Client<HttpConnector, Body>;

/// A client with TCP_NODELAY and keep-alive.
pub fn client() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(5)));
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(4)
        .build(connector)
}

/// A whole body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}
