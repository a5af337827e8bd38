//! The HTTPS client for AWS: `@connections` calls and, in a container, the credentials endpoint. Its own
//! file, below both users (`forward` and `credentials`), so neither imports the other for it.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;

/// A pooled HTTP/1.1 client for `https://` and `http://`.
pub(crate) type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// TLS could not be set up: the provider offers no usable protocol version. Kept (and cloned into each
/// failed push) rather than retried, since the provider does not change while the process runs.
#[derive(Clone, Debug)]
pub(crate) struct TlsError(rustls::Error);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot set up TLS for @connections calls: {}", self.0)
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// The client, with bundled roots. Fails only if the TLS provider offers no usable protocol version.
pub(crate) fn client() -> Result<HttpsClient, TlsError> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(Duration::from_secs(5)));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
        .map_err(TlsError)?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .build(connector))
}
