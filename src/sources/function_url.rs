//! Lambda Function URLs: payload 2.0 events, answered in the payload 2.0 document or streamed.
//!
//! `rawPath` and `rawQueryString` are what the client sent, kept byte for byte; the `cookies` array becomes
//! one `Cookie` header. The only source that streams without opting in (`InvokeMode: RESPONSE_STREAM`).

use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;

use super::parts::{self, EventParts};
use super::{EventError, EventKind};
use crate::net::uri;
use crate::wire::Format;

pub(super) const FORMAT: Format = Format::PayloadV2;

pub(super) fn read(event: &[u8]) -> Result<EventParts, EventError> {
    let event: LambdaFunctionUrlRequest = parts::parse(event, EventKind::FunctionUrl)?;
    let method = parts::method(event.request_context.http.method.as_deref().unwrap_or("GET"))?;
    let path = event.raw_path.or(event.request_context.http.path).unwrap_or_else(|| "/".into());
    let mut headers = event.headers;
    parts::add_cookies(&mut headers, event.cookies.as_deref().unwrap_or_default())?;
    Ok(EventParts {
        method,
        path: uri::raw_path(&path),
        query: uri::raw(event.raw_query_string.as_deref().unwrap_or("")),
        headers,
        body: parts::body(event.body, event.is_base64_encoded)?,
        source_ip: event.request_context.http.source_ip,
    })
}
