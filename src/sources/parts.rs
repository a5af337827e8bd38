//! What every HTTP source's reader produces, and the pieces of reading they share.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Method, header};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::EventError;
use super::detect::Shape;
use super::event::Event;
use super::source::Source;
use crate::net::header_text::{self, Charset};

/// The request an event describes, with path and query ready for the request line.
#[derive(Debug)]
pub(super) struct EventParts {
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

/// Reads `event` as `kind`'s `aws_lambda_events` type; the error names the source.
pub(super) fn parse<'a, T: Deserialize<'a>>(event: &'a Event, kind: &'static Source) -> Result<T, EventError> {
    event.utf8(kind)?;
    event.parse().map_err(|error| EventError::Malformed { kind, error })
}

/// Query pairs in the event's own order, from the multi-value map when present (REST, ALB, VPC Lattice).
/// `aws_lambda_events` keeps them in a `HashMap`, which would shuffle keys, so they are read from the JSON.
pub(super) fn query_pairs(shape: &Shape) -> Vec<(String, String)> {
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
        // A string per key (REST, ALB), or an array of strings (VPC Lattice).
        for (key, value) in single {
            match value {
                Value::String(value) => pairs.push((key, value)),
                Value::Array(values) => pairs.extend(values.iter().filter_map(Value::as_str).map(|v| (key.clone(), v.to_string()))),
                _ => {}
            }
        }
    }
    pairs
}

pub(super) fn method(text: &str) -> Result<Method, EventError> {
    Method::from_bytes(text.as_bytes()).map_err(|_| EventError::BadMethod(text.into()))
}

/// Joins the v2 `cookies` array into one `Cookie` header. The array is authoritative: Function URL events
/// may also carry a `cookie` header with the same values, which would otherwise arrive twice.
pub(super) fn add_cookies(headers: &mut HeaderMap, cookies: &[String]) -> Result<(), EventError> {
    if cookies.is_empty() {
        return Ok(());
    }
    // `HeaderValue::from_str`'s rule (visible ASCII, space and tab), checked a word at a time, and the joined
    // string becomes the value without a copy.
    let value = header_text::value(cookies.join("; "), Charset::Ascii).ok_or(EventError::BadCookie)?;
    headers.insert(header::COOKIE, value);
    Ok(())
}

/// The event's body, decoded from base64 when marked so.
pub(super) fn body(body: Option<String>, is_base64: bool) -> Result<Bytes, EventError> {
    match body {
        None => Ok(Bytes::new()),
        Some(text) if is_base64 => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(Bytes::from)
            .map_err(EventError::BadBase64),
        Some(text) => Ok(Bytes::from(text)),
    }
}
