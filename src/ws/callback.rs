//! The local `@connections` server the app pushes to, on `127.0.0.1:LWA_WS_CALLBACK_PORT`.
//!
//! It speaks API Gateway's management API: `POST` (send data), `GET` (connection info) and `DELETE`
//! (disconnect) on `/@connections/{id}`, also under a stage or base path (`/prod/@connections/{id}`) and with
//! `@` escaped (`%40connections`), so an AWS SDK client built with `endpoint_url=http://127.0.0.1:9002` works
//! unchanged, and so does a plain HTTP call to the `x-ws-callback` URL. A stage or base path given in the
//! path is not used: calls go to the endpoint of the invocation the push belongs to
//! ([`super::Bridge::attribute`]), which `x-ws-callback` names as `/invocations/{request id}/@connections/…`.
//!
//! It also takes the app's wait-until holds (`/invocations/{request id}/wait-until`, [`super::wait_until`]).
//!
//! Only loopback is served: whoever reaches this port can act with the function's credentials.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use percent_encoding::percent_decode_str;
use tokio::net::TcpListener;

use super::Bridge;
use super::forward::{Answer, Call, MAX_POST, PushError};
use crate::net::headers::is_hop_by_hop;

/// Binds `127.0.0.1:LWA_WS_CALLBACK_PORT` and serves it in the background.
pub(crate) async fn start(bridge: Arc<Bridge>) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", bridge.config().callback_port)).await?;
    serve(bridge, listener)
}

/// Serves `listener` in the background; returns its address.
pub(crate) fn serve(bridge: Arc<Bridge>, listener: TcpListener) -> std::io::Result<SocketAddr> {
    let address = listener.local_addr()?;
    tokio::spawn(crate::net::serve::accept_loop(
        listener,
        "@connections server",
        move |request, _| handle(bridge.clone(), request),
    ));
    Ok(address)
}

/// The invocation an `x-ws-callback` path names: `/invocations/{request id}/@connections/…`.
pub fn invocation(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/invocations/")?;
    let (encoded, _) = rest.split_once('/')?;
    percent_decode_str(encoded).decode_utf8().ok().map(|id| id.into_owned())
}

/// What the `@connections` server serves, for a path it does not.
const SERVED: &str = "this is the adapter's @connections server: it serves /@connections/{connectionId} (optionally under a stage, /{stage}/@connections/{connectionId})";

/// A path that names no connection; the 404's message says what the server serves.
#[derive(Debug, PartialEq, Eq)]
pub enum RouteError {
    /// No `@connections/` in the path.
    NoRoute { path: String },
    /// `@connections/` with nothing after it.
    NoId { path: String },
    /// The id's percent-escapes decode to bytes that are not UTF-8.
    NotUtf8 { path: String, source: std::str::Utf8Error },
}

impl std::fmt::Display for RouteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteError::NoRoute { path } => write!(f, "no route for {path}: {SERVED}"),
            RouteError::NoId { path } => write!(f, "no connection id in {path}: {SERVED}"),
            RouteError::NotUtf8 { path, .. } => write!(f, "the connection id in {path} is not UTF-8 once decoded"),
        }
    }
}

impl std::error::Error for RouteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RouteError::NotUtf8 { source, .. } => Some(source),
            RouteError::NoRoute { .. } | RouteError::NoId { .. } => None,
        }
    }
}

/// The connection id in a `@connections` path, decoded.
pub fn connection_id(path: &str) -> Result<String, RouteError> {
    let lower = path.to_ascii_lowercase();
    let start = ["/@connections/", "/%40connections/"]
        .iter()
        .find_map(|marker| {
            lower
                .split_once(marker)
                .map(|(before, _)| before.len().saturating_add(marker.len()))
        })
        .ok_or_else(|| RouteError::NoRoute { path: path.to_string() })?;
    // `lower` has `path`'s byte offsets: ASCII lower-casing keeps every character's length.
    let encoded = path.get(start..).unwrap_or_default();
    let id = percent_decode_str(encoded).decode_utf8().map_err(|source| RouteError::NotUtf8 {
        path: path.to_string(),
        source,
    })?;
    if id.is_empty() {
        return Err(RouteError::NoId { path: path.to_string() });
    }
    Ok(id.into_owned())
}

async fn handle(bridge: Arc<Bridge>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    if let Some((request_id, hold)) = super::wait_until::route(&path) {
        let port = bridge.config().callback_port;
        return super::wait_until::handle(&bridge, &method, &request_id, hold, port);
    }
    let attributed = bridge.attribute(invocation(&path).as_deref());
    let guard = attributed.pushes.as_ref().map(|pushes| pushes.start());
    let id = match connection_id(&path) {
        Ok(id) => id,
        Err(error) => return message_response(StatusCode::NOT_FOUND, &error.to_string()),
    };
    if !matches!(method, Method::POST | Method::GET | Method::DELETE) {
        let mut response = message_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("{method} is not a @connections operation: use POST (send), GET (info) or DELETE (disconnect)"),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST, GET, DELETE"));
        return response;
    }
    let body = match Limited::new(request.into_body(), MAX_POST).collect().await {
        Ok(body) => body.to_bytes(),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            let message = format!("the data is over {MAX_POST} bytes; @connections takes at most {MAX_POST} bytes per post");
            return message_response(StatusCode::PAYLOAD_TOO_LARGE, &message);
        }
        Err(error) => {
            return message_response(StatusCode::BAD_REQUEST, &format!("could not read the request body: {error}"));
        }
    };
    let body = if method == Method::POST { body } else { Bytes::new() };
    let call = Call {
        method: method.clone(),
        connection_id: id,
        body,
    };
    // The call runs in its own task, holding the guard, so it completes even if the app hangs up.
    let task = tokio::spawn(async move {
        let _guard = guard;
        bridge.push(call, &attributed).await
    });
    match task.await {
        Ok(Ok(answer)) => verbatim(answer),
        Ok(Err(error)) => push_error(&error),
        Err(join) => message_response(StatusCode::INTERNAL_SERVER_ERROR, &format!("the @connections call failed: {join}")),
    }
}

fn verbatim(answer: Answer) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(answer.body));
    *response.status_mut() = answer.status;
    for (name, value) in &answer.headers {
        if !is_hop_by_hop(name.as_str()) && name != header::CONTENT_LENGTH {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

fn push_error(error: &PushError) -> Response<Full<Bytes>> {
    message_response(error.status(), &error.to_string())
}

/// `{"message": "..."}`, the shape of API Gateway's own error bodies.
fn message_response(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sdks_and_apps_use() {
        for (path, id) in [
            ("/@connections/Ya1aXeR8IAMCLnw%3D", "Ya1aXeR8IAMCLnw="),
            ("/@connections/Ya1aXeR8IAMCLnw=", "Ya1aXeR8IAMCLnw="),
            ("/prod/@connections/ab%2Fcd%2Bef%3D%3D", "ab/cd+ef=="),
            ("/prod/%40connections/R0oX%3D", "R0oX="),
            ("/chat/v1/%40Connections/R0oX%3D", "R0oX="),
            ("/@connections/a/b=", "a/b="),
            ("/invocations/req%2D1/@connections/R0oX%3D", "R0oX="),
        ] {
            assert_eq!(connection_id(path).as_deref(), Ok(id), "{path}");
        }
    }

    #[test]
    fn callback_paths_name_their_invocation() {
        assert_eq!(
            invocation("/invocations/8476a536-e9f4/@connections/x").as_deref(),
            Some("8476a536-e9f4")
        );
        assert_eq!(invocation("/invocations/a%20b/@connections/x").as_deref(), Some("a b"));
        assert_eq!(invocation("/@connections/x"), None);
        assert_eq!(invocation("/prod/@connections/x"), None);
    }

    #[test]
    fn other_paths_say_what_is_served() {
        for path in ["/", "/connections/x", "/@connections/", "/@connections"] {
            let err = connection_id(path).unwrap_err().to_string();
            assert!(err.contains("/@connections/{connectionId}"), "{path}: {err}");
        }
        assert!(connection_id("/@connections/%FF").unwrap_err().to_string().contains("not UTF-8"));
    }
}
