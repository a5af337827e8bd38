//! The app's answer to a WebSocket event, as API Gateway wants it back.
//!
//! - `CONNECT`: the app's status accepts (2xx) or rejects (anything else, with that status) the connection;
//!   only `Sec-WebSocket-Protocol` is passed back, the one header API Gateway returns to the client.
//!   `ERROR_STATUS_CODES` does not apply: a rejected connection is an answer, not a failure.
//! - `MESSAGE`: a 2xx body is the reply. With `LWA_WS_REPLY=response` it is the Lambda response `body`
//!   (delivered on routes with a route response); with `post` the adapter sends it through `@connections`,
//!   which works on one-way routes too, before the invocation completes. Other statuses deliver nothing, and
//!   a 5xx fails the invocation (the client gets API Gateway's `Internal server error`).
//! - `DISCONNECT`: best effort; the answer goes nowhere.

use bytes::Bytes;
use http::{HeaderMap, header};

use super::{WsEvent, WsEventType};
use crate::buffered::document;
use crate::config::ReplyMode;
use crate::error::{AdapterError, ErrorKind};
use crate::response::meta::ResponseMeta;

/// What to answer Lambda, and what to send through `@connections` first.
#[derive(Debug, PartialEq)]
pub(crate) struct Decision {
    /// The Lambda response document.
    pub document: Bytes,
    /// A reply to post to the connection before answering (`LWA_WS_REPLY=post`).
    pub post: Option<Bytes>,
    /// Things the user should know, for the log.
    pub warnings: Vec<String>,
}

/// Decides the answer to `event` from the app's status, headers and body. `target` names the app's route
/// in messages (`POST /ws/message`).
pub(crate) fn decide(
    event: &WsEvent,
    reply: ReplyMode,
    target: &str,
    status: u16,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Decision, AdapterError> {
    let mut warnings = Vec::new();
    let mut passed_back = HeaderMap::new();
    let mut post = None;
    let mut reply_body = Bytes::new();
    match event.event_type {
        WsEventType::Connect => {
            let chosen = headers.get(header::SEC_WEBSOCKET_PROTOCOL);
            match chosen.and_then(|v| v.to_str().ok()) {
                Some(protocol) if !event.offered_protocols.iter().any(|p| p == protocol.trim()) => warnings.push(format!(
                    "the app chose subprotocol `{protocol}` on {target}, but the client offered {}; clients close such a connection",
                    offered(&event.offered_protocols)
                )),
                None if !event.offered_protocols.is_empty() && (200..300).contains(&status) => warnings.push(format!(
                    "the client offered subprotocols {} but the app's answer to {target} has no Sec-WebSocket-Protocol; browsers close such a connection",
                    offered(&event.offered_protocols)
                )),
                _ => {}
            }
            if let Some(value) = chosen {
                passed_back.insert(header::SEC_WEBSOCKET_PROTOCOL, value.clone());
            }
        }
        WsEventType::Message if status >= 500 => {
            let excerpt: String = String::from_utf8_lossy(&body).chars().take(200).collect();
            let message = if excerpt.is_empty() {
                format!("the app answered {target} with status {status}")
            } else {
                format!("the app answered {target} with status {status}: {excerpt}")
            };
            return Err(AdapterError::new(ErrorKind::AppErrorStatus, message));
        }
        WsEventType::Message if (200..300).contains(&status) => match reply {
            ReplyMode::Response => reply_body = body,
            ReplyMode::Post if body.is_empty() => {}
            ReplyMode::Post => post = Some(body),
        },
        WsEventType::Message => {
            if !body.is_empty() {
                warnings.push(format!(
                    "the app answered {target} with status {status}; only a 2xx body is sent to the client, so this one is not"
                ));
            }
        }
        WsEventType::Disconnect => {}
    }
    let meta = ResponseMeta::new(status, &passed_back);
    let text = std::str::from_utf8(&reply_body).is_ok();
    Ok(Decision {
        document: document::encode(super::FORMAT, &meta, &reply_body, text),
        post,
        warnings,
    })
}

fn offered(protocols: &[String]) -> String {
    if protocols.is_empty() {
        "none".into()
    } else {
        protocols.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
#[path = "answer_tests.rs"]
mod tests;
