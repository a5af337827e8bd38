//! Lambda Function URLs: payload 2.0 events, answered in the payload 2.0 document or streamed.
//!
//! `rawPath` and `rawQueryString` are what the client sent, kept byte for byte; the `cookies` array becomes
//! one `Cookie` header. The only source that streams without opting in (`InvokeMode: RESPONSE_STREAM`).

use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;

use serde_json::{Value, json};

use super::detect::{Clues, Shape, is_object};
use super::emulate::{
    ACCOUNT_ID, ClientRequest, REGION, RequestIds, URL_ID, body, decode, grouped, header_list, joined, raw_pairs, user_agent,
};
use super::event::Event;
use super::parts::{self, EventParts};
use super::source::{Emulation, FailureAnswer, Limits, Read, Source, Streaming, Streams};
use super::{EventError, http_api};
use crate::net::uri;
use crate::wire::{Format, HeaderForm};

pub(crate) const SOURCE: &Source = &Source {
    name: "Function URL",
    flag: "function-url",
    describe: "Lambda Function URL (payload 2.0)",
    detect,
    read: Read::Http(read),
    format: Some(FORMAT),
    streams: Streams::Always(Streaming { multi_value: false }),
    limits: Limits::LAMBDA,
    emulation: Some(EMULATION),
};

/// How `dev` plays a Function URL, its default (and its fallback for a source it does not play).
pub(crate) const EMULATION: Emulation = Emulation { event, failure: FAILURE };

/// Payload 2.0's document, which HTTP APIs read too.
pub(crate) const FORMAT: Format = Format {
    bare_json: true,
    ..Format::plain(HeaderForm::JoinedWithCookies)
};

/// What a Function URL answers when the function fails.
const FAILURE: FailureAnswer = FailureAnswer {
    status: 502,
    content_type: "application/json",
    body: r#"{"Message":"Internal Server Error"}"#,
};

/// A payload 2.0 event (`requestContext.http`) on a domain that is not an API Gateway one.
fn detect(clues: &Clues, http_api_domains: &[String]) -> bool {
    is_object(clues.context.http) && !http_api::is_api_domain(&clues.domain_name(), http_api_domains)
}

fn read(event: &Event, _: &Shape) -> Result<EventParts, EventError> {
    let event: LambdaFunctionUrlRequest = parts::parse(event, SOURCE)?;
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

fn event(request: &ClientRequest, ids: &RequestIds) -> Value {
    payload_v2(request, ids, &format!("{URL_ID}.lambda-url.{REGION}.on.aws"), true)
}

/// A payload 2.0 event for `domain`; `keep_cookie` keeps the `cookie` header beside `cookies` (Function URLs
/// do, as the real sample shows; HTTP APIs move it into `cookies`).
pub(super) fn payload_v2(request: &ClientRequest, ids: &RequestIds, domain: &str, keep_cookie: bool) -> Value {
    let headers = header_list(request, ids);
    let cookies: Vec<String> = request
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(';')
                .map(|c| c.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|c| !c.is_empty())
        .collect();
    let headers: Vec<_> = headers.into_iter().filter(|(n, _)| keep_cookie || n != "cookie").collect();
    let raw_query = request.uri.query().unwrap_or("");
    let query = grouped(raw_pairs(raw_query).into_iter().map(|(k, v)| (decode(k), decode(v))));
    let prefix = domain.split('.').next().unwrap_or(domain);
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.uri.path(),
        "rawQueryString": raw_query,
    });
    let Value::Object(object) = &mut event else {
        return event;
    };
    if !cookies.is_empty() {
        object.insert("cookies".into(), Value::from(cookies));
    }
    object.insert("headers".into(), Value::Object(joined(&headers)));
    if !query.is_empty() {
        object.insert("queryStringParameters".into(), Value::Object(joined(&query)));
    }
    object.insert(
        "requestContext".into(),
        json!({
            "accountId": ACCOUNT_ID,
            "apiId": prefix,
            "domainName": domain,
            "domainPrefix": prefix,
            "http": {
                "method": request.method.as_str(),
                "path": decode(request.uri.path()),
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip.to_string(),
                "userAgent": user_agent(request),
            },
            "requestId": ids.request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": crate::dates::clf(ids.time_epoch_ms),
            "timeEpoch": ids.time_epoch_ms,
        }),
    );
    if !request.body.is_empty() {
        let (text, base64) = body(request);
        object.insert("body".into(), text.into());
        object.insert("isBase64Encoded".into(), base64.into());
    } else {
        object.insert("isBase64Encoded".into(), false.into());
    }
    event
}

#[cfg(test)]
#[path = "function_url_tests.rs"]
mod tests;
