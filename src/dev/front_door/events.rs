//! The front door's HTTP request as the event each source sends to Lambda.
//!
//! The shapes follow AWS's documented formats and the real samples in `tests/fixtures/events/`:
//! - Function URL and HTTP API (payload 2.0): `rawPath` and `rawQueryString` as the client sent them,
//!   `queryStringParameters` decoded with repeats joined by `,`, `headers` with repeats joined by `,`,
//!   `cookies[]`, and a `requestContext` with `http.sourceIp`, `requestId`, `timeEpoch` and a domain of the
//!   source's form. Function URL events keep the `cookie` header beside `cookies` (as the real sample does);
//!   HTTP API events move it into `cookies` (AWS's payload 2.0 documentation).
//! - REST API (payload 1.0): a decoded `path`, `headers` holding the last value of each header and
//!   `multiValueHeaders` holding all, decoded `queryStringParameters` (last value) and
//!   `multiValueQueryStringParameters`, `resource: "/{proxy+}"`, and `requestContext.identity.sourceIp`.
//! - ALB: the path as sent, query values still percent-encoded, and either `headers`/`queryStringParameters`
//!   (last value wins) or `multiValueHeaders`/`multiValueQueryStringParameters`, as the target group is set.
//!
//! Bodies travel as text when their content type says text and the bytes are UTF-8, else base64 with
//! `isBase64Encoded: true`. Pure functions over values: unit-tested without sockets.

use base64::Engine;
use http::{HeaderMap, Method, Uri};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};
use std::net::IpAddr;

use crate::response::content;
use crate::sources::EventKind;

/// The account, region and API id the events carry.
pub const ACCOUNT_ID: &str = "123456789012";
pub const REGION: &str = "us-east-1";
/// The URL id / API id in domain names (Function URL ids are 32 lower-case characters).
pub const URL_ID: &str = "devlocal0000000000000000000000000";
pub const API_ID: &str = "devlocal00";
pub const TARGET_GROUP_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-adapter-dev/0000000000000000";

/// What the front door knows about one request.
pub struct ClientRequest<'a> {
    pub method: &'a Method,
    /// The request target as sent (`/path?query`).
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub source_ip: IpAddr,
    /// The front door's own port, for `X-Forwarded-Port`.
    pub port: u16,
}

/// Per-invocation values.
pub struct RequestIds {
    pub request_id: String,
    pub time_epoch_ms: u64,
}

/// Builds the event `source` would send for `request`. `dev --event` takes only [`EventKind::DEV`]; the
/// others (WebSocket events come from `dev`'s `ws://` door) fall back to a Function URL event.
pub fn build(source: EventKind, request: &ClientRequest, ids: &RequestIds) -> Value {
    let headers = header_list(request, ids);
    match source {
        EventKind::FunctionUrl | EventKind::WebSocket | EventKind::PassThrough => {
            payload_v2(request, ids, headers, &format!("{URL_ID}.lambda-url.{REGION}.on.aws"), true)
        }
        EventKind::HttpApi => payload_v2(
            request,
            ids,
            headers,
            &format!("{API_ID}.execute-api.{REGION}.amazonaws.com"),
            false,
        ),
        EventKind::RestApi => rest(request, ids, headers),
        EventKind::Alb { multi_value: false } => alb(request, headers, false),
        EventKind::Alb { multi_value: true } => alb(request, headers, true),
        EventKind::VpcLattice => vpc_lattice(request, ids, headers),
    }
}

/// Header names (lower-case, as HTTP/1.1 servers see them) with their values in order, plus the
/// `X-Forwarded-*` and `X-Amzn-Trace-Id` headers the event sources add.
pub(crate) fn header_list(request: &ClientRequest, ids: &RequestIds) -> Vec<(String, Vec<String>)> {
    let mut list: Vec<(String, Vec<String>)> = request
        .headers
        .keys()
        .map(|name| {
            let values = request
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            (name.as_str().to_string(), values.collect())
        })
        .collect();
    let trace = format!("Root=1-{:08x}-{}", ids.time_epoch_ms / 1000, trace_suffix(&ids.request_id));
    for (name, value) in [
        ("x-amzn-trace-id", trace),
        ("x-forwarded-for", request.source_ip.to_string()),
        ("x-forwarded-port", request.port.to_string()),
        ("x-forwarded-proto", "http".to_string()),
    ] {
        if !list.iter().any(|(n, _)| n == name) {
            list.push((name.to_string(), vec![value]));
        }
    }
    list
}

/// 24 hex digits for an X-Ray trace id, from the request id.
fn trace_suffix(request_id: &str) -> String {
    let hex: String = request_id.chars().filter(char::is_ascii_hexdigit).collect();
    let padded = format!("{hex:0>24}");
    padded.get(padded.len().saturating_sub(24)..).unwrap_or_default().to_string()
}

fn joined(headers: &[(String, Vec<String>)]) -> Map<String, Value> {
    headers.iter().map(|(n, v)| (n.clone(), Value::from(v.join(",")))).collect()
}

pub(crate) fn last(headers: &[(String, Vec<String>)]) -> Map<String, Value> {
    headers
        .iter()
        .filter_map(|(n, v)| v.last().map(|last| (n.clone(), Value::from(last.clone()))))
        .collect()
}

pub(crate) fn multi(headers: &[(String, Vec<String>)]) -> Map<String, Value> {
    headers.iter().map(|(n, v)| (n.clone(), Value::from(v.clone()))).collect()
}

/// `(key, value)` pairs of a raw query, still encoded, in order.
pub(crate) fn raw_pairs(query: &str) -> Vec<(&str, &str)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .collect()
}

pub(crate) fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// Groups pairs by key, keeping the order keys first appear in.
pub(crate) fn grouped(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (key, value) in pairs {
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(value),
            None => groups.push((key, vec![value])),
        }
    }
    groups
}

/// The body as the event carries it: `(text or base64, isBase64Encoded)`.
fn body(request: &ClientRequest) -> (String, bool) {
    if content::is_text(request.headers, request.body) {
        (String::from_utf8_lossy(request.body).into_owned(), false)
    } else {
        (base64::engine::general_purpose::STANDARD.encode(request.body), true)
    }
}

pub(crate) fn user_agent(request: &ClientRequest) -> Value {
    request
        .headers
        .get(http::header::USER_AGENT)
        .map(|v| Value::from(String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .unwrap_or(Value::Null)
}

fn payload_v2(request: &ClientRequest, ids: &RequestIds, headers: Vec<(String, Vec<String>)>, domain: &str, keep_cookie: bool) -> Value {
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

fn rest(request: &ClientRequest, ids: &RequestIds, headers: Vec<(String, Vec<String>)>) -> Value {
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

fn alb(request: &ClientRequest, headers: Vec<(String, Vec<String>)>, multi_value: bool) -> Value {
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

/// A VPC Lattice v2 event: every header and query value in arrays, the query values decoded, `timeEpoch`
/// in microseconds as a string.
fn vpc_lattice(request: &ClientRequest, ids: &RequestIds, headers: Vec<(String, Vec<String>)>) -> Value {
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
#[path = "events_tests.rs"]
mod tests;
