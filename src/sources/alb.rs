//! Application Load Balancer target groups: the path and still-encoded query values as sent, headers in
//! the form the target group is set to (`multiValueHeaders` or `headers`), and the answer in that same
//! form with a `statusDescription`. Always buffered.

use aws_lambda_events::event::alb::AlbTargetGroupRequest;

use super::detect::Shape;
use super::parts::{self, EventParts};
use super::{EventError, EventKind};
use crate::net::uri;
use crate::wire::Format;

pub(super) fn format(multi_value: bool) -> Format {
    Format::Alb { multi_value }
}

pub(super) fn read(event: &[u8], shape: &Shape, multi_value: bool) -> Result<EventParts, EventError> {
    let event: AlbTargetGroupRequest = parts::parse(event, EventKind::Alb { multi_value })?;
    let path = event.path.unwrap_or_else(|| "/".into());
    let pairs = parts::query_pairs(shape);
    let headers = if multi_value { event.multi_value_headers } else { event.headers };
    Ok(EventParts {
        method: event.http_method,
        path: uri::raw_path(&path),
        query: uri::raw_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        headers,
        body: parts::body(event.body, event.is_base64_encoded)?,
        source_ip: None,
    })
}
