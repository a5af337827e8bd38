//! What `dev` needs to play the event sources: the client's request as the front door saw it, the ids an
//! event carries, and the pieces every source's event builder shares (header lists, query pairs, the body
//! as text or base64). Each source builds its own event in its file (its `Emulation`), following AWS's
//! documented formats and the real samples in `tests/fixtures/events/`:
//! - payload 2.0 (`function_url`, reused by `http_api` with its own domain): `rawPath` and `rawQueryString`
//!   as sent, decoded `queryStringParameters` and `headers` with repeats joined by `,`, `cookies[]`;
//! - REST API (`rest_api`): a decoded `path`, last-value and multi-value maps of headers and query;
//! - ALB (`alb`): the path as sent, query values still percent-encoded, the target group's header form;
//! - VPC Lattice (`vpc_lattice`): arrays of values for every header and query key.
//!
//! Bodies travel as text when their content type says text and the bytes are UTF-8, else base64 with
//! `isBase64Encoded: true`. Pure functions over values: unit-tested without sockets.

use base64::Engine;
use http::{HeaderMap, Method, Uri};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};
use std::net::IpAddr;

use crate::response::content;

/// The account, region and API id the events carry.
pub(crate) const ACCOUNT_ID: &str = "123456789012";
pub(crate) const REGION: &str = "us-east-1";
/// The URL id / API id in domain names (Function URL ids are 32 lower-case characters).
pub(crate) const URL_ID: &str = "devlocal0000000000000000000000000";
pub(crate) const API_ID: &str = "devlocal00";
pub(crate) const TARGET_GROUP_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-adapter-dev/0000000000000000";

/// What the front door knows about one request.
pub(crate) struct ClientRequest<'a> {
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
pub(crate) struct RequestIds {
    pub request_id: String,
    pub time_epoch_ms: u64,
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

pub(crate) fn joined(headers: &[(String, Vec<String>)]) -> Map<String, Value> {
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
pub(crate) fn body(request: &ClientRequest) -> (String, bool) {
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

#[cfg(test)]
#[path = "emulate_tests.rs"]
pub(crate) mod tests;
