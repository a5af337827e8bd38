//! Streaming mode: the app's response goes to the Runtime API through Lambda's response streaming
//! protocol, chunk by chunk, as fast as the app writes it (PROTOCOL.md § 4). The prelude's encoder and
//! decoder sit side by side ([`prelude`]), with the parser that finds where it ends ([`parser`]).

pub(crate) mod body;
pub mod parser;
pub mod prelude;

use http_body_util::BodyExt;
use tokio::time::Instant;

use crate::net::body::Body;
use crate::response::meta::ResponseMeta;

/// The streamed body for the app's `response`: prelude from its head, then its body until `deadline`.
pub(crate) fn response_body(response: http::Response<Body>, multi_value: bool, deadline: Instant) -> Body {
    let (parts, body) = response.into_parts();
    let meta = ResponseMeta::new(parts.status.as_u16(), &parts.headers);
    body::StreamingBody::new(prelude::encode(&meta, multi_value), body, deadline).boxed_unsync()
}
