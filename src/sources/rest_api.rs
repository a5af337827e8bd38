//! API Gateway REST APIs: payload 1.0 events, with a decoded `path` and decoded query values that are
//! encoded again, repeated keys kept in order. Answered with `headers` and `multiValueHeaders`, or streamed
//! (with `multiValueHeaders` in the prelude) when the user says the integration uses
//! `responseTransferMode: STREAM`, which the event does not show.

use aws_lambda_events::event::apigw::ApiGatewayProxyRequest;

use serde_json::{Value, json};

use super::EventError;
use super::detect::{Clues, Shape, is_object, is_string};
use super::emulate::{
    ACCOUNT_ID, API_ID, ClientRequest, REGION, RequestIds, body, decode, grouped, header_list, last, multi, raw_pairs, user_agent,
};
use super::event::Event;
use super::parts::{self, EventParts};
use super::source::{Emulation, FailureAnswer, Limits, Read, Source, Streaming, Streams};
use crate::net::uri;
use crate::wire::{Format, HeaderForm};

pub(crate) const SOURCE: &Source = &Source {
    name: "API Gateway REST API",
    flag: "apigw-rest",
    describe: "API Gateway REST API (payload 1.0)",
    detect,
    read: Read::Http(read),
    format: Some(FORMAT),
    streams: Streams::WhenOptedIn(Streaming { multi_value: true }),
    limits: Limits::LAMBDA,
    emulation: Some(Emulation {
        event,
        failure: FailureAnswer {
            status: 502,
            content_type: "application/json",
            body: r#"{"message": "Internal server error"}"#,
        },
    }),
};

pub(crate) const FORMAT: Format = Format::plain(HeaderForm::SingleAndMulti);

/// `httpMethod` beside a `requestContext` object that is neither a load balancer's (ALB events have both
/// too) nor a WebSocket connection's (`$connect` events carry `httpMethod`).
fn detect(clues: &Clues, _: &[String]) -> bool {
    clues.shape.http_method.is_some()
        && is_object(clues.shape.request_context)
        && !is_object(clues.context.elb)
        && !is_string(clues.context.connection_id)
}

fn read(event: &Event, shape: &Shape) -> Result<EventParts, EventError> {
    let event: ApiGatewayProxyRequest = parts::parse(event, SOURCE)?;
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

/// A payload 1.0 event: a decoded `path`, the last value of each header and query key and all of them,
/// `resource: "/{proxy+}"`, and `requestContext.identity.sourceIp`.
fn event(request: &ClientRequest, ids: &RequestIds) -> Value {
    let headers = header_list(request, ids);
    let path = decode(request.uri.path());
    let query = grouped(
        raw_pairs(request.uri.query().unwrap_or(""))
            .into_iter()
            .map(|(k, v)| (decode(k), decode(v))),
    );
    let (single_query, multi_query) = if query.is_empty() {
        (Value::Null, Value::Null)
    } else {
        (Value::Object(last(&query)), Value::Object(multi(&query)))
    };
    let (text, base64) = body(request);
    json!({
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": request.method.as_str(),
        "headers": last(&headers),
        "multiValueHeaders": multi(&headers),
        "queryStringParameters": single_query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": {"proxy": path.trim_start_matches('/')},
        "stageVariables": null,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": format!("{API_ID}.execute-api.{REGION}.amazonaws.com"),
            "domainPrefix": API_ID,
            "extendedRequestId": ids.request_id,
            "httpMethod": request.method.as_str(),
            "identity": {"sourceIp": request.source_ip.to_string(), "userAgent": user_agent(request)},
            "path": format!("/dev{path}"),
            "protocol": "HTTP/1.1",
            "requestId": ids.request_id,
            "requestTime": crate::dates::clf(ids.time_epoch_ms),
            "requestTimeEpoch": ids.time_epoch_ms,
            "resourceId": "devres",
            "resourcePath": "/{proxy+}",
            "stage": "dev",
        },
        "body": if request.body.is_empty() { Value::Null } else { Value::from(text) },
        "isBase64Encoded": base64 && !request.body.is_empty(),
    })
}

#[cfg(test)]
#[path = "rest_api_tests.rs"]
mod tests;
