//! Application Load Balancer target groups: the path and still-encoded query values as sent, headers in
//! the form the target group is set to (`multiValueHeaders` or `headers`), and the answer in that same
//! form with a `statusDescription`. Always buffered.

use aws_lambda_events::event::alb::AlbTargetGroupRequest;

use serde_json::{Value, json};

use super::EventError;
use super::detect::{Clues, Shape, is_object};
use super::emulate::{ClientRequest, RequestIds, TARGET_GROUP_ARN, body, grouped, header_list, last, multi, raw_pairs};
use super::event::Event;
use super::parts::{self, EventParts};
use super::source::{Emulation, FailureAnswer, Limits, MB, Read, Source, Streams};
use crate::net::uri;
use crate::wire::{Format, HeaderForm};

/// A target group with single-value headers (the default).
pub(crate) const SINGLE_VALUE: &Source = &Source {
    name: "ALB",
    flag: "alb",
    describe: "Application Load Balancer (single-value headers)",
    detect: |clues, _| is_alb(clues) && clues.shape.multi_value_headers.is_none(),
    read: Read::Http(|event, shape| read(event, shape, false)),
    format: Some(SINGLE_FORMAT),
    streams: Streams::Never,
    limits: LIMITS,
    emulation: Some(Emulation {
        event: single_value_event,
        failure: FAILURE,
    }),
};

/// A target group with multi-value headers turned on.
pub(crate) const MULTI_VALUE: &Source = &Source {
    name: "ALB",
    flag: "alb-multi",
    describe: "Application Load Balancer (multi-value headers)",
    detect: |clues, _| is_alb(clues) && clues.shape.multi_value_headers.is_some(),
    read: Read::Http(|event, shape| read(event, shape, true)),
    format: Some(MULTI_FORMAT),
    streams: Streams::Never,
    limits: LIMITS,
    emulation: Some(Emulation {
        event: multi_value_event,
        failure: FAILURE,
    }),
};

pub(crate) const SINGLE_FORMAT: Format = Format {
    status_description: true,
    ..Format::plain(HeaderForm::Joined)
};

pub(crate) const MULTI_FORMAT: Format = Format {
    status_description: true,
    ..Format::plain(HeaderForm::Multi)
};

/// ALB's limits for Lambda targets: 1 MB each way.
const LIMITS: Limits = Limits { request: MB, answer: MB };

/// ALB's own answer when its target fails.
pub(super) const FAILURE: FailureAnswer = FailureAnswer {
    status: 502,
    content_type: "text/html",
    body: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
};

/// `requestContext.elb`.
fn is_alb(clues: &Clues) -> bool {
    is_object(clues.context.elb)
}

fn read(event: &Event, shape: &Shape, multi_value: bool) -> Result<EventParts, EventError> {
    let source = if multi_value { MULTI_VALUE } else { SINGLE_VALUE };
    let event: AlbTargetGroupRequest = parts::parse(event, source)?;
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

fn single_value_event(request: &ClientRequest, ids: &RequestIds) -> Value {
    event(request, ids, false)
}

fn multi_value_event(request: &ClientRequest, ids: &RequestIds) -> Value {
    event(request, ids, true)
}

/// The path as sent, query values still percent-encoded, and either `headers`/`queryStringParameters` (last
/// value wins) or `multiValueHeaders`/`multiValueQueryStringParameters`, as the target group is set.
fn event(request: &ClientRequest, ids: &RequestIds, multi_value: bool) -> Value {
    let headers = header_list(request, ids);
    let query = grouped(
        raw_pairs(request.uri.query().unwrap_or(""))
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let (text, base64) = body(request);
    let mut event = json!({
        "requestContext": {"elb": {"targetGroupArn": TARGET_GROUP_ARN}},
        "httpMethod": request.method.as_str(),
        "path": request.uri.path(),
    });
    let Value::Object(object) = &mut event else {
        return event;
    };
    if multi_value {
        object.insert("multiValueQueryStringParameters".into(), Value::Object(multi(&query)));
        object.insert("multiValueHeaders".into(), Value::Object(multi(&headers)));
    } else {
        object.insert("queryStringParameters".into(), Value::Object(last(&query)));
        object.insert("headers".into(), Value::Object(last(&headers)));
    }
    object.insert("body".into(), text.into());
    object.insert("isBase64Encoded".into(), (base64 && !request.body.is_empty()).into());
    event
}

#[cfg(test)]
#[path = "alb_tests.rs"]
mod tests;
