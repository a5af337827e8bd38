//! Events with no HTTP shape (SQS, S3, EventBridge, a direct invoke): `POST`ed to `PASS_THROUGH_PATH` with
//! the event as the body, and answered with the app's body as it is.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, header};

use super::event::Event;
use super::source::{Limits, OwnRequest, Read, Source, Streams};
use super::{EventError, TranslateOptions, add_context_headers, build};
use crate::context::InvocationContext;
use crate::net::uri;

/// Last in the registry: its rule takes whatever no other source claims.
pub(crate) const SOURCE: &Source = &Source {
    name: "pass-through",
    flag: "pass-through",
    describe: "a non-HTTP event",
    detect: |_, _| true,
    read: Read::Own(read),
    format: None,
    streams: Streams::Never,
    limits: Limits::LAMBDA,
    emulation: None,
};

fn read(event: &Event, ctx: &InvocationContext, options: &TranslateOptions) -> Result<OwnRequest, EventError> {
    Ok(OwnRequest {
        request: request(event, ctx, options)?,
        websocket: None,
    })
}

fn request(event: &Event, ctx: &InvocationContext, options: &TranslateOptions) -> Result<Request<Bytes>, EventError> {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    add_context_headers(&mut headers, None, ctx, options);
    let uri = uri::app_uri(&options.app, &options.pass_through_path, "")?;
    Ok(build(Method::POST, uri, headers, Bytes::copy_from_slice(event.bytes())))
}

#[cfg(test)]
#[path = "pass_through_tests.rs"]
mod tests;
