//! API Gateway HTTP APIs: payload 2.0 events like a Function URL's, told apart by their `execute-api`
//! domain (or a custom domain listed in `HTTP_API_DOMAINS`). Always answered buffered: HTTP APIs cannot
//! take a stream.

use aws_lambda_events::event::apigw::ApiGatewayV2httpRequest;

use super::parts::{self, EventParts};
use super::{EventError, EventKind};
use crate::net::uri;
use crate::wire::Format;

pub(super) const FORMAT: Format = Format::PayloadV2;

pub(super) fn read(event: &[u8]) -> Result<EventParts, EventError> {
    let event: ApiGatewayV2httpRequest = parts::parse(event, EventKind::HttpApi)?;
    let http = event.request_context.http;
    let path = event.raw_path.or(http.path).unwrap_or_else(|| "/".into());
    let mut headers = event.headers;
    parts::add_cookies(&mut headers, event.cookies.as_deref().unwrap_or_default())?;
    Ok(EventParts {
        method: http.method,
        path: uri::raw_path(&path),
        query: uri::raw(event.raw_query_string.as_deref().unwrap_or("")),
        headers,
        body: parts::body(event.body, event.is_base64_encoded)?,
        source_ip: http.source_ip,
    })
}
