//! The bytes of Lambda's HTTP response streaming format that are not the app's body: the JSON prelude, the
//! eight-NUL separator, and the error trailers; with the prelude's decoder beside its encoder.
//!
//! The prelude always carries `cookies` (an empty array when there are none): cargo-lambda's emulator
//! requires it. For API Gateway REST streaming (`responseTransferMode: STREAM`) repeated headers also go in
//! `multiValueHeaders`, which that integration's format accepts. Errors after the prelude travel as real
//! HTTP trailers, `Lambda-Runtime-Function-Error-Type` and `Lambda-Runtime-Function-Error-Body` (base64 of
//! the error JSON), never as text in the body.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value};

use crate::error::Diagnostic;
use crate::response::meta::ResponseMeta;
use crate::runtime_api::requests::{ERROR_BODY_TRAILER, ERROR_TYPE_HEADER};
use crate::wire::{DecodeError, Head, add_cookies, add_multi, add_single, json, status};

/// The separator between the prelude and the body.
pub const SEPARATOR: &[u8; 8] = &[0; 8];

/// The prelude JSON. `multi_value` adds `multiValueHeaders` (REST API streaming).
pub fn encode(meta: &ResponseMeta, multi_value: bool) -> Bytes {
    let mut out = Vec::with_capacity(256);
    json::object(&mut out, |prelude| {
        json::value(prelude.key("statusCode"), &meta.status);
        meta.write_joined_headers(prelude.key("headers"), None);
        if multi_value {
            meta.write_multi_value_headers(prelude.key("multiValueHeaders"), false);
        }
        json::value(prelude.key("cookies"), &meta.cookies);
    });
    Bytes::from(out)
}

/// The trailers that end a failed stream.
pub(crate) fn error_trailers(diagnostic: &Diagnostic) -> HeaderMap {
    // Two strings always serialise; the fallback only keeps this total.
    let json = serde_json::to_vec(diagnostic).unwrap_or_else(|_| b"{}".to_vec());
    let body = base64::engine::general_purpose::STANDARD.encode(json);
    let mut trailers = HeaderMap::new();
    let error_type: String = diagnostic.error_type.chars().filter(|c| c.is_ascii_graphic()).collect();
    trailers.insert(
        ERROR_TYPE_HEADER,
        HeaderValue::from_str(&error_type).unwrap_or(HeaderValue::from_static("Unknown")),
    );
    if let Ok(value) = HeaderValue::from_str(&body) {
        trailers.insert(ERROR_BODY_TRAILER, value);
    }
    trailers
}

/// Decodes a prelude (the JSON before the separator) into the client's status and headers: `statusCode`
/// (200 when absent), `headers`, `cookies`, and `multiValueHeaders` (REST API streaming), which wins over
/// `headers` for a name in both.
pub fn decode(bytes: &[u8]) -> Result<Head, DecodeError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Head {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
        });
    }
    let value: Value = serde_json::from_slice(bytes).map_err(DecodeError::PreludeNotJson)?;
    let prelude: &Map<String, Value> = value.as_object().ok_or(DecodeError::PreludeNotObject)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::meta::{values, varied};
    use serde_json::json;

    #[test]
    fn prelude_has_cookies_even_when_empty() {
        let meta = ResponseMeta {
            status: 204,
            ..Default::default()
        };
        assert_eq!(&encode(&meta, false)[..], br#"{"statusCode":204,"headers":{},"cookies":[]}"#);
    }

    #[test]
    fn prelude_joins_repeats_and_lists_cookies() {
        let mut headers = HeaderMap::new();
        headers.append("content-type", "text/event-stream".parse().unwrap());
        headers.append("vary", "a".parse().unwrap());
        headers.append("vary", "b".parse().unwrap());
        headers.append("set-cookie", "x=1".parse().unwrap());
        headers.append("set-cookie", "y=2".parse().unwrap());
        let meta = ResponseMeta::new(200, &headers);
        let value: Value = serde_json::from_slice(&encode(&meta, false)).unwrap();
        assert_eq!(
            value,
            json!({"statusCode": 200, "headers": {"content-type": "text/event-stream", "vary": "a,b"}, "cookies": ["x=1", "y=2"]})
        );
        let value: Value = serde_json::from_slice(&encode(&meta, true)).unwrap();
        assert_eq!(
            value["multiValueHeaders"],
            json!({"content-type": ["text/event-stream"], "vary": ["a", "b"]})
        );
    }

    #[test]
    fn trailers_carry_type_and_base64_json() {
        let diagnostic = Diagnostic {
            error_type: "LambdaAdapter.AppBodyError".into(),
            error_message: "connection reset".into(),
        };
        let trailers = error_trailers(&diagnostic);
        assert_eq!(trailers[ERROR_TYPE_HEADER], "LambdaAdapter.AppBodyError");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(trailers[ERROR_BODY_TRAILER].as_bytes())
            .unwrap();
        let value: Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(
            value,
            json!({"errorType": "LambdaAdapter.AppBodyError", "errorMessage": "connection reset"})
        );
    }

    #[test]
    fn decoding_reads_what_encoding_wrote() {
        let head = decode(&encode(&varied(), true)).unwrap();
        assert_eq!(head.status, 201);
        assert_eq!(values(&head.headers, "set-cookie"), ["a=1", "b=2; Path=/"]);
        assert_eq!(values(&head.headers, "content-type"), ["image/png"]);
        assert_eq!(values(&head.headers, "x-multi"), ["a", "b"]);
        let head = decode(&encode(&varied(), false)).unwrap();
        assert_eq!(values(&head.headers, "x-multi"), ["a,b"]);
        let head = decode(br#"{"headers":{"content-type":"text/event-stream","transfer-encoding":"chunked"}}"#).unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.headers.len(), 1);
        assert_eq!(decode(b"").unwrap().status, 200);
        assert!(decode(b"[1]").is_err());
        assert!(decode(br#"{"statusCode": 1000}"#).is_err());
    }
}
