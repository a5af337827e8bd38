//! The outgoing half of a push: one signed HTTPS call to API Gateway's `@connections` API.
//!
//! HTTPS through rustls (ring provider) with the Mozilla roots bundled by `webpki-roots`: no OpenSSL, no
//! system certificate store, nothing to install in a container image, and no AWS SDK (which would bring a
//! second HTTP stack and a C build). Plain `http://` is allowed for a local stand-in set with
//! `LWA_WS_ENDPOINT`. API Gateway's answer (status, headers, body) goes back to the app unchanged, so an SDK
//! pointed at the adapter raises its usual `GoneException` on 410.

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};

use super::credentials::{CredentialError, CredentialSource};
use super::https::{HttpsClient, TlsError};
use super::sign::{self, SignError};
use crate::config::ManagementEndpoint;
use crate::error::chain;
use crate::net::uri::component as encode_id;

/// `@connections` accepts at most this many bytes in a post.
pub(crate) const MAX_POST: usize = 131_072;
/// How long one call to API Gateway may take before the app is told it failed.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// One `@connections` call as the app asked for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Call {
    pub method: Method,
    pub connection_id: String,
    pub body: Bytes,
}

/// API Gateway's answer, passed back verbatim.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A push that could not be made; each has the status the app receives.
#[derive(Debug)]
pub(crate) enum PushError {
    /// The data is over `@connections`' limit; refused without calling out (413).
    TooLarge { size: usize },
    /// No management endpoint is known yet (500).
    NoEndpoint,
    /// `AWS_REGION` is not set (500).
    NoRegion,
    /// No credentials, or the credentials endpoint failed (500).
    Credentials(CredentialError),
    /// The call's URL does not make a request (500).
    Url { url: String, source: http::Error },
    /// Signing failed (500).
    Signing(SignError),
    /// TLS could not be set up for the first push (500).
    Tls(TlsError),
    /// API Gateway could not be reached, or its answer broke off (502).
    Unreachable {
        url: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// API Gateway did not answer in time (504).
    Timeout { url: String },
}

impl PushError {
    /// The status the app's call gets.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            PushError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            PushError::Unreachable { .. } => StatusCode::BAD_GATEWAY,
            PushError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::TooLarge { size } => write!(f, "the data is {size} bytes; @connections takes at most {MAX_POST} bytes per post"),
            PushError::NoEndpoint => f.write_str(
                "no @connections endpoint: no WebSocket event has been seen yet and LWA_WS_ENDPOINT is not set (set it to the API's URL with the stage, e.g. https://abc123.execute-api.us-east-1.amazonaws.com/prod)",
            ),
            PushError::NoRegion => f.write_str("AWS_REGION is not set: it is needed to sign @connections calls"),
            PushError::Credentials(error) => write!(f, "cannot sign the @connections call: {error}"),
            PushError::Url { url, source } => write!(f, "cannot sign the @connections call: `{url}` is not a valid URL: {source}"),
            PushError::Signing(error) => write!(f, "cannot sign the @connections call: {}", error.reason()),
            PushError::Tls(error) => error.fmt(f),
            PushError::Unreachable { url, source } => write!(f, "could not reach {url}: {}", chain(source.as_ref())),
            PushError::Timeout { url } => write!(f, "{url} did not answer within {CALL_TIMEOUT:?}"),
        }
    }
}

impl std::error::Error for PushError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PushError::Credentials(error) => Some(error),
            PushError::Url { source, .. } => Some(source),
            PushError::Signing(error) => Some(error),
            PushError::Tls(error) => Some(error),
            PushError::Unreachable { source, .. } => Some(source.as_ref()),
            PushError::TooLarge { .. } | PushError::NoEndpoint | PushError::NoRegion | PushError::Timeout { .. } => None,
        }
    }
}

/// `{base}/@connections/{id}` with the id percent-encoded.
pub(crate) fn url(endpoint: &ManagementEndpoint, connection_id: &str) -> String {
    format!("{}/@connections/{}", endpoint.base_url(), encode_id(connection_id))
}

/// Signs and sends `call` to `endpoint`.
pub(crate) async fn send(
    client: &HttpsClient,
    credentials: &CredentialSource,
    endpoint: &ManagementEndpoint,
    region: &str,
    call: Call,
) -> Result<Answer, PushError> {
    let url = url(endpoint, &call.connection_id);
    let creds = credentials.get(client).await.map_err(PushError::Credentials)?;
    let mut request = Request::builder()
        .method(call.method)
        .uri(&url)
        .body(call.body)
        .map_err(|source| PushError::Url { url: url.clone(), source })?;
    sign::sign(&mut request, &creds, region, SystemTime::now()).map_err(PushError::Signing)?;
    let unreachable = |source: Box<dyn std::error::Error + Send + Sync>| PushError::Unreachable { url: url.clone(), source };
    let exchange = async {
        let response = client.request(request.map(Full::new)).await.map_err(|e| unreachable(e.into()))?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| unreachable(e.into()))?.to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    };
    tokio::time::timeout(CALL_TIMEOUT, exchange)
        .await
        .map_err(|_| PushError::Timeout { url: url.clone() })?
}
