//! Events with no HTTP shape (SQS, S3, EventBridge, a direct invoke): `POST`ed to `PASS_THROUGH_PATH` with
//! the event as the body, and answered with the app's body as it is.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, header};

use super::{EventError, TranslateOptions, add_context_headers, build};
use crate::context::InvocationContext;
use crate::net::uri;

pub(super) fn request(event: &[u8], ctx: &InvocationContext, options: &TranslateOptions) -> Result<Request<Bytes>, EventError> {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    add_context_headers(&mut headers, None, ctx, options);
    let uri = uri::app_uri(&options.app, &options.pass_through_path, "")?;
    Ok(build(Method::POST, uri, headers, Bytes::copy_from_slice(event)))
}
