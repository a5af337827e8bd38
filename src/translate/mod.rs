//! The translation core both invoke modes share: a Lambda event in, the app's `http::Request` out; the
//! app's response head back out as each event source's response metadata ([`response`]).
//!
//! Events are told apart by shape ([`detect`]), read through their `aws_lambda_events` types
//! ([`http_event`]), and given the context headers apps of the reference adapter rely on. Headers whose
//! meaning the adapter owns ([`owned`]) are removed from what the client sent, for every event source,
//! before the adapter adds its own, so a client cannot forge its identity, its authorizer claims or a
//! WebSocket callback. The app's address comes from configuration alone ([`uri::app_uri`]).

pub mod content;
pub mod detect;
pub mod http_event;
pub mod owned;
pub mod response;
pub mod uri;

use bytes::Bytes;
use http::uri::Authority;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri, header};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::Config;
use crate::context::{FunctionEnv, InvocationContext};
use crate::error::{AdapterError, ErrorKind};
pub use detect::EventKind;

pub use owned::{LAMBDA_CONTEXT, REQUEST_CONTEXT, TENANT_ID, TRACE_ID};

/// Headers that describe the hop from the event source, not the request: removed before forwarding.
pub(crate) const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "expect",
];

/// What translation needs from the configuration.
#[derive(Clone, Debug)]
pub struct TranslateOptions {
    /// `host:port` of the app: every request goes there, whatever the event says.
    pub app: Authority,
    pub remove_base_path: Option<String>,
    pub pass_through_path: String,
    pub authorization_source: Option<HeaderName>,
    pub http_api_domains: Vec<String>,
    pub function_env: FunctionEnv,
    /// Where WebSocket events go in the app, and where `x-ws-callback` points.
    pub ws: crate::ws::WsRoutes,
}

impl TranslateOptions {
    pub fn from_config(config: &Config, function_env: FunctionEnv) -> Self {
        TranslateOptions {
            app: config.app_address.clone(),
            remove_base_path: config.remove_base_path.clone(),
            pass_through_path: config.pass_through_path.clone(),
            authorization_source: config.authorization_source.clone(),
            http_api_domains: config.http_api_domains.clone(),
            function_env,
            ws: crate::ws::WsRoutes::from_config(&config.ws),
        }
    }
}

/// An event turned into the app's request.
#[derive(Debug)]
pub struct AppRequest {
    pub kind: EventKind,
    pub request: Request<Bytes>,
}

/// Parses `event` and builds the app's request.
pub fn translate(event: &[u8], ctx: &InvocationContext, options: &TranslateOptions) -> Result<AppRequest, AdapterError> {
    let invalid = |message: String| AdapterError::new(ErrorKind::InvalidEvent, message);
    let shape = detect::Shape::read(event).map_err(|e| invalid(format!("the event is not valid JSON: {e}")))?;
    let kind = shape.as_ref().map_or(EventKind::PassThrough, |s| s.kind(&options.http_api_domains));
    let request = match (kind, shape) {
        (EventKind::PassThrough, _) | (_, None) => pass_through(event, ctx, options),
        (EventKind::WebSocket, _) => {
            let value: Value = serde_json::from_slice(event).map_err(|e| invalid(format!("the event is not valid JSON: {e}")))?;
            crate::ws::event::request(&value, ctx, options)
        }
        (_, Some(shape)) => {
            let parts = http_event::read_bytes(kind, event, &shape).map_err(invalid)?;
            http_request(parts, shape.request_context, ctx, options)
        }
    }
    .map_err(invalid)?;
    Ok(AppRequest { kind, request })
}

fn http_request(
    parts: http_event::EventParts,
    request_context: Option<&RawValue>,
    ctx: &InvocationContext,
    options: &TranslateOptions,
) -> Result<Request<Bytes>, String> {
    let path = match &options.remove_base_path {
        Some(base) => uri::remove_base_path(&parts.path, base),
        None => parts.path,
    };
    let uri = uri::app_uri(&options.app, &path, &parts.query)?;
    let mut headers = parts.headers;
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    owned::remove(&mut headers);
    if let Some(source) = &options.authorization_source
        && let Some(value) = headers.get(source).cloned()
    {
        headers.insert(header::AUTHORIZATION, value);
    }
    if let Some(ip) = parts.source_ip.filter(|_| !headers.contains_key("x-forwarded-for"))
        && let Ok(value) = HeaderValue::from_str(&ip)
    {
        headers.insert("x-forwarded-for", value);
    }
    add_context_headers(&mut headers, request_context.map(RequestContext::Raw), ctx, options);
    Ok(build(parts.method, uri, headers, parts.body))
}

fn pass_through(event: &[u8], ctx: &InvocationContext, options: &TranslateOptions) -> Result<Request<Bytes>, String> {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    add_context_headers(&mut headers, None, ctx, options);
    let uri = uri::app_uri(&options.app, &options.pass_through_path, "")?;
    Ok(build(Method::POST, uri, headers, Bytes::copy_from_slice(event)))
}

/// The event's `requestContext`: the JSON text as the event carried it, or a parsed value.
pub enum RequestContext<'a> {
    Raw(&'a RawValue),
    Parsed(&'a Value),
}

impl RequestContext<'_> {
    /// Compact JSON for the `x-amzn-request-context` header. The raw text is used as it is when it fits in a
    /// header (Lambda's events are compact); pretty-printed text is re-serialised.
    fn header_value(&self) -> Option<HeaderValue> {
        match self {
            RequestContext::Raw(raw) if raw.get() == "null" => None,
            RequestContext::Raw(raw) => HeaderValue::from_str(raw.get()).ok().or_else(|| {
                let value: Value = serde_json::from_str(raw.get()).ok()?;
                HeaderValue::from_str(&value.to_string()).ok()
            }),
            RequestContext::Parsed(value) if value.is_null() => None,
            RequestContext::Parsed(value) => HeaderValue::from_str(&value.to_string()).ok(),
        }
    }
}

/// Adds the context headers. The client's copies must already be gone ([`owned::remove`]).
pub fn add_context_headers(
    headers: &mut HeaderMap,
    request_context: Option<RequestContext>,
    ctx: &InvocationContext,
    options: &TranslateOptions,
) {
    if let Some(value) = request_context.and_then(|c| c.header_value()) {
        headers.insert(REQUEST_CONTEXT, value);
    }
    if let Ok(value) = HeaderValue::from_str(&ctx.to_json(&options.function_env)) {
        headers.insert(LAMBDA_CONTEXT, value);
    }
    if let Some(value) = ctx.tenant_id.as_deref().and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert(TENANT_ID, value);
    }
    if let Some(value) = ctx.trace_id.as_deref().and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert(TRACE_ID, value);
    }
}

/// The app's request from its parts.
pub fn build(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Request<Bytes> {
    let mut request = Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    request
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod hostile_tests;
