//! Reads each HTTP event kind, through its `aws_lambda_events` type, into the parts of the app's request.

use aws_lambda_events::event::alb::AlbTargetGroupRequest;
use aws_lambda_events::event::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, header};
use serde::Deserialize;
use serde_json::Value;

use super::detect::{EventKind, Shape};
use super::uri;
use serde_json::value::RawValue;

/// The request an event describes, with path and query ready for the request line.
#[derive(Debug)]
pub struct EventParts {
    pub method: Method,
    /// Encoded path.
    pub path: String,
    /// Encoded query, without `?`; may be empty.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The client's address, when the event carries it.
    pub source_ip: Option<String>,
}

/// Reads `event` as `kind`, from its JSON text; `shape` is what detection read of it.
pub fn read_bytes(kind: EventKind, event: &[u8], shape: &Shape) -> Result<EventParts, String> {
    match kind {
        EventKind::FunctionUrl => function_url(parse(event, kind)?),
        EventKind::HttpApi => http_api(parse(event, kind)?),
        EventKind::RestApi => rest_api(parse(event, kind)?, shape),
        EventKind::Alb { multi_value } => alb(parse(event, kind)?, shape, multi_value),
        EventKind::WebSocket | EventKind::PassThrough => Err(format!("{} events are not HTTP requests", kind.name())),
    }
}

/// Reads an already parsed `event` as `kind` (for callers that hold a `Value`).
pub fn read(kind: EventKind, event: &Value) -> Result<EventParts, String> {
    let text = event.to_string();
    let shape = Shape::read(text.as_bytes()).ok().flatten().unwrap_or_default();
    read_bytes(kind, text.as_bytes(), &shape)
}

fn parse<'a, T: Deserialize<'a>>(event: &'a [u8], kind: EventKind) -> Result<T, String> {
    serde_json::from_slice(event).map_err(|e| format!("the event looks like a {} event but does not parse as one: {e}", kind.name()))
}

fn function_url(event: LambdaFunctionUrlRequest) -> Result<EventParts, String> {
    let method = method(event.request_context.http.method.as_deref().unwrap_or("GET"))?;
    let path = event.raw_path.or(event.request_context.http.path).unwrap_or_else(|| "/".into());
    let mut headers = event.headers;
    add_cookies(&mut headers, event.cookies.as_deref().unwrap_or_default())?;
    Ok(EventParts {
        method,
        path: uri::raw_path(&path),
        query: uri::raw(event.raw_query_string.as_deref().unwrap_or("")),
        headers,
        body: body(event.body, event.is_base64_encoded)?,
        source_ip: event.request_context.http.source_ip,
    })
}

fn http_api(event: ApiGatewayV2httpRequest) -> Result<EventParts, String> {
    let http = event.request_context.http;
    let path = event.raw_path.or(http.path).unwrap_or_else(|| "/".into());
    let mut headers = event.headers;
    add_cookies(&mut headers, event.cookies.as_deref().unwrap_or_default())?;
    Ok(EventParts {
        method: http.method,
        path: uri::raw_path(&path),
        query: uri::raw(event.raw_query_string.as_deref().unwrap_or("")),
        headers,
        body: body(event.body, event.is_base64_encoded)?,
        source_ip: http.source_ip,
    })
}

fn rest_api(event: ApiGatewayProxyRequest, shape: &Shape) -> Result<EventParts, String> {
    let path = event.path.unwrap_or_else(|| "/".into());
    let pairs = query_pairs(shape);
    let headers = if event.multi_value_headers.is_empty() {
        event.headers
    } else {
        event.multi_value_headers
    };
    Ok(EventParts {
        method: event.http_method,
        path: uri::encode_path(&path),
        query: uri::encode_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        headers,
        body: body(event.body, event.is_base64_encoded)?,
        source_ip: event.request_context.identity.source_ip,
    })
}

fn alb(event: AlbTargetGroupRequest, shape: &Shape, multi_value: bool) -> Result<EventParts, String> {
    let path = event.path.unwrap_or_else(|| "/".into());
    let pairs = query_pairs(shape);
    let headers = if multi_value { event.multi_value_headers } else { event.headers };
    Ok(EventParts {
        method: event.http_method,
        path: uri::raw_path(&path),
        query: uri::raw_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        headers,
        body: body(event.body, event.is_base64_encoded)?,
        source_ip: None,
    })
}

/// Query pairs in the event's own order, from the multi-value map when present (REST, ALB).
/// `aws_lambda_events` keeps them in a `HashMap`, which would shuffle keys, so they are read from the JSON.
fn query_pairs(shape: &Shape) -> Vec<(String, String)> {
    let map = |raw: Option<&RawValue>| {
        raw.and_then(|r| serde_json::from_str::<serde_json::Map<String, Value>>(r.get()).ok())
            .filter(|m| !m.is_empty())
    };
    let mut pairs = Vec::new();
    if let Some(multi) = map(shape.multi_value_query) {
        for (key, values) in multi {
            match values {
                Value::Array(values) => pairs.extend(values.iter().filter_map(Value::as_str).map(|v| (key.clone(), v.to_string()))),
                Value::String(value) => pairs.push((key, value)),
                _ => {}
            }
        }
    } else if let Some(single) = map(shape.query) {
        pairs.extend(single.into_iter().filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string()))));
    }
    pairs
}

fn method(text: &str) -> Result<Method, String> {
    Method::from_bytes(text.as_bytes()).map_err(|_| format!("`{text}` is not an HTTP method"))
}

/// Joins the v2 `cookies` array into one `Cookie` header. The array is authoritative: Function URL events
/// may also carry a `cookie` header with the same values, which would otherwise arrive twice.
fn add_cookies(headers: &mut HeaderMap, cookies: &[String]) -> Result<(), String> {
    if cookies.is_empty() {
        return Ok(());
    }
    let value =
        HeaderValue::from_str(&cookies.join("; ")).map_err(|_| "a cookie in `cookies` has characters a header cannot carry".to_string())?;
    headers.insert(header::COOKIE, value);
    Ok(())
}

fn body(body: Option<String>, is_base64: bool) -> Result<Bytes, String> {
    match body {
        None => Ok(Bytes::new()),
        Some(text) if is_base64 => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(Bytes::from)
            .map_err(|e| format!("`body` is marked isBase64Encoded but is not valid base64: {e}")),
        Some(text) => Ok(Bytes::from(text)),
    }
}
