//! API Gateway REST APIs: payload 1.0 events, with a decoded `path` and decoded query values that are
//! encoded again, repeated keys kept in order. Answered with `headers` and `multiValueHeaders`, or streamed
//! (with `multiValueHeaders` in the prelude) when the user says the integration uses
//! `responseTransferMode: STREAM`, which the event does not show.

use aws_lambda_events::event::apigw::ApiGatewayProxyRequest;

use super::detect::Shape;
use super::parts::{self, EventParts};
use super::{EventError, EventKind};
use crate::net::uri;
use crate::wire::Format;

pub(super) const FORMAT: Format = Format::RestApi;

pub(super) fn read(event: &[u8], shape: &Shape) -> Result<EventParts, EventError> {
    let event: ApiGatewayProxyRequest = parts::parse(event, EventKind::RestApi)?;
    let path = event.path.unwrap_or_else(|| "/".into());
    let pairs = parts::query_pairs(shape);
    let headers = if event.multi_value_headers.is_empty() {
        event.headers
    } else {
        event.multi_value_headers
    };
    Ok(EventParts {
        method: event.http_method,
        path: uri::encode_path(&path),
        query: uri::encode_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        headers,
        body: parts::body(event.body, event.is_base64_encoded)?,
        source_ip: event.request_context.identity.source_ip,
    })
}
