//! Why an event could not become the app's request: one variant per thing an event can get wrong, so code
//! and tests branch on the variant, never on the text. At the edge ([`super::translate`]) each becomes
//! Lambda's `LambdaAdapter.InvalidEvent` with this text as the message, which names the field or header and,
//! where it is safe to log, the value.

use std::fmt;

use super::source::Source;
use crate::error::{AdapterError, ErrorKind};
use crate::net::uri::InvalidTarget;

/// An event that looks like a request but cannot be read as one.
#[derive(Debug)]
pub(crate) enum EventError {
    /// The event is not JSON.
    NotJson(serde_json::Error),
    /// The event has `kind`'s shape but is not UTF-8: `offset` is its first byte that is not.
    NotUtf8 { kind: &'static Source, offset: usize },
    /// The event has `kind`'s shape but does not parse as `kind`'s event (a field of the wrong type, say).
    Malformed { kind: &'static Source, error: serde_json::Error },
    /// The method is not an HTTP method.
    BadMethod(String),
    /// The method is `CONNECT`, which asks a proxy for a tunnel: its request target is an authority, not a
    /// path, so it has no meaning for the app behind the adapter.
    ConnectMethod,
    /// A header name in the event (`field`: `headers` or `multiValueHeaders`) is not an HTTP header name.
    BadHeaderName { name: String, field: &'static str },
    /// A value for the header `name` has characters a header cannot carry. The value itself is kept out
    /// of the message: it may be a credential (`Authorization: Bearer …`).
    BadHeaderValue { name: String },
    /// A cookie in the `cookies` array has characters a header cannot carry.
    BadCookie,
    /// `body` is marked `isBase64Encoded` but is not base64.
    BadBase64(base64::DecodeError),
    /// The path and query make no request target.
    BadTarget(InvalidTarget),
    /// A WebSocket event's `requestContext.eventType` is not one API Gateway sends.
    WsEventType(String),
    /// A WebSocket event has no `requestContext.connectionId`, or an empty one.
    WsConnectionId,
    /// A WebSocket event's `requestContext.apiId` is not an API Gateway id: pushes are signed and sent to
    /// `{apiId}.execute-api.{region}.amazonaws.com`, so it must be one DNS label of the id's alphabet.
    WsApiId(String),
    /// A WebSocket event's `requestContext.stage` is not one stage name (the push URL's first segment).
    WsStage(String),
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::NotJson(error) => write!(f, "the event is not valid JSON: {error}"),
            EventError::NotUtf8 { kind, offset } => write!(
                f,
                "the event looks like a {} event but is not UTF-8 (byte {offset} is not), as JSON must be",
                kind.name()
            ),
            EventError::Malformed { kind, error } => {
                write!(f, "the event looks like a {} event but does not parse as one: {error}", kind.name())
            }
            EventError::BadMethod(text) => write!(f, "`{text}` is not an HTTP method"),
            EventError::ConnectMethod => {
                f.write_str("the event's method is CONNECT, which asks for a tunnel; the adapter relays requests for paths only")
            }
            EventError::BadHeaderName { name, field } => write!(f, "`{name}` in the event's {field} is not a header name"),
            EventError::BadHeaderValue { name } => write!(
                f,
                "the value of `{name}` has characters an HTTP header cannot carry (a control character or a line break; the value is not shown, it may be a secret)"
            ),
            EventError::BadCookie => f.write_str("a cookie in `cookies` has characters a header cannot carry"),
            EventError::BadBase64(error) => write!(f, "`body` is marked isBase64Encoded but is not valid base64: {error}"),
            EventError::BadTarget(invalid) => invalid.fmt(f),
            EventError::WsEventType(text) => write!(
                f,
                "the WebSocket event's requestContext.eventType is `{text}`; expected CONNECT, MESSAGE or DISCONNECT"
            ),
            EventError::WsConnectionId => f.write_str("the WebSocket event has no requestContext.connectionId, or an empty one"),
            EventError::WsApiId(text) => write!(
                f,
                "the WebSocket event's requestContext.apiId {text:?} is not an API Gateway id (lowercase letters and digits, at most 10)"
            ),
            EventError::WsStage(text) => write!(
                f,
                "the WebSocket event's requestContext.stage {text:?} is not a stage name (letters, digits, `-` and `_`, at most 128)"
            ),
        }
    }
}

impl std::error::Error for EventError {}

impl From<InvalidTarget> for EventError {
    fn from(invalid: InvalidTarget) -> Self {
        EventError::BadTarget(invalid)
    }
}

impl From<EventError> for AdapterError {
    fn from(error: EventError) -> Self {
        AdapterError::new(ErrorKind::InvalidEvent, error.to_string())
    }
}
