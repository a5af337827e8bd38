//! Streaming mode: the app's response goes to the Runtime API through Lambda's response streaming
//! protocol, chunk by chunk, as fast as the app writes it (PROTOCOL.md § 4).

pub mod body;
pub mod prelude;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::time::Instant;

use crate::http_client::Body;
use crate::translate::response::ResponseMeta;

/// The streamed body for the app's `response`: prelude from its head, then its body until `deadline`.
pub fn response_body(response: http::Response<Incoming>, multi_value: bool, deadline: Instant) -> Body {
    let (parts, body) = response.into_parts();
    let meta = ResponseMeta::new(parts.status.as_u16(), &parts.headers);
    body::StreamingBody::new(prelude::encode(&meta, multi_value), body, deadline).boxed_unsync()
}
