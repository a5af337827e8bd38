//! API Gateway HTTP APIs: payload 2.0 events like a Function URL's, told apart by their `execute-api`
//! domain (or a custom domain listed in `HTTP_API_DOMAINS`). Always answered buffered: HTTP APIs cannot
//! take a stream.

use aws_lambda_events::event::apigw::ApiGatewayV2httpRequest;

use serde_json::Value;

use super::EventError;
use super::detect::{Clues, Shape, is_object};
use super::emulate::{API_ID, ClientRequest, REGION, RequestIds};
use super::event::Event;
use super::function_url::{self, payload_v2};
use super::parts::{self, EventParts};
use super::source::{Emulation, FailureAnswer, Limits, Read, Source, Streams};
use crate::net::uri;

pub(crate) const SOURCE: &Source = &Source {
    name: "API Gateway HTTP API",
    flag: "apigw-http",
    describe: "API Gateway HTTP API (payload 2.0)",
    detect,
    read: Read::Http(read),
    format: Some(function_url::FORMAT),
    streams: Streams::Never,
    limits: Limits::LAMBDA,
    emulation: Some(Emulation {
        event,
        failure: FailureAnswer {
            status: 500,
            content_type: "application/json",
            body: r#"{"message":"Internal Server Error"}"#,
        },
    }),
};

/// A payload 2.0 event (`requestContext.http`) on an API Gateway domain.
fn detect(clues: &Clues, http_api_domains: &[String]) -> bool {
    is_object(clues.context.http) && is_api_domain(&clues.domain_name(), http_api_domains)
}

/// `execute-api` domains, and the custom domains listed in `LWA_HTTP_API_DOMAINS` (`domain` lower-cased).
pub(super) fn is_api_domain(domain: &str, http_api_domains: &[String]) -> bool {
    domain.contains(".execute-api.") || http_api_domains.iter().any(|listed| listed == domain)
}

fn read(event: &Event, _: &Shape) -> Result<EventParts, EventError> {
    let event: ApiGatewayV2httpRequest = parts::parse(event, SOURCE)?;
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

fn event(request: &ClientRequest, ids: &RequestIds) -> Value {
    payload_v2(request, ids, &format!("{API_ID}.execute-api.{REGION}.amazonaws.com"), false)
}

#[cfg(test)]
#[path = "http_api_tests.rs"]
mod tests;
