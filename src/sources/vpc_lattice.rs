//! Amazon VPC Lattice (the v2 payload): `method`, `path` as sent, `headers` and `queryStringParameters`
//! with arrays of values, the caller's identity in `requestContext`. Answered buffered, in Lattice's
//! document (`statusCode`, `statusDescription`, one value per header, `body`, `isBase64Encoded`).
//!
//! Query values arrive decoded and are encoded again, repeated keys in order, as for REST APIs. Lattice
//! puts no client address in the event; `X-Forwarded-For` comes among its headers.

use aws_lambda_events::event::vpc_lattice::VpcLatticeRequestV2;

use super::detect::Shape;
use super::parts::{self, EventParts};
use super::{EventError, EventKind};
use crate::net::uri;
use crate::wire::Format;

pub(super) const FORMAT: Format = Format::VpcLattice;

pub(super) fn read(event: &[u8], shape: &Shape) -> Result<EventParts, EventError> {
    let event: VpcLatticeRequestV2 = parts::parse(event, EventKind::VpcLattice)?;
    let path = event.path.unwrap_or_else(|| "/".into());
    let pairs = parts::query_pairs(shape);
    Ok(EventParts {
        method: event.method.unwrap_or_default(),
        path: uri::raw_path(&path),
        query: uri::encode_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        headers: event.headers,
        body: parts::body(event.body, event.is_base64_encoded)?,
        source_ip: None,
    })
}
