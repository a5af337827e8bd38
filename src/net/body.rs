//! The one body type the adapter sends and serves, and the helpers that make one.
//!
//! Requests to the app and the Runtime API, and `dev`'s answers to its clients, are all boxed bodies of
//! `Bytes` frames: a whole buffer ([`full`]), or a stream wrapped with [`boxed`].

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};

/// A boxed error that can cross tasks.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type every outgoing request and every served response uses.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// A whole body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

/// Any body of `Bytes` frames, boxed.
pub fn boxed<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}
