//! The buffered response document, in each event source's documented format.
//!
//! - Function URL and HTTP API (payload 2.0): `statusCode`, `headers` (repeated values joined with `,`),
//!   `cookies` (one entry per `Set-Cookie`), `body`, `isBase64Encoded`.
//! - REST API (payload 1.0): `statusCode`, `headers` holding the headers that have one value, and
//!   `multiValueHeaders` holding every header with all its values, `Set-Cookie` included. API Gateway merges
//!   the two maps and drops a pair that appears in both, so nothing is sent twice.
//! - ALB: `statusCode`, `statusDescription` (`"200 OK"`), and `multiValueHeaders` when the request came with
//!   multi-value headers, else `headers`. A plain `headers` map can hold one `Set-Cookie`; the last is kept
//!   (as ALB itself does) and the caller warns.
//! - WebSocket: `statusCode`; `headers` with `Sec-WebSocket-Protocol` only, the one header API Gateway passes
//!   back (on `$connect`); `body` only when there is one, so an event with nothing to say sends no frame.
//!
//! Serialised by hand rather than through `aws_lambda_events`' response types, which always write both
//! header maps and keep only the first value of a repeated header.

use base64::Engine;
use bytes::Bytes;
use serde_json::{Map, Value};

use crate::translate::EventKind;
use crate::translate::response::ResponseMeta;

/// Builds the JSON document for an HTTP event source. `text` says whether `body` goes as text or base64.
pub fn encode(kind: EventKind, meta: &ResponseMeta, body: &[u8], text: bool) -> Bytes {
    let mut doc = Map::new();
    doc.insert("statusCode".into(), meta.status.into());
    match kind {
        EventKind::Alb { multi_value } => {
            doc.insert("statusDescription".into(), status_description(meta.status).into());
            if multi_value {
                doc.insert("multiValueHeaders".into(), Value::Object(meta.multi_value_headers(true)));
            } else {
                let mut headers = meta.joined_headers();
                if let Some(last) = meta.cookies.last() {
                    headers.insert("set-cookie".into(), last.clone().into());
                }
                doc.insert("headers".into(), Value::Object(headers));
            }
        }
        EventKind::RestApi => {
            let single = meta
                .headers
                .iter()
                .filter(|(_, values)| values.len() == 1)
                .map(|(name, values)| (name.clone(), Value::from(values[0].clone())));
            let mut headers: Map<String, Value> = single.collect();
            if let [cookie] = meta.cookies.as_slice() {
                headers.insert("set-cookie".into(), cookie.clone().into());
            }
            doc.insert("headers".into(), Value::Object(headers));
            doc.insert("multiValueHeaders".into(), Value::Object(meta.multi_value_headers(true)));
        }
        EventKind::WebSocket => {
            if let Some(protocol) = meta.joined_headers().remove("sec-websocket-protocol") {
                doc.insert("headers".into(), serde_json::json!({ "Sec-WebSocket-Protocol": protocol }));
            }
            if body.is_empty() {
                return Bytes::from(Value::Object(doc).to_string());
            }
        }
        EventKind::FunctionUrl | EventKind::HttpApi | EventKind::PassThrough => {
            doc.insert("headers".into(), Value::Object(meta.joined_headers()));
            doc.insert("cookies".into(), meta.cookies_json());
        }
    }
    let (body, is_base64) = if text {
        (String::from_utf8_lossy(body).into_owned(), false)
    } else {
        (base64::engine::general_purpose::STANDARD.encode(body), true)
    };
    doc.insert("body".into(), body.into());
    doc.insert("isBase64Encoded".into(), is_base64.into());
    Bytes::from(Value::Object(doc).to_string())
}

/// `"200 OK"`, as ALB wants it.
pub fn status_description(status: u16) -> String {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    format!("{status} {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use serde_json::json;

    fn meta() -> ResponseMeta {
        let mut headers = HeaderMap::new();
        headers.append("content-type", "text/plain".parse().unwrap());
        headers.append("x-multi", "a".parse().unwrap());
        headers.append("x-multi", "b".parse().unwrap());
        for cookie in ["a=1", "b=2", "c=3; HttpOnly"] {
            headers.append("set-cookie", cookie.parse().unwrap());
        }
        ResponseMeta::new(201, &headers)
    }

    fn doc(kind: EventKind, body: &[u8], text: bool) -> Value {
        serde_json::from_slice(&encode(kind, &meta(), body, text)).unwrap()
    }

    #[test]
    fn payload_v2() {
        assert_eq!(
            doc(EventKind::FunctionUrl, b"hi", true),
            json!({"statusCode": 201, "headers": {"content-type": "text/plain", "x-multi": "a,b"},
                   "cookies": ["a=1", "b=2", "c=3; HttpOnly"], "body": "hi", "isBase64Encoded": false})
        );
    }

    #[test]
    fn payload_v1_keeps_every_value() {
        assert_eq!(
            doc(EventKind::RestApi, &[0, 1, 255], false),
            json!({"statusCode": 201, "headers": {"content-type": "text/plain"},
                   "multiValueHeaders": {"content-type": ["text/plain"], "x-multi": ["a", "b"], "set-cookie": ["a=1", "b=2", "c=3; HttpOnly"]},
                   "body": "AAH/", "isBase64Encoded": true})
        );
    }

    #[test]
    fn alb_matches_request_form() {
        assert_eq!(
            doc(EventKind::Alb { multi_value: true }, b"", true),
            json!({"statusCode": 201, "statusDescription": "201 Created",
                   "multiValueHeaders": {"content-type": ["text/plain"], "x-multi": ["a", "b"], "set-cookie": ["a=1", "b=2", "c=3; HttpOnly"]},
                   "body": "", "isBase64Encoded": false})
        );
        assert_eq!(
            doc(EventKind::Alb { multi_value: false }, b"", true),
            json!({"statusCode": 201, "statusDescription": "201 Created",
                   "headers": {"content-type": "text/plain", "x-multi": "a,b", "set-cookie": "c=3; HttpOnly"},
                   "body": "", "isBase64Encoded": false})
        );
    }

    #[test]
    fn websocket_passes_back_the_subprotocol_only() {
        let mut headers = HeaderMap::new();
        headers.insert("sec-websocket-protocol", "chat.v1".parse().unwrap());
        headers.insert("x-other", "dropped".parse().unwrap());
        let meta = ResponseMeta::new(200, &headers);
        let doc: Value = serde_json::from_slice(&encode(EventKind::WebSocket, &meta, b"", true)).unwrap();
        assert_eq!(doc, json!({"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat.v1"}}));
        assert_eq!(
            doc_ws(b"{\"ok\":true}"),
            json!({"statusCode": 201, "body": "{\"ok\":true}", "isBase64Encoded": false})
        );
    }

    fn doc_ws(body: &[u8]) -> Value {
        let meta = ResponseMeta::new(201, &HeaderMap::new());
        serde_json::from_slice(&encode(EventKind::WebSocket, &meta, body, true)).unwrap()
    }

    #[test]
    fn descriptions() {
        assert_eq!(status_description(200), "200 OK");
        assert_eq!(status_description(599), "599 Unknown");
    }
}
