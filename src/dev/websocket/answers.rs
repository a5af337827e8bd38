//! What `dev`'s WebSocket door reads from the function's answers: the `$connect` answer (accept or reject,
//! and the subprotocol), the reply frame to a message, and why an answer could not be had or read.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderValue;
use serde_json::Value;

use super::connections::Outgoing;
use crate::dev::emulator::ErrorReport;

/// Why an event got no usable answer; the client gets API Gateway's `Internal server error`, the log this.
#[derive(Debug)]
pub(crate) enum AnswerError {
    /// API Gateway's 29-second integration timeout passed.
    IntegrationTimeout,
    /// The invocation's task ended without an outcome.
    Task(tokio::task::JoinError),
    /// The function ran past `--timeout`.
    FunctionTimeout(Duration),
    ShuttingDown,
    /// The function failed.
    Function(ErrorReport),
    /// The function streamed; WebSocket events are answered buffered.
    Streamed,
    /// The answer to `what` is not JSON.
    NotJson(&'static str, serde_json::Error),
    BadStatus,
    /// A `Sec-WebSocket-Protocol` that is not a header value.
    BadProtocol(String),
    BadBase64(base64::DecodeError),
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerError::IntegrationTimeout => f.write_str("API Gateway's 29-second integration timeout passed"),
            AnswerError::Task(join) => write!(f, "the invocation failed: {join}"),
            AnswerError::FunctionTimeout(after) => write!(f, "the function timed out after {} s (--timeout)", after.as_secs_f64()),
            AnswerError::ShuttingDown => f.write_str("dev is shutting down"),
            AnswerError::Function(report) => write!(f, "function error {}: {}", report.error_type, report.message()),
            AnswerError::Streamed => f.write_str("the function streamed its answer; WebSocket events are answered buffered"),
            AnswerError::NotJson(what, error) => write!(f, "the answer to {what} is not JSON: {error}"),
            AnswerError::BadStatus => f.write_str("statusCode is not an HTTP status"),
            AnswerError::BadProtocol(protocol) => write!(f, "Sec-WebSocket-Protocol {protocol:?} is not a header value"),
            AnswerError::BadBase64(error) => write!(f, "the answer's body is marked isBase64Encoded but is not base64: {error}"),
        }
    }
}

impl std::error::Error for AnswerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AnswerError::Task(join) => Some(join),
            AnswerError::NotJson(_, error) => Some(error),
            AnswerError::BadBase64(error) => Some(error),
            _ => None,
        }
    }
}

/// What the function answered to `$connect`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ConnectAnswer {
    pub status: u16,
    pub protocol: Option<HeaderValue>,
}

/// Reads the function's answer to `$connect`. No `statusCode` accepts, as API Gateway does for a function
/// that returns nothing.
pub(crate) fn connect_answer(document: &[u8]) -> Result<ConnectAnswer, AnswerError> {
    let value: Value = serde_json::from_slice(document).map_err(|e| AnswerError::NotJson("$connect", e))?;
    let status = match &value["statusCode"] {
        Value::Null => 200,
        Value::Number(n) => n.as_u64().filter(|s| (100..=599).contains(s)).ok_or(AnswerError::BadStatus)? as u16,
        Value::String(s) => s.parse().ok().filter(|s| (100..=599).contains(s)).ok_or(AnswerError::BadStatus)?,
        _ => return Err(AnswerError::BadStatus),
    };
    let find = |field: &str| {
        value[field].as_object().and_then(|headers| {
            headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-protocol"))
                .and_then(|(_, v)| v.as_str().or_else(|| v.get(0).and_then(Value::as_str)).map(str::to_string))
        })
    };
    let protocol = find("headers").or_else(|| find("multiValueHeaders"));
    let protocol = protocol
        .map(|p| HeaderValue::from_str(&p).map_err(|_| AnswerError::BadProtocol(p)))
        .transpose()?;
    Ok(ConnectAnswer { status, protocol })
}

/// The reply frame in the function's answer to a message: its `body`, if any.
pub(crate) fn reply_frame(document: &[u8]) -> Result<Option<Outgoing>, AnswerError> {
    let value: Value = serde_json::from_slice(document).map_err(|e| AnswerError::NotJson("the message", e))?;
    let body = match &value["body"] {
        Value::String(body) if !body.is_empty() => body,
        _ => return Ok(None),
    };
    if value["isBase64Encoded"].as_bool() != Some(true) {
        return Ok(Some(Outgoing::Text(body.clone())));
    }
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body).map_err(AnswerError::BadBase64)?;
    Ok(Some(match String::from_utf8(bytes) {
        Ok(text) => Outgoing::Text(text),
        Err(bytes) => Outgoing::Binary(Bytes::from(bytes.into_bytes())),
    }))
}
