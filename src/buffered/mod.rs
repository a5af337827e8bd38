//! Buffered mode: the app's whole response becomes one JSON document posted to the Runtime API.
//!
//! The body is read up to Lambda's 6 MB payload limit and no further, so an oversized response costs no more
//! memory than the limit, and fails with a message that says which limit and what to do, instead of a
//! post Lambda rejects.

pub mod document;

use bytes::Bytes;
use http::Method;
use http_body_util::{BodyExt, Limited};
use tokio::time::Instant;

use crate::error::{AdapterError, ErrorKind, chain};
use crate::net::body::Body;
use crate::response::meta::ResponseMeta;
use crate::response::{content, has_no_body};
use document::{Format, HeaderForm};

/// Lambda's limit for a buffered response payload (6 MB).
pub(crate) const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

/// Reads a whole body of the app's, at most [`MAX_PAYLOAD`] bytes and until `deadline`; `what` names it in
/// messages (`response body`, `answer to POST /ws/message`).
pub(crate) async fn collect(body: Body, deadline: Instant, what: &str) -> Result<Bytes, AdapterError> {
    match tokio::time::timeout_at(deadline, Limited::new(body, MAX_PAYLOAD).collect()).await {
        Err(_) => Err(AdapterError::new(
            ErrorKind::DeadlineReached,
            format!("the invocation's deadline came while the app was still sending its {what}"),
        )),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
            Err(too_large(format!("the app's {what} is over {MAX_PAYLOAD} bytes")))
        }
        Ok(Err(error)) => Err(AdapterError::new(
            ErrorKind::AppBodyError,
            format!("the app's {what} failed: {}", chain(&*error)),
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Reads the app's response and encodes the document in `format`; with no format (a pass-through event),
/// the answer is the app's body as it is.
pub(crate) async fn encode_response(
    format: Option<Format>,
    method: &Method,
    response: http::Response<Body>,
    deadline: Instant,
) -> Result<Bytes, AdapterError> {
    let (parts, body) = response.into_parts();
    let status = parts.status.as_u16();
    let body = collect(body, deadline, "response body").await?;
    let Some(format) = format else {
        return check_size(body);
    };
    let body = if has_no_body(method, status) { Bytes::new() } else { body };
    let meta = ResponseMeta::new(status, &parts.headers);
    if format.headers == HeaderForm::Joined && meta.cookies.len() > 1 {
        tracing::warn!(
            cookies = meta.cookies.len(),
            "only the last Set-Cookie reaches the client: this source's answer has one value per header (for ALB, enable multi-value headers on the target group)"
        );
    }
    let text = content::is_text(&parts.headers, &body);
    check_size(document::encode(format, &meta, &body, text))
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
