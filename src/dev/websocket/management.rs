//! `dev`'s own `@connections` management API, which the adapter forwards the app's pushes to.
//!
//! `dev` gives the adapter `LWA_WS_ENDPOINT=http://127.0.0.1:<port>/dev` and fake credentials (unless the user
//! set real ones), so the app pushes exactly as on Lambda: a `POST` to its `x-ws-callback`, which the adapter
//! signs and forwards. This server answers as API Gateway does: `POST` 200 (the data goes out as a frame),
//! `GET` 200 with `connectedAt`, `lastActiveAt` and `identity`, `DELETE` 204 (the socket closes with 1000),
//! 410 `GoneException` for an unknown or closed id and during `$connect`, 413 over 131,072 bytes, and 403 when
//! the SigV4 signature is not the one the credentials give: it is recomputed with the adapter's own signer,
//! so a signing bug shows up locally instead of as a 403 from AWS.

use aws_credential_types::Credentials;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;

use super::connections::{Connections, Outgoing};
use crate::ws::callback::connection_id;
use crate::ws::forward::MAX_POST;
use crate::ws::sign;

/// The credentials `dev` gives the adapter when the user has none in the environment.
pub const FAKE_ACCESS_KEY_ID: &str = "ASIADEVLOCAL00000000";
pub const FAKE_SECRET_ACCESS_KEY: &str = "lambda-adapter-dev/not-a-real-secret/0000";
pub const FAKE_SESSION_TOKEN: &str = "lambda-adapter-dev-fake-session-token";
/// How far a request's `X-Amz-Date` may be from now (SigV4's rule).
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// The credentials the adapter will sign with, and the variables to give it for them.
pub(crate) fn adapter_credentials(lookup: impl Fn(&str) -> Option<String>) -> (Credentials, Vec<(String, String)>) {
    let (key, secret) = (lookup("AWS_ACCESS_KEY_ID"), lookup("AWS_SECRET_ACCESS_KEY"));
    if let (Some(key), Some(secret)) = (key, secret) {
        let token = lookup("AWS_SESSION_TOKEN");
        return (Credentials::new(key, secret, token, None, "user"), Vec::new());
    }
    let vars = [
        ("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY),
        ("AWS_SESSION_TOKEN", FAKE_SESSION_TOKEN),
    ];
    let credentials = Credentials::new(
        FAKE_ACCESS_KEY_ID,
        FAKE_SECRET_ACCESS_KEY,
        Some(FAKE_SESSION_TOKEN.into()),
        None,
        "dev",
    );
    (credentials, vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

/// `LWA_WS_ENDPOINT` (and `AWS_LWA_WS_ENDPOINT` when the user set it, so both agree) pointing at `endpoint`,
/// with a warning when the user's value is replaced: connections made to `dev` exist only in `dev`.
pub(crate) fn endpoint_vars(endpoint: &str, lookup: impl Fn(&str) -> Option<String>) -> (Vec<(String, String)>, Option<String>) {
    let mut vars = vec![("LWA_WS_ENDPOINT".to_string(), endpoint.to_string())];
    let mut replaced = lookup("LWA_WS_ENDPOINT");
    if let Some(theirs) = lookup("AWS_LWA_WS_ENDPOINT") {
        vars.push(("AWS_LWA_WS_ENDPOINT".into(), endpoint.to_string()));
        replaced = replaced.or(Some(theirs));
    }
    let warning = replaced.filter(|value| value != endpoint).map(|value| {
        format!(
            "the WebSocket endpoint {value} (LWA_WS_ENDPOINT) is replaced by dev's own {endpoint}: connections made to dev live only in dev"
        )
    });
    (vars, warning)
}

/// Why a call was refused with 403, in API Gateway's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Denied {
    MissingToken,
    UnknownKey,
    Expired(String),
    Mismatch,
}

impl Denied {
    fn error_type(&self) -> &'static str {
        match self {
            Denied::MissingToken => "MissingAuthenticationTokenException",
            Denied::UnknownKey => "UnrecognizedClientException",
            Denied::Expired(_) | Denied::Mismatch => "InvalidSignatureException",
        }
    }

    fn message(&self) -> String {
        match self {
            Denied::MissingToken => "Missing Authentication Token".into(),
            Denied::UnknownKey => "The security token included in the request is invalid.".into(),
            Denied::Expired(date) => format!("Signature expired: {date} is more than 5 minutes away from the server's time."),
            Denied::Mismatch => "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".into(),
        }
    }
}

/// Recomputes the SigV4 signature of a request from the headers it signed, with `expected` credentials at
/// the request's own `X-Amz-Date`, and compares the whole `Authorization` value.
pub(crate) fn verify(
    method: &Method,
    target: &str,
    headers: &HeaderMap,
    body: &Bytes,
    expected: &Credentials,
    region: &str,
    now: SystemTime,
) -> Result<(), Denied> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let authorization = text("authorization").filter(|a| a.starts_with("AWS4-HMAC-SHA256 "));
    let (Some(authorization), Some(date), Some(host)) = (authorization, text("x-amz-date"), text("host")) else {
        return Err(Denied::MissingToken);
    };
    let field = |name: &str| {
        authorization
            .split([' ', ','])
            .find_map(|part| part.trim().strip_prefix(name).map(str::to_string))
    };
    let key = field("Credential=").and_then(|c| c.split('/').next().map(str::to_string));
    if key.as_deref() != Some(expected.access_key_id()) {
        return Err(Denied::UnknownKey);
    }
    let time = crate::dates::parse_amz_date(date).ok_or(Denied::MissingToken)?;
    let skew = now.duration_since(time).or_else(|e| Ok::<_, ()>(e.duration())).unwrap_or_default();
    if skew > MAX_SKEW {
        return Err(Denied::Expired(date.to_string()));
    }
    let signed = field("SignedHeaders=").ok_or(Denied::MissingToken)?;
    let mut rebuilt = Request::builder()
        .method(method)
        .uri(format!("http://{host}{target}"))
        .body(body.clone())
        .map_err(|_| Denied::Mismatch)?;
    for name in signed.split(';') {
        if matches!(name, "host" | "x-amz-date" | "x-amz-security-token" | "authorization") {
            continue;
        }
        for value in headers.get_all(name) {
            let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| Denied::Mismatch)?;
            rebuilt.headers_mut().append(name, value.clone());
        }
    }
    sign::sign(&mut rebuilt, expected, region, time).map_err(|_| Denied::Mismatch)?;
    let ours = rebuilt.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if ours == Some(authorization) {
        Ok(())
    } else {
        Err(Denied::Mismatch)
    }
}

/// The server: connections to act on, and the credentials and region calls must be signed with.
pub(crate) struct Management {
    pub connections: Arc<Connections>,
    pub credentials: Credentials,
    pub region: String,
}

impl Management {
    /// Serves `listener` until the task is dropped.
    pub(crate) async fn serve(self: Arc<Self>, listener: TcpListener) {
        let Ok(port) = listener.local_addr().map(|address| address.port()) else {
            tracing::error!("@connections management API: cannot read its own address; it does not serve");
            return;
        };
        crate::net::serve::accept_loop(listener, "@connections management API", move |request, _| {
            let management = self.clone();
            async move { management.handle(request, port).await }
        })
        .await;
    }

    async fn handle(&self, request: Request<Incoming>, port: u16) -> Response<Full<Bytes>> {
        if let Err(refused) = crate::dev::loopback::check(request.uri(), request.headers(), port) {
            let status = refused.status();
            tracing::warn!(
                "@connections: a {} request was refused with {status}: {}",
                request.method(),
                refused.reason()
            );
            return error(status, "ForbiddenException", refused.reason());
        }
        let (parts, body) = request.into_parts();
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str()).to_string();
        let response = self.answer(parts, body).await;
        let status = response.status().as_u16();
        tracing::debug!("@connections {target} → {status}");
        response
    }

    async fn answer(&self, parts: http::request::Parts, body: Incoming) -> Response<Full<Bytes>> {
        let id = match connection_id(parts.uri.path()) {
            Ok(id) => id,
            Err(route) => return error(StatusCode::NOT_FOUND, "NotFoundException", &route.to_string()),
        };
        if !matches!(parts.method, Method::POST | Method::GET | Method::DELETE) {
            let message = format!("{} is not a @connections operation: POST, GET or DELETE", parts.method);
            return error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", &message);
        }
        let idle = crate::net::serve::BODY_IDLE_TIMEOUT;
        let Ok(collected) = tokio::time::timeout(idle, Limited::new(body, MAX_POST).collect()).await else {
            let message = format!("Request Timeout: the body did not arrive within {} s", idle.as_secs());
            return error(StatusCode::REQUEST_TIMEOUT, "RequestTimeoutException", &message);
        };
        let body = match collected {
            Ok(body) => body.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                let message = format!("Request Too Long: the data is over {MAX_POST} bytes");
                return error(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLargeException", &message);
            }
            Err(e) => return error(StatusCode::BAD_REQUEST, "BadRequestException", &format!("unreadable body: {e}")),
        };
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        if let Err(denied) = verify(
            &parts.method,
            target,
            &parts.headers,
            &body,
            &self.credentials,
            &self.region,
            SystemTime::now(),
        ) {
            tracing::warn!("@connections {} {target} → 403: {}", parts.method, denied.message());
            return error(StatusCode::FORBIDDEN, denied.error_type(), &denied.message());
        }
        let gone = || error(StatusCode::GONE, "GoneException", &format!("connection {id} is gone"));
        let Some(connection) = self.connections.open(&id) else {
            return gone();
        };
        match parts.method {
            Method::POST => {
                let frame = match String::from_utf8(body.to_vec()) {
                    Ok(text) => Outgoing::Text(text),
                    Err(_) => Outgoing::Binary(body),
                };
                if connection.send(frame) {
                    respond(StatusCode::OK, Bytes::new())
                } else {
                    gone()
                }
            }
            Method::GET => {
                let facts = &connection.facts;
                let info = json!({
                    "connectedAt": crate::dates::iso_millis(facts.connected_at_ms),
                    "identity": {"sourceIp": facts.source_ip.to_string(), "userAgent": facts.user_agent.clone().unwrap_or_default()},
                    "lastActiveAt": crate::dates::iso_millis(connection.last_active_ms()),
                });
                let mut response = respond(StatusCode::OK, Bytes::from(info.to_string()));
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                response
            }
            _ => {
                let close = Outgoing::Close {
                    code: 1000,
                    reason: "Connection Closed Normally".into(),
                };
                if connection.send(close) {
                    respond(StatusCode::NO_CONTENT, Bytes::new())
                } else {
                    gone()
                }
            }
        }
    }
}

fn respond(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
}

/// `{"message": ...}` with `x-amzn-ErrorType`, from which SDKs name the exception they raise.
fn error(status: StatusCode, error_type: &'static str, message: &str) -> Response<Full<Bytes>> {
    let mut response = respond(status, Bytes::from(json!({ "message": message }).to_string()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("x-amzn-errortype", HeaderValue::from_static(error_type));
    response
}

#[cfg(test)]
#[path = "management_tests.rs"]
mod tests;
