//! A message's reply sent through `@connections` (`LWA_WS_REPLY=post`), which reaches the client on one-way
//! routes too, before the invocation completes. What the reply is, the WebSocket source decides
//! (`crate::sources::websocket::answer`).

use bytes::Bytes;
use http::Method;

use super::InvocationPushes;
use super::forward::Call;
use crate::error::{AdapterError, ErrorKind};
use crate::sources::websocket::WsEvent;

/// Sends a message's reply through `@connections` (`LWA_WS_REPLY=post`).
pub(crate) async fn post_reply(pushes: &InvocationPushes, event: &WsEvent, data: Bytes) -> Result<(), AdapterError> {
    let call = Call {
        method: Method::POST,
        connection_id: event.connection_id.clone(),
        body: data,
    };
    let failed = |what: String| {
        AdapterError::new(
            ErrorKind::PushFailed,
            format!(
                "the reply to connection {} could not be posted (LWA_WS_REPLY=post): {what}",
                event.connection_id
            ),
        )
    };
    match pushes.post(call).await {
        Ok(answer) if answer.status.is_success() => Ok(()),
        Ok(answer) if answer.status == http::StatusCode::GONE => {
            tracing::info!(connection_id = %event.connection_id, "the connection is gone (410); the reply was dropped");
            Ok(())
        }
        Ok(answer) => {
            let excerpt: String = String::from_utf8_lossy(&answer.body).chars().take(200).collect();
            Err(failed(format!("API Gateway answered {}: {excerpt}", answer.status)))
        }
        Err(error) => Err(failed(error.to_string())),
    }
}
