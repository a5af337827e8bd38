//! The app's side of an invocation: one client that sends the app its request and says, in Lambda's terms,
//! what came back.
//!
//! Three decisions live here and nowhere else: when a request may go again (a pooled keep-alive connection
//! found dead before any response byte, and a request that is safe to replay), how a failure is told apart
//! (the app unreachable, or a response head the adapter will not read: hyper's error kinds, never message
//! text), and which response heads are forwarded at all (statuses HTTP has, framing and connection headers
//! dropped as a careful proxy drops them).

use bytes::Bytes;
use http::{Request, Response};

use super::body::{self, Body};
use super::client;
use super::pool::{Pool, PoolError, PooledBody};
use crate::config::Config;
use crate::error::{AdapterError, ErrorKind, chain};

/// The pooled client to the app at one address.
pub(crate) struct AppClient {
    pool: Pool,
    app: http::uri::Authority,
}

impl AppClient {
    pub(crate) fn new(config: &Config) -> Self {
        AppClient {
            pool: client::app_pool(config.app_address.as_str(), config.pool_idle_timeout, config.max_concurrency),
            app: config.app_address.clone(),
        }
    }

    /// Sends `request` (`target` names it in messages) and returns the app's response, its head checked
    /// ([`checked_head`]), or the invocation's error. `again` builds the same request anew for a replay
    /// ([`AppClient::request`]); it is called only then, so the request is never copied on the way there.
    pub(crate) async fn send(
        &self,
        request: Request<Bytes>,
        target: &str,
        again: impl FnOnce() -> Option<Request<Bytes>>,
    ) -> Result<Response<Body>, AdapterError> {
        match self.request(request, again).await {
            Ok(response) => checked_head(response.map(body::incoming), target),
            Err(error) => Err(app_failed(&self.app, target, &error)),
        }
    }

    /// Sends the app's request. A pooled keep-alive connection can be dead without the pool knowing (the
    /// app closed it while idle, or the sandbox was frozen and thawed): when such a connection fails before
    /// any response byte, the request goes again once, on a fresh connection, if replaying it is safe (an
    /// idempotent method, or no body). The second request comes from `again` rather than from a copy taken
    /// beforehand: copying every request's headers for the rare replay cost some 25,000 instructions and 30
    /// allocations per invocation (callgrind).
    async fn request(
        &self,
        request: Request<Bytes>,
        again: impl FnOnce() -> Option<Request<Bytes>>,
    ) -> Result<Response<PooledBody>, PoolError> {
        let replayable = replayable(&request);
        match self.pool.request(request.map(body::full)).await {
            Err(error) if replayable && stale_connection(&error) => match again() {
                Some(replay) => {
                    tracing::debug!(
                        "the pooled connection to the app was dead ({}); sending again on a fresh one",
                        chain(&error)
                    );
                    self.pool.request_fresh(replay.map(body::full)).await
                }
                None => Err(error),
            },
            result => result,
        }
    }
}

/// Whether a request may be sent twice: an idempotent method (RFC 9110 § 9.2.2), or nothing in its body
/// that the app could have acted on.
fn replayable(request: &Request<Bytes>) -> bool {
    use http::Method;
    let idempotent = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    );
    idempotent || request.body().is_empty()
}

/// Whether the app's connection failed the way a dead pooled connection fails: closed or reset before any
/// response byte. Not a refused connection (the app is down), a timeout or an invalid response.
fn stale_connection(error: &PoolError) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(hyper) = current.downcast_ref::<hyper::Error>()
            && (hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled())
        {
            return true;
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
            return matches!(io.kind(), ConnectionReset | BrokenPipe | ConnectionAborted);
        }
        source = current.source();
    }
    false
}

/// The app's response head as a careful proxy takes it: a status HTTP has (100–599; no `101`, since the
/// adapter never asks to switch protocols), framing and connection headers dropped
/// ([`super::headers::sanitize_response`]).
fn checked_head(mut response: Response<Body>, target: &str) -> Result<Response<Body>, AdapterError> {
    let status = response.status();
    let problem = match status.as_u16() {
        101 => Some("101 Switching Protocols, though the adapter asked for no upgrade"),
        600.. => Some("a status outside HTTP's 100-599"),
        _ => None,
    };
    if let Some(problem) = problem {
        return Err(AdapterError::new(
            ErrorKind::InvalidResponse,
            format!("the app answered {target} with status {}: {problem}", status.as_u16()),
        ));
    }
    super::headers::sanitize_response(response.headers_mut());
    Ok(response)
}

/// The app's request failed before a response head: it could not be reached, or what it sent was not an
/// HTTP/1.1 response head the adapter will read (garbage, or more than [`client::MAX_APP_HEADERS`]
/// header lines). Told apart by hyper's error kinds, not by message text.
fn app_failed(app: &http::uri::Authority, target: &str, error: &PoolError) -> AdapterError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut parse = None;
    while let Some(current) = source {
        if let Some(hyper) = current.downcast_ref::<hyper::Error>()
            && (hyper.is_parse() || hyper.is_parse_too_large() || hyper.is_parse_status())
        {
            parse = Some(hyper.is_parse_too_large());
        }
        source = current.source();
    }
    match parse {
        Some(too_large) => {
            let limit = if too_large {
                format!(" (at most {} header lines are read)", client::MAX_APP_HEADERS)
            } else {
                String::new()
            };
            AdapterError::new(
                ErrorKind::InvalidResponse,
                format!(
                    "the app at http://{app} answered {target} with an invalid HTTP response head{limit}: {}",
                    chain(error)
                ),
            )
        }
        None => AdapterError::new(
            ErrorKind::AppUnreachable,
            format!("the app at http://{app} did not answer {target}: {}", chain(error)),
        ),
    }
}
