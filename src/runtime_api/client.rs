//! Sends the Runtime API's calls (built in [`super::requests`]) and reads the answers.

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use std::fmt;

use super::{Endpoint, requests};
use crate::context::{InvocationContext, NoRequestId};
use crate::error::{Diagnostic, chain};
use crate::net::body::Body;
use crate::net::client as http_client;
use crate::net::pool::{Pool, PoolError};

/// One invocation as `next` delivers it.
#[derive(Debug)]
pub(crate) struct Invocation {
    pub context: InvocationContext,
    pub event: Bytes,
}

/// What the Extensions API's `event/next` answered.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ExtensionEvent {
    Shutdown { reason: String },
    Invoke,
}

/// A Runtime API call that failed: which call, the status when there was an answer, and why.
#[derive(Debug)]
pub(crate) struct RuntimeError {
    pub call: &'static str,
    pub status: Option<StatusCode>,
    pub failure: CallFailure,
}

/// Why a Runtime API call failed.
#[derive(Debug)]
pub(crate) enum CallFailure {
    /// The request could not be built (an endpoint or id that makes no URI).
    Unbuildable(http::Error),
    /// The request failed before an answer.
    Request(PoolError),
    /// The answer's body failed.
    Body(hyper::Error),
    /// The API refused the call; its answer's text.
    Refused(String),
    /// `next` answered without a request id.
    NoRequestId(NoRequestId),
    /// `extension/register` answered without the extension's identifier.
    NoExtensionId,
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "Runtime API {} answered {status}: {}", self.call, self.failure),
            None => write!(f, "Runtime API {} failed: {}", self.call, self.failure),
        }
    }
}

impl fmt::Display for CallFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallFailure::Unbuildable(e) => write!(f, "the request cannot be built: {e}"),
            CallFailure::Request(e) => f.write_str(&chain(e)),
            CallFailure::Body(e) => f.write_str(&chain(e)),
            CallFailure::Refused(text) => f.write_str(text),
            CallFailure::NoRequestId(e) => e.fmt(f),
            CallFailure::NoExtensionId => f.write_str("no Lambda-Extension-Identifier header"),
        }
    }
}

impl std::error::Error for RuntimeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.failure {
            CallFailure::Unbuildable(e) => Some(e),
            CallFailure::Request(e) => Some(e),
            CallFailure::Body(e) => Some(e),
            CallFailure::NoRequestId(e) => Some(e),
            CallFailure::Refused(_) | CallFailure::NoExtensionId => None,
        }
    }
}

/// A client for the Runtime and Extensions APIs.
#[derive(Clone)]
pub(crate) struct RuntimeClient {
    endpoint: Endpoint,
    http: Pool,
    /// `next`'s URI, parsed once; `None` if it does not parse, and then each call builds it and says why.
    next: Option<http::Uri>,
}

impl RuntimeClient {
    pub(crate) fn new(endpoint: Endpoint) -> Self {
        RuntimeClient {
            next: requests::next_invocation_uri(&endpoint).ok(),
            http: http_client::runtime_pool(&endpoint.authority),
            endpoint,
        }
    }

    /// A client for the same endpoint with a connection pool of its own, for a long poll that would otherwise
    /// hold a connection this client's other calls could reuse.
    pub(crate) fn with_own_connections(&self) -> Self {
        RuntimeClient::new(self.endpoint.clone())
    }

    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    async fn send(&self, call: &'static str, request: Request<Body>) -> Result<(StatusCode, http::HeaderMap, Bytes), RuntimeError> {
        let fail = |failure, status| RuntimeError { call, status, failure };
        let response = self.http.request(request).await.map_err(|e| fail(CallFailure::Request(e), None))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| fail(CallFailure::Body(e), Some(parts.status)))?
            .to_bytes();
        if parts.status.is_success() {
            Ok((parts.status, parts.headers, body))
        } else {
            let text = String::from_utf8_lossy(&body).trim().to_string();
            Err(fail(CallFailure::Refused(text), Some(parts.status)))
        }
    }

    async fn send_bytes(&self, call: &'static str, request: requests::Built) -> Result<(StatusCode, http::HeaderMap, Bytes), RuntimeError> {
        let request = request.map_err(|e| unbuildable(call, e))?;
        self.send(call, request.map(crate::net::body::full)).await
    }

    /// Waits for the next invocation. Never times out: Lambda freezes the environment while it waits.
    pub(crate) async fn next(&self) -> Result<Invocation, RuntimeError> {
        let request = match &self.next {
            Some(uri) => requests::next_invocation_at(uri),
            None => requests::next_invocation(&self.endpoint),
        };
        let (_, headers, event) = self.send_bytes("invocation/next", request).await?;
        let context = InvocationContext::from_headers(&headers).map_err(|error| RuntimeError {
            call: "invocation/next",
            status: None,
            failure: CallFailure::NoRequestId(error),
        })?;
        Ok(Invocation { context, event })
    }

    /// Posts a whole response.
    pub(crate) async fn respond(&self, ctx: &InvocationContext, payload: Bytes) -> Result<(), RuntimeError> {
        self.send_bytes(
            "invocation/response",
            requests::invocation_response(&self.endpoint, target(ctx), payload),
        )
        .await
        .map(drop)
    }

    /// Posts a streamed response; returns when the body has been sent and the Runtime API has answered.
    pub(crate) async fn respond_streaming(&self, ctx: &InvocationContext, body: Body) -> Result<(), RuntimeError> {
        const CALL: &str = "invocation/response (streaming)";
        let request = requests::streaming_response_head(&self.endpoint, target(ctx))
            .map_err(|e| unbuildable(CALL, e))?
            .map(|()| body);
        self.send(CALL, request).await.map(drop)
    }

    /// Reports a failed invocation.
    pub(crate) async fn error(&self, ctx: &InvocationContext, diagnostic: &Diagnostic) -> Result<(), RuntimeError> {
        self.send_bytes(
            "invocation/error",
            requests::invocation_error(&self.endpoint, target(ctx), diagnostic),
        )
        .await
        .map(drop)
    }

    /// Reports a failed init.
    pub(crate) async fn init_error(&self, diagnostic: &Diagnostic) -> Result<(), RuntimeError> {
        self.send_bytes("init/error", requests::init_error(&self.endpoint, diagnostic))
            .await
            .map(drop)
    }

    /// Waits until the environment is restored from its snapshot (SnapStart).
    pub(crate) async fn restore_next(&self) -> Result<(), RuntimeError> {
        self.send_bytes("restore/next", requests::restore_next(&self.endpoint))
            .await
            .map(drop)
    }

    /// Reports a failed restore (SnapStart).
    pub(crate) async fn restore_error(&self, diagnostic: &Diagnostic) -> Result<(), RuntimeError> {
        self.send_bytes("restore/error", requests::restore_error(&self.endpoint, diagnostic))
            .await
            .map(drop)
    }

    /// Registers the extension; returns its identifier.
    pub(crate) async fn register_extension(&self) -> Result<String, RuntimeError> {
        let (_, headers, _) = self
            .send_bytes("extension/register", requests::extension_register(&self.endpoint))
            .await?;
        headers
            .get("lambda-extension-identifier")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| RuntimeError {
                call: "extension/register",
                status: None,
                failure: CallFailure::NoExtensionId,
            })
    }

    /// Waits for the extension's next event.
    pub(crate) async fn extension_next(&self, extension_id: &str) -> Result<ExtensionEvent, RuntimeError> {
        let (_, _, body) = self
            .send_bytes("extension/event/next", requests::extension_next(&self.endpoint, extension_id))
            .await?;
        Ok(parse_extension_event(&body))
    }
}

fn target(ctx: &InvocationContext) -> requests::PostTarget<'_> {
    requests::PostTarget {
        request_id: &ctx.request_id,
        invocation_id: ctx.invocation_id.as_deref(),
    }
}

fn unbuildable(call: &'static str, error: http::Error) -> RuntimeError {
    RuntimeError {
        call,
        status: None,
        failure: CallFailure::Unbuildable(error),
    }
}

/// Reads an Extensions API event: SHUTDOWN with its reason, anything else as INVOKE.
pub(crate) fn parse_extension_event(body: &[u8]) -> ExtensionEvent {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    match value["eventType"].as_str() {
        Some("SHUTDOWN") => ExtensionEvent::Shutdown {
            reason: value["shutdownReason"].as_str().unwrap_or("unknown").to_string(),
        },
        _ => ExtensionEvent::Invoke,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_shutdown_events() {
        let event = parse_extension_event(br#"{"eventType":"SHUTDOWN","shutdownReason":"spindown","deadlineMs":1}"#);
        assert_eq!(event, ExtensionEvent::Shutdown { reason: "spindown".into() });
        assert_eq!(parse_extension_event(br#"{"eventType":"INVOKE"}"#), ExtensionEvent::Invoke);
    }
}
