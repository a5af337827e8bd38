//! The buffered response document, in each event source's documented format: its encoder, and the decoder
//! that reads it back as the client's HTTP response (what the source does with it; `dev` and the tests use
//! it), side by side so each format is written down once.
//!
//! Each source declares its document's [`Format`] in its own file; this module writes and reads each
//! [`HeaderForm`] once:
//!
//! - `JoinedWithCookies` (payload 2.0: Function URL, HTTP API): `headers` (repeated values joined with `,`),
//!   `cookies` (one entry per `Set-Cookie`).
//! - `SingleAndMulti` (REST API, payload 1.0): `headers` holding the headers that have one value, and
//!   `multiValueHeaders` holding every header with all its values, `Set-Cookie` included. API Gateway merges
//!   the two maps and drops a pair that appears in both, so nothing is sent twice.
//! - `Multi` (ALB with multi-value headers): `multiValueHeaders` only.
//! - `Joined` (ALB single-value, VPC Lattice): `headers` only. It can hold one `Set-Cookie`; the last is
//!   kept (as ALB itself does) and the caller warns.
//! - `Subprotocol` (WebSocket): `headers` with `Sec-WebSocket-Protocol` only, the one header API Gateway
//!   passes back (on `$connect`).
//!
//! Then the format's flags: `statusDescription` (`"200 OK"`) for ALB and Lattice; no `body` when there is
//! none for WebSocket, so an event with nothing to say sends no frame; and for payload 2.0, a payload that
//! is valid JSON without `statusCode` is the body of a 200 with `content-type: application/json` (Lambda's
//! "inferred" format). Every other document has `statusCode`, `body` and `isBase64Encoded`.
//!
//! Serialised by hand rather than through `aws_lambda_events`' response types, which always write both
//! header maps and keep only the first value of a repeated header. Decoding is strict: anything a source
//! would refuse is a [`DecodeError`], which `dev` answers with 502 as the source would.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::Value;

use crate::response::meta::ResponseMeta;
pub(crate) use crate::wire::Head;
pub use crate::wire::{DecodeError, Format, HeaderForm};
use crate::wire::{add_cookies, add_multi, add_single, json, status};

/// Builds the JSON document. `text` says whether `body` goes as text or base64.
pub fn encode(format: Format, meta: &ResponseMeta, body: &[u8], text: bool) -> Bytes {
    let body_room = if text {
        Some(body.len())
    } else {
        base64::encoded_len(body.len(), true)
    };
    let mut out = Vec::with_capacity(body_room.unwrap_or(0).saturating_add(256));
    json::object(&mut out, |doc| {
        json::value(doc.key("statusCode"), &meta.status);
        if format.status_description {
            json::value(doc.key("statusDescription"), &status_description(meta.status));
        }
        match format.headers {
            HeaderForm::JoinedWithCookies => {
                meta.write_joined_headers(doc.key("headers"), None);
                json::value(doc.key("cookies"), &meta.cookies);
            }
            HeaderForm::Joined => meta.write_joined_headers(doc.key("headers"), meta.cookies.last()),
            HeaderForm::Multi => meta.write_multi_value_headers(doc.key("multiValueHeaders"), true),
            HeaderForm::SingleAndMulti => {
                meta.write_single_value_headers(doc.key("headers"));
                meta.write_multi_value_headers(doc.key("multiValueHeaders"), true);
            }
            HeaderForm::Subprotocol => {
                let protocol = meta.headers.iter().find(|(name, _)| name == "sec-websocket-protocol");
                if let Some((_, values)) = protocol {
                    json::object(doc.key("headers"), |headers| {
                        json::joined(headers.key("Sec-WebSocket-Protocol"), values)
                    });
                }
            }
        }
        if body.is_empty() && format.omit_empty_body {
            return;
        }
        let out = doc.key("body");
        if text {
            json::string(out, &String::from_utf8_lossy(body));
        } else {
            // Base64 needs no escaping: written in place between the quotes.
            out.push(b'"');
            base64_into(out, body);
            out.push(b'"');
        }
        json::value(doc.key("isBase64Encoded"), &!text);
    });
    Bytes::from(out)
}

/// Appends `bytes` in standard base64, encoded in place.
fn base64_into(out: &mut Vec<u8>, bytes: &[u8]) {
    let engine = &base64::engine::general_purpose::STANDARD;
    let start = out.len();
    let end = base64::encoded_len(bytes.len(), true).and_then(|room| start.checked_add(room));
    let Some(end) = end else {
        // Past `usize`: no such body reaches here (Lambda's payloads are megabytes).
        return;
    };
    out.resize(end, 0);
    // The room is exactly the padded length, so this cannot fail; a failure only leaves the base64 out.
    let written = engine.encode_slice(bytes, out.get_mut(start..).unwrap_or_default()).unwrap_or(0);
    out.truncate(start.saturating_add(written));
}

/// `"200 OK"`, as ALB wants it.
pub(crate) fn status_description(status: u16) -> String {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    format!("{status} {reason}")
}

/// A whole buffered response, as the client gets it.
#[derive(Debug)]
pub struct Decoded {
    pub head: Head,
    pub body: Bytes,
}

/// Decodes a document of `format` into the response the client gets.
pub fn decode(format: Format, payload: &[u8]) -> Result<Decoded, DecodeError> {
    let value: Value = serde_json::from_slice(payload).map_err(DecodeError::PayloadNotJson)?;
    let document = match value.as_object() {
        Some(document) if document.contains_key("statusCode") => document,
        _ if format.bare_json => {
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
        _ => return Err(DecodeError::NoStatusCode),
    };
    let status = status(document.get("statusCode").unwrap_or(&Value::Null))?;
    let mut headers = HeaderMap::new();
    match format.headers {
        HeaderForm::JoinedWithCookies => {
            add_single(&mut headers, document.get("headers"))?;
            add_cookies(&mut headers, document.get("cookies"))?;
        }
        HeaderForm::SingleAndMulti | HeaderForm::Subprotocol => {
            add_multi(&mut headers, document.get("multiValueHeaders"))?;
            let mut single = HeaderMap::new();
            add_single(&mut single, document.get("headers"))?;
            for (name, value) in &single {
                if !headers.get_all(name).iter().any(|v| v == value) {
                    headers.append(name, value.clone());
                }
            }
        }
        HeaderForm::Joined => add_single(&mut headers, document.get("headers"))?,
        HeaderForm::Multi => add_multi(&mut headers, document.get("multiValueHeaders"))?,
    }
    let body = match document.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) if document.get("isBase64Encoded") == Some(&Value::Bool(true)) => {
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map(Bytes::from)
                .map_err(DecodeError::BodyBase64)?
        }
        Some(Value::String(text)) => Bytes::from(text.clone()),
        Some(other) => return Err(DecodeError::BodyNotString(other.clone())),
    };
    Ok(Decoded {
        head: Head { status, headers },
        body,
    })
}

#[cfg(test)]
#[path = "document_tests.rs"]
mod tests;
