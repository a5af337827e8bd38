//! Amazon VPC Lattice (the v2 payload): `method`, `path` as sent, `headers` and `queryStringParameters`
//! with arrays of values, the caller's identity in `requestContext`. Answered buffered, in Lattice's
//! document (`statusCode`, `statusDescription`, one value per header, `body`, `isBase64Encoded`).
//!
//! Query values arrive decoded and are encoded again, repeated keys in order, as for REST APIs. Lattice
//! puts no client address in the event; `X-Forwarded-For` comes among its headers.

use aws_lambda_events::event::vpc_lattice::VpcLatticeRequestV2;

use serde_json::{Value, json};

use super::detect::{Clues, Shape, is_string};
use super::emulate::{ACCOUNT_ID, ClientRequest, REGION, RequestIds, body, decode, grouped, header_list, multi, raw_pairs};
use super::event::Event;
use super::parts::{self, EventParts};
use super::source::{Emulation, Limits, Read, Source, Streams};
use super::{EventError, alb};
use crate::net::uri;
use crate::wire::{Format, HeaderForm};

pub(crate) const SOURCE: &Source = &Source {
    name: "VPC Lattice",
    flag: "vpc-lattice",
    describe: "Amazon VPC Lattice (v2 payload)",
    detect,
    read: Read::Http(read),
    format: Some(FORMAT),
    streams: Streams::Never,
    limits: Limits::LAMBDA,
    emulation: Some(Emulation {
        event,
        // Lattice fronts the target as a load balancer does, and answers its failures the same way.
        failure: alb::FAILURE,
    }),
};

pub(crate) const FORMAT: Format = Format {
    status_description: true,
    ..Format::plain(HeaderForm::Joined)
};

/// A service network's or a service's ARN in `requestContext`.
fn detect(clues: &Clues, _: &[String]) -> bool {
    is_string(clues.context.service_network_arn) || is_string(clues.context.service_arn)
}

fn read(event: &Event, shape: &Shape) -> Result<EventParts, EventError> {
    let event: VpcLatticeRequestV2 = parts::parse(event, SOURCE)?;
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

/// A VPC Lattice v2 event: every header and query value in arrays, the query values decoded, `timeEpoch`
/// in microseconds as a string.
fn event(request: &ClientRequest, ids: &RequestIds) -> Value {
    let headers = header_list(request, ids);
    let query = grouped(
        raw_pairs(request.uri.query().unwrap_or(""))
            .into_iter()
            .map(|(k, v)| (decode(k), decode(v))),
    );
    let (text, base64) = body(request);
    json!({
        "version": "2.0",
        "path": request.uri.path(),
        "method": request.method.as_str(),
        "headers": multi(&headers),
        "queryStringParameters": multi(&query),
        "body": if request.body.is_empty() { Value::Null } else { Value::from(text) },
        "isBase64Encoded": base64 && !request.body.is_empty(),
        "requestContext": {
            "serviceNetworkArn": format!("arn:aws:vpc-lattice:{REGION}:{ACCOUNT_ID}:servicenetwork/sn-0000000000devlocal"),
            "serviceArn": format!("arn:aws:vpc-lattice:{REGION}:{ACCOUNT_ID}:service/svc-0000000000devlocal"),
            "targetGroupArn": format!("arn:aws:vpc-lattice:{REGION}:{ACCOUNT_ID}:targetgroup/tg-0000000000devlocal"),
            "identity": {"sourceVpcArn": format!("arn:aws:ec2:{REGION}:{ACCOUNT_ID}:vpc/vpc-0000000000devlocal"), "type": "NONE"},
            "region": REGION,
            "timeEpoch": ids.time_epoch_ms.saturating_mul(1000).to_string(),
        },
    })
}

#[cfg(test)]
#[path = "vpc_lattice_tests.rs"]
mod tests;
