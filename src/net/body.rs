//! The one body type the adapter sends and serves, and the helpers that make one.
//!
//! Requests to the app and the Runtime API, and `dev`'s answers to its clients, are all boxed bodies of
//! `Bytes` frames: a whole buffer ([`full`]), or the app's streamed body ([`incoming`]).

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

/// The app's response body, boxed: what the response seam and both modes take.
pub fn incoming<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes, Error = hyper::Error> + Send + 'static,
{
    body.map_err(|error| -> BoxError { Box::new(error) }).boxed_unsync()
}
