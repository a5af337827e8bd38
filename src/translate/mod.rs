//! The translation core both invoke modes share: a Lambda event in, the app's `http::Request` out; the
//! app's response head back out as each event source's response metadata ([`response`]).
//!
//! Events are told apart by shape ([`detect`]), read through their `aws_lambda_events` types
//! ([`http_event`]), and given the context headers apps of the reference adapter rely on. Headers that only
//! the adapter may set (`x-amzn-request-context`, `x-amzn-lambda-context`, `x-amz-tenant-id`, and
//! `x-amzn-trace-id` when Lambda gives one) are removed from what the client sent before the adapter's own
//! are added, so a client cannot forge its identity or authorizer claims.

pub mod content;
pub mod detect;
pub mod http_event;
pub mod response;
pub mod uri;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, header};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::Config;
use crate::context::{FunctionEnv, InvocationContext};
use crate::error::{AdapterError, ErrorKind};
pub use detect::EventKind;

pub const REQUEST_CONTEXT: &str = "x-amzn-request-context";
pub const LAMBDA_CONTEXT: &str = "x-amzn-lambda-context";
pub const TENANT_ID: &str = "x-amz-tenant-id";
pub const TRACE_ID: &str = "x-amzn-trace-id";

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
    /// `http://host:port` of the app.
    pub app_base: String,
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
            app_base: config.app_base_url(),
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
    let uri = if parts.query.is_empty() {
        format!("{}{path}", options.app_base)
    } else {
        format!("{}{path}?{}", options.app_base, parts.query)
    };
    let mut headers = parts.headers;
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
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
    build(parts.method, &uri, headers, parts.body)
}

fn pass_through(event: &[u8], ctx: &InvocationContext, options: &TranslateOptions) -> Result<Request<Bytes>, String> {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    add_context_headers(&mut headers, None, ctx, options);
    let uri = format!("{}{}", options.app_base, options.pass_through_path);
    build(Method::POST, &uri, headers, Bytes::copy_from_slice(event))
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

/// Replaces the adapter-owned headers with the adapter's values.
pub fn add_context_headers(
    headers: &mut HeaderMap,
    request_context: Option<RequestContext>,
    ctx: &InvocationContext,
    options: &TranslateOptions,
) {
    headers.remove(REQUEST_CONTEXT);
    headers.remove(LAMBDA_CONTEXT);
    headers.remove(TENANT_ID);
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

fn build(method: Method, uri: &str, headers: HeaderMap, body: Bytes) -> Result<Request<Bytes>, String> {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .body(body)
        .map_err(|e| format!("cannot build a request for `{uri}`: {e}"))?;
    *request.headers_mut() = headers;
    Ok(request)
}

#[cfg(test)]
pub(crate) mod tests;
