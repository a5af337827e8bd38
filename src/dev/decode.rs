//! The function's answer as the HTTP response the event source would give the client: the buffered JSON
//! document per source, or the streaming prelude.
//!
//! What each source accepts (AWS docs: "Invoking Lambda function URLs", "Create AWS Lambda proxy
//! integrations for HTTP APIs" and "...for REST APIs", "Lambda functions as targets" for ALB):
//! - Function URL and HTTP API (payload 2.0): `statusCode`, `headers` (string values), `cookies[]` (one
//!   `Set-Cookie` each), `body`, `isBase64Encoded`. A payload that is valid JSON without `statusCode` is
//!   taken as the body of a 200 with `content-type: application/json` (Lambda's "inferred" format).
//! - REST API (payload 1.0): `headers` and `multiValueHeaders` merged, a pair present in both sent once.
//! - ALB: `headers` for a single-value target group, `multiValueHeaders` for a multi-value one.
//! - Streaming prelude: `statusCode` (200 when absent), `headers`, `cookies`, and `multiValueHeaders` (REST
//!   API streaming), which wins over `headers` for a name in both.
//!
//! Anything else is a [`DecodeError`], which the front door answers with 502 as the source would. Pure
//! functions over bytes, unit-tested without sockets.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use serde_json::{Map, Value};
use std::fmt;

use super::cli::EventSource;

/// Status and headers for the client.
#[derive(Debug)]
pub struct Head {
    pub status: StatusCode,
    pub headers: HeaderMap,
}

/// A whole buffered response.
#[derive(Debug)]
pub struct Decoded {
    pub head: Head,
    pub body: Bytes,
}

/// The function's answer does not fit the source's format.
#[derive(Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

fn error(message: impl Into<String>) -> DecodeError {
    DecodeError(message.into())
}

/// Headers that describe a hop, not the response; the front door frames the body itself.
const HOP_BY_HOP: [&str; 4] = ["transfer-encoding", "connection", "keep-alive", "trailer"];

/// Decodes a buffered response document for `source`.
pub fn buffered(source: EventSource, payload: &[u8]) -> Result<Decoded, DecodeError> {
    let value: Value = serde_json::from_slice(payload).map_err(|e| error(format!("the response payload is not JSON: {e}")))?;
    let payload_v2 = matches!(source, EventSource::FunctionUrl | EventSource::ApigwHttp);
    let document = match value.as_object() {
        Some(document) if document.contains_key("statusCode") => document,
        _ if payload_v2 => {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            return Ok(Decoded {
                head: Head {
                    status: StatusCode::OK,
                    headers,
                },
                body: Bytes::copy_from_slice(payload),
            });
        }
        _ => return Err(error("the response document has no `statusCode`")),
    };
    let status = status(&document["statusCode"])?;
    let mut headers = HeaderMap::new();
    match source {
        EventSource::FunctionUrl | EventSource::ApigwHttp => {
            add_single(&mut headers, document.get("headers"))?;
            add_cookies(&mut headers, document.get("cookies"))?;
        }
        EventSource::ApigwRest => {
            add_multi(&mut headers, document.get("multiValueHeaders"))?;
            let mut single = HeaderMap::new();
            add_single(&mut single, document.get("headers"))?;
            for (name, value) in &single {
                if !headers.get_all(name).iter().any(|v| v == value) {
                    headers.append(name, value.clone());
                }
            }
        }
        EventSource::Alb => add_single(&mut headers, document.get("headers"))?,
        EventSource::AlbMulti => add_multi(&mut headers, document.get("multiValueHeaders"))?,
    }
    let body = match document.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) if document.get("isBase64Encoded") == Some(&Value::Bool(true)) => {
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map(Bytes::from)
                .map_err(|e| error(format!("`body` is marked isBase64Encoded but is not valid base64: {e}")))?
        }
        Some(Value::String(text)) => Bytes::from(text.clone()),
        Some(other) => return Err(error(format!("`body` must be a string, not {other}"))),
    };
    Ok(Decoded {
        head: Head { status, headers },
        body,
    })
}

/// Decodes a streaming prelude (the JSON before the eight NUL bytes).
pub fn prelude(bytes: &[u8]) -> Result<Head, DecodeError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Head {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
        });
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| error(format!("the streaming prelude is not JSON: {e}")))?;
    let prelude: &Map<String, Value> = value
        .as_object()
        .ok_or_else(|| error("the streaming prelude is not a JSON object"))?;
    let status = match prelude.get("statusCode") {
        None | Some(Value::Null) => StatusCode::OK,
        Some(code) => status(code)?,
    };
    // REST API streaming preludes may carry a header in both maps (joined in `headers`, split in
    // `multiValueHeaders`); the multi-value form wins so each value is sent once.
    let mut headers = HeaderMap::new();
    add_multi(&mut headers, prelude.get("multiValueHeaders"))?;
    let mut single = HeaderMap::new();
    add_single(&mut single, prelude.get("headers"))?;
    for (name, value) in &single {
        if !headers.contains_key(name) {
            headers.insert(name, value.clone());
        }
    }
    add_cookies(&mut headers, prelude.get("cookies"))?;
    Ok(Head { status, headers })
}

fn status(value: &Value) -> Result<StatusCode, DecodeError> {
    value
        .as_u64()
        .and_then(|code| u16::try_from(code).ok())
        .filter(|code| (100..=599).contains(code))
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| error(format!("`statusCode` must be a number from 100 to 599, not {value}")))
}

fn object<'a>(value: Option<&'a Value>, field: &str) -> Result<Option<&'a Map<String, Value>>, DecodeError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(error(format!("`{field}` must be an object, not {other}"))),
    }
}

fn append(headers: &mut HeaderMap, name: &str, value: &Value) -> Result<(), DecodeError> {
    let text = match value {
        Value::Null => return Ok(()),
        Value::String(text) => text.clone(),
        Value::Number(_) | Value::Bool(_) => value.to_string(),
        other => return Err(error(format!("header `{name}` must have a string value, not {other}"))),
    };
    let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| error(format!("`{name}` is not a valid header name")))?;
    if HOP_BY_HOP.contains(&header_name.as_str()) {
        return Ok(());
    }
    let header_value = HeaderValue::from_str(&text).map_err(|_| error(format!("header `{name}` has characters a header cannot carry")))?;
    headers.append(header_name, header_value);
    Ok(())
}

fn add_single(headers: &mut HeaderMap, value: Option<&Value>) -> Result<(), DecodeError> {
    for (name, value) in object(value, "headers")?.into_iter().flatten() {
        append(headers, name, value)?;
    }
    Ok(())
}

fn add_multi(headers: &mut HeaderMap, value: Option<&Value>) -> Result<(), DecodeError> {
    for (name, values) in object(value, "multiValueHeaders")?.into_iter().flatten() {
        match values {
            Value::Array(values) => values.iter().try_for_each(|value| append(headers, name, value))?,
            Value::Null => {}
            other => return Err(error(format!("`multiValueHeaders.{name}` must be an array, not {other}"))),
        }
    }
    Ok(())
}

fn add_cookies(headers: &mut HeaderMap, value: Option<&Value>) -> Result<(), DecodeError> {
    match value {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(cookies)) => cookies.iter().try_for_each(|cookie| append(headers, "set-cookie", cookie)),
        Some(other) => Err(error(format!("`cookies` must be an array of strings, not {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffered::document;
    use crate::translate::EventKind;
    use crate::translate::response::ResponseMeta;

    /// A response with everything that varies between the formats.
    fn meta() -> ResponseMeta {
        let mut headers = HeaderMap::new();
        headers.append("content-type", "image/png".parse().unwrap());
        headers.append("x-multi", "a".parse().unwrap());
        headers.append("x-multi", "b".parse().unwrap());
        headers.append("set-cookie", "a=1".parse().unwrap());
        headers.append("set-cookie", "b=2; Path=/".parse().unwrap());
        ResponseMeta::new(201, &headers)
    }

    fn values(headers: &HeaderMap, name: &str) -> Vec<String> {
        headers.get_all(name).iter().map(|v| v.to_str().unwrap().to_string()).collect()
    }

    /// What the adapter encodes, decoded again: the round trip every buffered request takes in `dev`.
    fn round_trip(source: EventSource, kind: EventKind) -> Decoded {
        let payload = document::encode(kind, &meta(), &[0, 1, 255], false);
        buffered(source, &payload).unwrap()
    }

    #[test]
    fn payload_v2_round_trip() {
        for (source, kind) in [
            (EventSource::FunctionUrl, EventKind::FunctionUrl),
            (EventSource::ApigwHttp, EventKind::HttpApi),
        ] {
            let decoded = round_trip(source, kind);
            assert_eq!(decoded.head.status, 201);
            assert_eq!(values(&decoded.head.headers, "x-multi"), ["a,b"]);
            assert_eq!(values(&decoded.head.headers, "set-cookie"), ["a=1", "b=2; Path=/"]);
            assert_eq!(&decoded.body[..], &[0, 1, 255]);
        }
    }

    #[test]
    fn rest_round_trip_sends_each_value_once() {
        let decoded = round_trip(EventSource::ApigwRest, EventKind::RestApi);
        assert_eq!(values(&decoded.head.headers, "x-multi"), ["a", "b"]);
        assert_eq!(values(&decoded.head.headers, "content-type"), ["image/png"]);
        assert_eq!(values(&decoded.head.headers, "set-cookie"), ["a=1", "b=2; Path=/"]);
    }

    #[test]
    fn alb_round_trips() {
        let multi = round_trip(EventSource::AlbMulti, EventKind::Alb { multi_value: true });
        assert_eq!(values(&multi.head.headers, "set-cookie"), ["a=1", "b=2; Path=/"]);
        let single = round_trip(EventSource::Alb, EventKind::Alb { multi_value: false });
        assert_eq!(values(&single.head.headers, "set-cookie"), ["b=2; Path=/"]);
        assert_eq!(values(&single.head.headers, "x-multi"), ["a,b"]);
    }

    #[test]
    fn payload_v2_infers_a_200_for_json_without_status() {
        let decoded = buffered(EventSource::FunctionUrl, br#"{"hello":"world"}"#).unwrap();
        assert_eq!(decoded.head.status, 200);
        assert_eq!(decoded.head.headers["content-type"], "application/json");
        assert_eq!(&decoded.body[..], br#"{"hello":"world"}"#);
        assert!(buffered(EventSource::ApigwRest, br#"{"hello":"world"}"#).is_err());
    }

    #[test]
    fn malformed_documents_are_errors_not_panics() {
        for (source, payload) in [
            (EventSource::FunctionUrl, &b"not json"[..]),
            (EventSource::FunctionUrl, br#"{"statusCode": 42}"#),
            (EventSource::FunctionUrl, br#"{"statusCode": "200"}"#),
            (EventSource::FunctionUrl, br#"{"statusCode": 200, "headers": ["x"]}"#),
            (EventSource::FunctionUrl, br#"{"statusCode": 200, "headers": {"bad name": "x"}}"#),
            (EventSource::FunctionUrl, br#"{"statusCode": 200, "headers": {"x": "a\nb"}}"#),
            (EventSource::FunctionUrl, br#"{"statusCode": 200, "cookies": "a=1"}"#),
            (
                EventSource::FunctionUrl,
                br#"{"statusCode": 200, "body": "%%", "isBase64Encoded": true}"#,
            ),
            (EventSource::ApigwRest, br#"{"statusCode": 200, "multiValueHeaders": {"x": "a"}}"#),
            (EventSource::Alb, br#"{"statusCode": 200, "body": 5}"#),
        ] {
            assert!(
                buffered(source, payload).is_err(),
                "{source:?} {}",
                String::from_utf8_lossy(payload)
            );
        }
    }

    #[test]
    fn preludes() {
        let head = prelude(&crate::stream::prelude::encode(&meta(), true)).unwrap();
        assert_eq!(head.status, 201);
        assert_eq!(values(&head.headers, "set-cookie"), ["a=1", "b=2; Path=/"]);
        assert_eq!(values(&head.headers, "content-type"), ["image/png"]);
        assert_eq!(values(&head.headers, "x-multi"), ["a", "b"]);
        let head = prelude(&crate::stream::prelude::encode(&meta(), false)).unwrap();
        assert_eq!(values(&head.headers, "x-multi"), ["a,b"]);
        let head = prelude(br#"{"headers":{"content-type":"text/event-stream","transfer-encoding":"chunked"}}"#).unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.headers.len(), 1);
        assert_eq!(prelude(b"").unwrap().status, 200);
        assert!(prelude(b"[1]").is_err());
        assert!(prelude(br#"{"statusCode": 1000}"#).is_err());
    }
}
