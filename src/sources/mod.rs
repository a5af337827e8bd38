//! Event sources: each one's event as the app's HTTP request, and the format its answer goes back in.
//!
//! One file per source, each declaring everything about it as one [`Source`] (`source`): its names and
//! `dev --event` flag, how its events are told apart, how they are read, the document its answer takes and
//! whether it can take a stream, its limits, and how `dev` plays it: `function_url`, `http_api`,
//! `rest_api`, `alb`, `vpc_lattice`, [`websocket`] and `pass_through`. [`registry`] lists them; detection
//! (`detect`), translation, the buffered encoder, `dev` and the fuzz targets walk that list, so adding a
//! source is its file and one registry line. What an event can get wrong is an [`EventError`] (`error`),
//! which [`translate`] reports as Lambda's `InvalidEvent`.
//!
//! Every source's request gets the context headers apps of the reference adapter rely on. Headers whose
//! meaning the adapter owns (`owned`) are removed from what the client sent first, for every source, so a
//! client cannot forge its identity, its authorizer claims or a WebSocket callback. The app's address comes
//! from configuration alone ([`crate::net::uri::app_uri`]).

pub(crate) mod alb;
pub(crate) mod detect;
pub(crate) mod emulate;
mod error;
mod event;
pub(crate) mod function_url;
pub(crate) mod http_api;
pub(crate) mod owned;
mod parts;
pub(crate) mod pass_through;
pub mod registry;
pub(crate) mod rest_api;
mod source;
pub(crate) mod vpc_lattice;
pub mod websocket;

use bytes::Bytes;
use http::uri::Authority;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri, header};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::Config;
use crate::context::{FunctionEnv, InvocationContext};
use crate::error::AdapterError;
use crate::net::header_text::{self, Charset};
use crate::net::uri;
use crate::wire::json;
pub(crate) use error::EventError;
pub use owned::TRACE_ID;
pub(crate) use owned::{LAMBDA_CONTEXT, REQUEST_CONTEXT, TENANT_ID, WAIT_UNTIL};
use source::Read;
pub(crate) use source::{Emulation, FailureAnswer};
pub use source::{Source, Streaming};
use websocket::{WsEvent, WsRoutes};

/// The W3C trace context header OpenTelemetry SDKs read.
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// Framing headers of the client's request, which the adapter sets anew for the app.
const REQUEST_FRAMING: [&str; 2] = ["content-length", "expect"];

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
    pub ws: WsRoutes,
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
            ws: WsRoutes::from_config(&config.ws),
        }
    }
}

/// An event turned into the app's request.
#[derive(Debug)]
pub struct AppRequest {
    /// The source that sent it.
    pub kind: &'static Source,
    pub request: Request<Bytes>,
    /// What the answer and the bridge need of a WebSocket event.
    pub websocket: Option<WsEvent>,
}

/// Parses `event` and builds the app's request. Every failure is a `LambdaAdapter.InvalidEvent` whose message
/// says what was wrong ([`EventError`]).
pub fn translate(event: &[u8], ctx: &InvocationContext, options: &TranslateOptions) -> Result<AppRequest, AdapterError> {
    read(event, ctx, options).map_err(AdapterError::from)
}

/// [`translate`], with the typed error.
fn read(event: &[u8], ctx: &InvocationContext, options: &TranslateOptions) -> Result<AppRequest, EventError> {
    let event = event::Event::new(event);
    let shape = detect::Shape::read(&event).map_err(EventError::NotJson)?;
    let (kind, shape) = match shape {
        Some(shape) => (shape.source(&options.http_api_domains), shape),
        None => (pass_through::SOURCE, detect::Shape::default()),
    };
    match kind.read {
        Read::Own(read) => {
            let own = read(&event, ctx, options)?;
            Ok(AppRequest {
                kind,
                request: own.request,
                websocket: own.websocket,
            })
        }
        Read::Http(read) => {
            let parts = read(&event, &shape)?;
            let request = http_request(parts, shape.request_context, ctx, options)?;
            Ok(AppRequest {
                kind,
                request,
                websocket: None,
            })
        }
    }
}

fn http_request(
    parts: parts::EventParts,
    request_context: Option<&RawValue>,
    ctx: &InvocationContext,
    options: &TranslateOptions,
) -> Result<Request<Bytes>, EventError> {
    if parts.method == Method::CONNECT {
        return Err(EventError::ConnectMethod);
    }
    let path = match &options.remove_base_path {
        Some(base) => uri::remove_base_path(&parts.path, base),
        None => parts.path,
    };
    let uri = uri::app_uri(&options.app, &path, &parts.query)?;
    let mut headers = parts.headers;
    owned::remove(&mut headers, &REQUEST_FRAMING);
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

/// The event's `requestContext`: the JSON text as the event carried it, or a parsed value.
pub(crate) enum RequestContext<'a> {
    Raw(&'a RawValue),
    Parsed(&'a Value),
}

impl RequestContext<'_> {
    /// Compact JSON for the `x-amzn-request-context` header. The raw text is used as it is when it fits in a
    /// header (Lambda's events are compact); pretty-printed text is re-serialised.
    fn header_value(&self) -> Option<HeaderValue> {
        match self {
            RequestContext::Raw(raw) if raw.get() == "null" => None,
            RequestContext::Raw(raw) => header_text::value(Bytes::copy_from_slice(raw.get().as_bytes()), Charset::Field).or_else(|| {
                let value: Value = serde_json::from_str(raw.get()).ok()?;
                header_text::value(value.to_string(), Charset::Field)
            }),
            RequestContext::Parsed(value) if value.is_null() => None,
            RequestContext::Parsed(value) => header_text::value(value.to_string(), Charset::Field),
        }
    }
}

/// Adds the context headers. The client's copies must already be gone ([`owned::remove`]).
pub(crate) fn add_context_headers(
    headers: &mut HeaderMap,
    request_context: Option<RequestContext>,
    ctx: &InvocationContext,
    options: &TranslateOptions,
) {
    if let Some(value) = request_context.and_then(|c| c.header_value()) {
        headers.insert(REQUEST_CONTEXT, value);
    }
    // The built strings become the header values as they are (`Bytes` from a `String` is no copy). A context
    // with characters a header cannot carry (non-ASCII in a client context, say) is built again with them as
    // JSON escapes.
    let context = header_text::value(ctx.to_json(&options.function_env), Charset::Ascii)
        .or_else(|| header_text::value(json::ascii_escaped(&ctx.to_json(&options.function_env)), Charset::Ascii));
    if let Some(value) = context {
        headers.insert(LAMBDA_CONTEXT, value);
    }
    if let Some(value) = ctx.tenant_id.as_deref().and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert(TENANT_ID, value);
    }
    if let Some(value) = ctx.trace_id.as_deref().and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert(TRACE_ID, value);
    }
    add_traceparent(headers, ctx);
    let wait_until = websocket::wait_until_url(options.ws.callback_port, &ctx.request_id);
    if let Some(value) = header_text::value(wait_until, Charset::Ascii) {
        headers.insert(WAIT_UNTIL, value);
    }
}

/// W3C `traceparent`: the client's own when it sent a valid one (its first valid one, once), else this invocation's
/// from Lambda's trace header ([`crate::trace_context`]), else none.
fn add_traceparent(headers: &mut HeaderMap, ctx: &InvocationContext) {
    let client = headers
        .get_all(TRACEPARENT)
        .iter()
        .find(|value| crate::trace_context::is_valid(value.as_bytes()))
        .cloned();
    let ours = || ctx.trace_id.as_deref().and_then(crate::trace_context::from_xray);
    // `insert` replaces every value the client sent; with nothing to insert, they are removed.
    match client.or_else(ours) {
        Some(value) => {
            headers.insert(TRACEPARENT, value);
        }
        None => {
            headers.remove(TRACEPARENT);
        }
    }
}

/// The app's request from its parts. A `POST`, `PUT` or `PATCH` without a body says `Content-Length: 0`
/// (RFC 9110 § 8.6; some servers answer 411 without it); other body-less requests carry none. hyper sets the
/// length of a non-empty body itself.
pub fn build(method: Method, uri: Uri, mut headers: HeaderMap, body: Bytes) -> Request<Bytes> {
    if body.is_empty() && matches!(method, Method::POST | Method::PUT | Method::PATCH) {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
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
