//! Event sources: each one's event as the app's HTTP request, and the format its answer goes back in.
//!
//! One file per source, owning how its event is read, the document its answer takes and whether it can
//! take a stream: `function_url`, `http_api`, `rest_api`, `alb`, `vpc_lattice`, [`websocket`]
//! and `pass_through`. Which source sent an event is told by its shape, in one place (`detect`).
//! Adding a source is one file here and one [`EventKind`] arm. What an event can get wrong is an
//! [`EventError`] (`error`), which [`translate`] reports as Lambda's `InvalidEvent`.
//!
//! Every source's request gets the context headers apps of the reference adapter rely on. Headers whose
//! meaning the adapter owns (`owned`) are removed from what the client sent first, for every source, so a
//! client cannot forge its identity, its authorizer claims or a WebSocket callback. The app's address comes
//! from configuration alone ([`crate::net::uri::app_uri`]).

mod alb;
pub(crate) mod detect;
mod error;
mod function_url;
mod http_api;
pub(crate) mod owned;
mod parts;
mod pass_through;
mod rest_api;
mod vpc_lattice;
pub mod websocket;

use bytes::Bytes;
use http::uri::Authority;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri, header};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::Config;
use crate::context::{FunctionEnv, InvocationContext};
use crate::error::AdapterError;
use crate::net::uri;
use crate::wire::Format;
pub use error::EventError;
pub use owned::{LAMBDA_CONTEXT, REQUEST_CONTEXT, TENANT_ID, TRACE_ID, WAIT_UNTIL};
use websocket::{WsEvent, WsRoutes};

/// The W3C trace context header OpenTelemetry SDKs read.
const TRACEPARENT: &str = "traceparent";

/// Framing headers of the client's request, which the adapter sets anew for the app.
const REQUEST_FRAMING: [&str; 2] = ["content-length", "expect"];

/// The event sources the adapter knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// Lambda Function URL (payload 2.0); can stream.
    FunctionUrl,
    /// API Gateway HTTP API (payload 2.0) on an `execute-api` domain or a listed custom domain; buffered only.
    HttpApi,
    /// API Gateway REST API (payload 1.0); streams only when the user opts in.
    RestApi,
    /// Application Load Balancer; `multi_value` when the target group sends multi-value headers.
    Alb { multi_value: bool },
    /// Amazon VPC Lattice (v2 payload); buffered only.
    VpcLattice,
    /// API Gateway WebSocket API.
    WebSocket,
    /// Anything else (SQS, S3, EventBridge, a direct invoke): posted as-is to the pass-through path.
    PassThrough,
}

/// How a source can take a streamed answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Streaming {
    /// `multiValueHeaders` in the prelude (REST API streaming).
    pub multi_value: bool,
}

impl EventKind {
    /// The sources `dev --event` emulates, in the order its help lists them.
    pub const DEV: [EventKind; 6] = [
        EventKind::FunctionUrl,
        EventKind::HttpApi,
        EventKind::RestApi,
        EventKind::Alb { multi_value: false },
        EventKind::Alb { multi_value: true },
        EventKind::VpcLattice,
    ];

    /// A short name for logs and messages.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::FunctionUrl => "Function URL",
            EventKind::HttpApi => "API Gateway HTTP API",
            EventKind::RestApi => "API Gateway REST API",
            EventKind::Alb { .. } => "ALB",
            EventKind::VpcLattice => "VPC Lattice",
            EventKind::WebSocket => "API Gateway WebSocket",
            EventKind::PassThrough => "pass-through",
        }
    }

    /// The `dev --event` value.
    pub fn flag(self) -> &'static str {
        match self {
            EventKind::FunctionUrl => "function-url",
            EventKind::HttpApi => "apigw-http",
            EventKind::RestApi => "apigw-rest",
            EventKind::Alb { multi_value: false } => "alb",
            EventKind::Alb { multi_value: true } => "alb-multi",
            EventKind::VpcLattice => "vpc-lattice",
            EventKind::WebSocket => "websocket",
            EventKind::PassThrough => "pass-through",
        }
    }

    /// The kind a `dev --event` value names.
    pub fn from_flag(text: &str) -> Option<EventKind> {
        EventKind::DEV.into_iter().find(|kind| kind.flag() == text)
    }

    /// A longer name, for `dev`'s banner.
    pub fn describe(self) -> &'static str {
        match self {
            EventKind::FunctionUrl => "Lambda Function URL (payload 2.0)",
            EventKind::HttpApi => "API Gateway HTTP API (payload 2.0)",
            EventKind::RestApi => "API Gateway REST API (payload 1.0)",
            EventKind::Alb { multi_value: false } => "Application Load Balancer (single-value headers)",
            EventKind::Alb { multi_value: true } => "Application Load Balancer (multi-value headers)",
            EventKind::VpcLattice => "Amazon VPC Lattice (v2 payload)",
            EventKind::WebSocket => "API Gateway WebSocket API",
            EventKind::PassThrough => "a non-HTTP event",
        }
    }

    /// The document a buffered answer takes; `None` for pass-through events, answered with the app's body.
    pub fn format(self) -> Option<Format> {
        match self {
            EventKind::FunctionUrl => Some(function_url::FORMAT),
            EventKind::HttpApi => Some(http_api::FORMAT),
            EventKind::RestApi => Some(rest_api::FORMAT),
            EventKind::Alb { multi_value } => Some(alb::format(multi_value)),
            EventKind::VpcLattice => Some(vpc_lattice::FORMAT),
            EventKind::WebSocket => Some(websocket::FORMAT),
            EventKind::PassThrough => None,
        }
    }

    /// Whether this source can take a streamed answer: Function URLs always, REST APIs when the user says
    /// the integration streams (`rest_streaming`); the others only read a whole document.
    pub fn streaming(self, rest_streaming: bool) -> Option<Streaming> {
        match self {
            EventKind::FunctionUrl => Some(Streaming { multi_value: false }),
            EventKind::RestApi if rest_streaming => Some(Streaming { multi_value: true }),
            _ => None,
        }
    }

    /// The largest request body the source delivers, and the largest buffered answer it accepts (ALB's
    /// limits for Lambda targets are 1 MB each; Lambda's own is 6 MB).
    pub fn limits(self) -> (usize, usize) {
        const MB: usize = 1024 * 1024;
        match self {
            EventKind::Alb { .. } => (MB, MB),
            _ => (6 * MB, 6 * MB),
        }
    }
}

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
    pub kind: EventKind,
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
    let shape = detect::Shape::read(event).map_err(EventError::NotJson)?;
    let (kind, shape) = match shape {
        Some(shape) => (shape.kind(&options.http_api_domains), shape),
        None => (EventKind::PassThrough, detect::Shape::default()),
    };
    let parts = match kind {
        EventKind::PassThrough => {
            let request = pass_through::request(event, ctx, options)?;
            return Ok(AppRequest {
                kind,
                request,
                websocket: None,
            });
        }
        EventKind::WebSocket => {
            let value: Value = serde_json::from_slice(event).map_err(EventError::NotJson)?;
            let (request, websocket) = websocket::request(&value, ctx, options)?;
            return Ok(AppRequest {
                kind,
                request,
                websocket: Some(websocket),
            });
        }
        EventKind::FunctionUrl => function_url::read(event)?,
        EventKind::HttpApi => http_api::read(event)?,
        EventKind::RestApi => rest_api::read(event, &shape)?,
        EventKind::Alb { multi_value } => alb::read(event, &shape, multi_value)?,
        EventKind::VpcLattice => vpc_lattice::read(event, &shape)?,
    };
    let request = http_request(parts, shape.request_context, ctx, options)?;
    Ok(AppRequest {
        kind,
        request,
        websocket: None,
    })
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
    crate::net::headers::remove_hop_by_hop(&mut headers, &REQUEST_FRAMING);
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
    add_traceparent(headers, ctx);
    let wait_until = websocket::wait_until_url(options.ws.callback_port, &ctx.request_id);
    if let Ok(value) = HeaderValue::from_str(&wait_until) {
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
    headers.remove(TRACEPARENT);
    let ours = || {
        ctx.trace_id
            .as_deref()
            .and_then(crate::trace_context::from_xray)
            .and_then(|t| HeaderValue::from_str(&t).ok())
    };
    if let Some(value) = client.or_else(ours) {
        headers.insert(TRACEPARENT, value);
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

#[cfg(test)]
mod vpc_lattice_tests;
