//! Buffered mode: the app's whole response becomes one JSON document posted to the Runtime API.
//!
//! The body is read up to Lambda's 6 MB payload limit and no further, so an oversized response costs no more
//! memory than the limit, and fails with a message that says which limit and what to do, instead of a
//! post Lambda rejects.

pub mod document;

use bytes::Bytes;
use http::Method;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use tokio::time::Instant;

use crate::error::{AdapterError, ErrorKind, chain};
use crate::translate::response::{ResponseMeta, has_no_body};
use crate::translate::{EventKind, content};

/// Lambda's limit for a buffered response payload (6 MB).
pub const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

/// Reads the app's response and encodes the document for `kind`.
pub async fn encode_response(
    kind: EventKind,
    method: &Method,
    response: http::Response<Incoming>,
    deadline: Instant,
) -> Result<Bytes, AdapterError> {
    let (parts, body) = response.into_parts();
    let status = parts.status.as_u16();
    let limited = Limited::new(body, MAX_PAYLOAD);
    let body = match tokio::time::timeout_at(deadline, limited.collect()).await {
        Err(_) => {
            return Err(AdapterError::new(
                ErrorKind::DeadlineReached,
                "the invocation's deadline came while the app was still sending its response body",
            ));
        }
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
            return Err(too_large(format!("the app's response body is over {MAX_PAYLOAD} bytes")));
        }
        Ok(Err(error)) => {
            return Err(AdapterError::new(
                ErrorKind::AppBodyError,
                format!("the app's response body failed: {}", chain(&*error)),
            ));
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    if kind == EventKind::PassThrough {
        return check_size(body);
    }
    let body = if has_no_body(method, status) { Bytes::new() } else { body };
    let meta = ResponseMeta::new(status, &parts.headers);
    if matches!(kind, EventKind::Alb { multi_value: false }) && meta.cookies.len() > 1 {
        tracing::warn!(
            cookies = meta.cookies.len(),
            "the ALB target group does not send multi-value headers, so only the last Set-Cookie reaches the client; enable multi-value headers on the target group"
        );
    }
    let text = content::is_text(&parts.headers, &body);
    check_size(document::encode(kind, &meta, &body, text))
}

fn check_size(payload: Bytes) -> Result<Bytes, AdapterError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(too_large(format!(
            "the encoded response is {} bytes, over Lambda's {MAX_PAYLOAD}-byte limit",
            payload.len()
        )));
    }
    Ok(payload)
}

fn too_large(what: String) -> AdapterError {
    AdapterError::new(
        ErrorKind::ResponseTooLarge,
        format!(
            "{what} for buffered responses (binary bodies grow by a third in base64); set LWA_INVOKE_MODE=response_stream and a Function URL with InvokeMode RESPONSE_STREAM to send large responses"
        ),
    )
}
