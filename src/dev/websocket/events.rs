//! The events API Gateway WebSocket APIs send to Lambda, as `dev` builds them for its WebSocket front door.
//!
//! The shapes are copied from real events (`tests/fixtures/events/`): `CONNECT` from
//! `example-apigw-websocket-request-without-method.json` (the handshake's headers and query), `MESSAGE` from
//! `example-apigw-websocket-message.json` (the frame as `body`, no headers), `DISCONNECT` from
//! `example-apigw-websocket-request-disconnect-route.json` (stub headers, `disconnectStatusCode` and
//! `disconnectReason`). The fake `example-apigw-websocket-request.json` is deliberately not followed.
//!
//! Ids look like API Gateway's: base64 of 11 bytes, so they end in `=` and may hold `+` and `/`, which an app
//! that puts them in URLs must encode (the adapter does). Route selection is API Gateway's
//! `$request.body.action`, and the bodies of its two error frames are reproduced byte for byte. Pure
//! functions over values: unit-tested without sockets.

use base64::Engine;
use serde_json::{Map, Value, json};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::sources::emulate::{self as events, API_ID, ClientRequest, REGION, RequestIds};

/// The stage in events and in the management API's base path.
pub(crate) const STAGE: &str = "dev";
/// The route a message goes to when no other matches (if the API has one).
pub(crate) const DEFAULT_ROUTE: &str = "$default";

/// `{apiId}.execute-api.{region}.amazonaws.com`, the API's domain in events.
pub(crate) fn domain_name() -> String {
    format!("{API_ID}.execute-api.{REGION}.amazonaws.com")
}

/// What every event repeats about the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConnectionFacts {
    pub connection_id: String,
    pub connected_at_ms: u64,
    pub source_ip: IpAddr,
    /// The handshake's `User-Agent`, when it had one.
    pub user_agent: Option<String>,
}

/// An id shaped like API Gateway's connection, request and message ids: 16 base64 characters ending in `=`.
pub(crate) fn new_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let seed = crate::context::now_ms() ^ (u64::from(std::process::id()) << 40);
    let (a, b) = (splitmix(seed ^ n.rotate_left(17)), splitmix(n ^ seed.rotate_left(29)));
    let mut bytes = [0u8; 11];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes()[..3]);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The `requestContext` fields every event has, in the fixtures' order, around the event-specific ones.
fn context(facts: &ConnectionFacts, ids: &RequestIds, route_key: &str, event_type: &str, specific: &[(&str, Value)]) -> Value {
    let mut context = Map::new();
    context.insert("routeKey".into(), route_key.into());
    let (before, after): (Vec<_>, Vec<_>) = specific.iter().partition(|(name, _)| *name != "disconnectReason");
    for (name, value) in before {
        context.insert((*name).into(), value.clone());
    }
    context.insert("eventType".into(), event_type.into());
    context.insert("extendedRequestId".into(), ids.request_id.clone().into());
    context.insert("requestTime".into(), crate::dates::clf(ids.time_epoch_ms).into());
    context.insert("messageDirection".into(), "IN".into());
    for (name, value) in after {
        context.insert((*name).into(), value.clone());
    }
    context.insert("stage".into(), STAGE.into());
    context.insert("connectedAt".into(), facts.connected_at_ms.into());
    context.insert("requestTimeEpoch".into(), ids.time_epoch_ms.into());
    let mut identity = Map::new();
    if event_type != "DISCONNECT"
        && let Some(agent) = &facts.user_agent
    {
        identity.insert("userAgent".into(), agent.clone().into());
    }
    identity.insert("sourceIp".into(), facts.source_ip.to_string().into());
    context.insert("identity".into(), Value::Object(identity));
    context.insert("requestId".into(), ids.request_id.clone().into());
    context.insert("domainName".into(), domain_name().into());
    context.insert("connectionId".into(), facts.connection_id.clone().into());
    context.insert("apiId".into(), API_ID.into());
    Value::Object(context)
}

/// `CONNECT`: the upgrade request's headers (plus the `X-Forwarded-*` and trace headers API Gateway adds) and
/// its query, decoded; no body.
pub(crate) fn connect(facts: &ConnectionFacts, request: &ClientRequest, ids: &RequestIds) -> Value {
    let headers = events::header_list(request, ids);
    let mut event = Map::new();
    event.insert("headers".into(), Value::Object(events::last(&headers)));
    event.insert("multiValueHeaders".into(), Value::Object(events::multi(&headers)));
    let query = events::grouped(
        events::raw_pairs(request.uri.query().unwrap_or(""))
            .into_iter()
            .map(|(k, v)| (events::decode(k), events::decode(v))),
    );
    if !query.is_empty() {
        event.insert("queryStringParameters".into(), Value::Object(events::last(&query)));
        event.insert("multiValueQueryStringParameters".into(), Value::Object(events::multi(&query)));
    }
    event.insert("requestContext".into(), context(facts, ids, "$connect", "CONNECT", &[]));
    event.insert("isBase64Encoded".into(), false.into());
    Value::Object(event)
}

/// `MESSAGE`: one text message routed to `route_key`.
pub(crate) fn message(facts: &ConnectionFacts, route_key: &str, message_id: &str, body: &str, ids: &RequestIds) -> Value {
    json!({
        "requestContext": context(facts, ids, route_key, "MESSAGE", &[("messageId", message_id.into())]),
        "body": body,
        "isBase64Encoded": false,
    })
}

/// `DISCONNECT`: the close code and reason, with the stub headers API Gateway sends.
pub(crate) fn disconnect(facts: &ConnectionFacts, code: u16, reason: &str, ids: &RequestIds) -> Value {
    let domain = domain_name();
    let stub = [
        ("Host", domain.as_str()),
        ("x-api-key", ""),
        ("X-Forwarded-For", ""),
        ("x-restapi", ""),
    ];
    let headers: Map<String, Value> = stub.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    let multi: Map<String, Value> = stub.iter().map(|(k, v)| ((*k).into(), json!([v]))).collect();
    let specific = [("disconnectStatusCode", code.into()), ("disconnectReason", reason.into())];
    json!({
        "headers": headers,
        "multiValueHeaders": multi,
        "requestContext": context(facts, ids, "$disconnect", "DISCONNECT", &specific),
        "isBase64Encoded": false,
    })
}

/// API Gateway's route selection with `$request.body.action`: the message's `action` when it names a route,
/// else `$default` when the API has it; `None` means no route (the client gets [`forbidden`]).
pub(crate) fn select_route(body: &str, routes: &[String]) -> Option<String> {
    let action = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|value| value.get("action").and_then(Value::as_str).map(str::to_string));
    if let Some(action) = action.filter(|a| routes.iter().any(|r| r == a)) {
        return Some(action);
    }
    routes.iter().any(|r| r == DEFAULT_ROUTE).then(|| DEFAULT_ROUTE.to_string())
}

/// The frame API Gateway sends when no route matches a message and the API has no `$default` route.
pub(crate) fn forbidden(connection_id: &str, request_id: &str) -> String {
    error_frame("Forbidden", connection_id, request_id)
}

/// The frame API Gateway sends when the integration failed (function error, timeout, bad answer).
pub(crate) fn internal_error(connection_id: &str, request_id: &str) -> String {
    error_frame("Internal server error", connection_id, request_id)
}

fn error_frame(message: &str, connection_id: &str, request_id: &str) -> String {
    // API Gateway's exact spacing; the ids are base64 and need no escaping, but go through JSON anyway.
    let (id, request) = (Value::from(connection_id), Value::from(request_id));
    format!(r#"{{"message": "{message}", "connectionId":{id}, "requestId":{request}}}"#)
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
