//! API Gateway WebSocket APIs: each event as a plain HTTP request to the app, and the app's answer as
//! API Gateway wants it back ([`answer`]).
//!
//! API Gateway holds the socket and invokes the function once per event; the app sees three routes under
//! `LWA_WS_PATH`: `POST /ws/connect` (with the handshake's query and headers), `POST /ws/message` (the frame
//! as the body) and `POST /ws/disconnect`. Nothing ties an event to an instance, so any app instance can
//! serve any event. The handshake's upgrade headers are removed so a framework does not try to upgrade a
//! plain request, and `x-ws-*` headers are the adapter's alone: a client sending its own is ignored.
//!
//! The facts this relies on (event shapes, field names) are in PROTOCOL.md § 7. Pushing to a connection is
//! I/O and lives in the bridge (`crate::ws`); this file only maps.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, header};
use serde_json::Value;

pub(crate) mod answer;

use super::detect::{Clues, is_string};
use super::event::Event;
use super::source::{Limits, OwnRequest, Read, Source, Streams};
use super::{EventError, RequestContext, TranslateOptions, add_context_headers, build, owned};
use crate::config::WsConfig;
use crate::context::InvocationContext;
use crate::net::uri;
use crate::wire::{Format, HeaderForm};

pub const SOURCE: &Source = &Source {
    name: "API Gateway WebSocket",
    flag: "websocket",
    describe: "API Gateway WebSocket API",
    detect,
    read: Read::Own(read),
    format: Some(FORMAT),
    streams: Streams::Never,
    limits: Limits::LAMBDA,
    // dev's ws:// door builds these events itself (`crate::dev::websocket`).
    emulation: None,
};

pub(crate) const FORMAT: Format = Format {
    omit_empty_body: true,
    ..Format::plain(HeaderForm::Subprotocol)
};

/// `requestContext.eventType` and `requestContext.connectionId`.
fn detect(clues: &Clues, _: &[String]) -> bool {
    is_string(clues.context.event_type) && is_string(clues.context.connection_id)
}

fn read(event: &Event, ctx: &InvocationContext, options: &TranslateOptions) -> Result<OwnRequest, EventError> {
    event.utf8(SOURCE)?;
    let value: Value = event.parse().map_err(EventError::NotJson)?;
    let (request, websocket) = request(&value, ctx, options)?;
    Ok(OwnRequest {
        request,
        websocket: Some(websocket),
    })
}

/// Handshake headers the app must not see (besides the hop-by-hop ones every request loses): with them a
/// framework would try to upgrade.
const HANDSHAKE: [&str; 3] = ["http2-settings", "sec-websocket-key", "sec-websocket-version"];

/// The three events API Gateway sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WsEventType {
    Connect,
    Message,
    Disconnect,
}

impl WsEventType {
    fn parse(text: &str) -> Result<Self, EventError> {
        match text {
            "CONNECT" => Ok(WsEventType::Connect),
            "MESSAGE" => Ok(WsEventType::Message),
            "DISCONNECT" => Ok(WsEventType::Disconnect),
            other => Err(EventError::WsEventType(other.into())),
        }
    }

    /// `CONNECT`, as the event and the `x-ws-event` header say it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            WsEventType::Connect => "CONNECT",
            WsEventType::Message => "MESSAGE",
            WsEventType::Disconnect => "DISCONNECT",
        }
    }

    /// The last segment of the app's route.
    pub fn route(self) -> &'static str {
        match self {
            WsEventType::Connect => "connect",
            WsEventType::Message => "message",
            WsEventType::Disconnect => "disconnect",
        }
    }
}

/// What the answer and the bridge need of the event: read once with the request, kept beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsEvent {
    pub event_type: WsEventType,
    pub connection_id: String,
    pub api_id: Option<String>,
    pub stage: Option<String>,
    /// The subprotocols the client offered in `Sec-WebSocket-Protocol` (CONNECT only).
    pub offered_protocols: Vec<String>,
}

/// What the mapping needs from the bridge's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsRoutes {
    /// `LWA_WS_PATH` without a trailing `/`.
    pub path: String,
    /// Where `x-ws-callback` points.
    pub callback_port: u16,
}

impl Default for WsRoutes {
    fn default() -> Self {
        WsRoutes::from_config(&WsConfig::default())
    }
}

impl WsRoutes {
    pub fn from_config(config: &WsConfig) -> Self {
        WsRoutes {
            path: config.path.clone(),
            callback_port: config.callback_port,
        }
    }

    /// `http://127.0.0.1:PORT/invocations/{request id}/@connections/{id}`, the URL the app pushes to. The
    /// request id tells the bridge which invocation a push belongs to: its completion waits for the push,
    /// and the push goes to the API this invocation's event came from.
    pub fn callback_url(&self, request_id: &str, connection_id: &str) -> String {
        format!(
            "http://127.0.0.1:{}/invocations/{}/@connections/{}",
            self.callback_port,
            uri::component(request_id),
            uri::component(connection_id)
        )
    }
}

/// The last segment of the wait-until URL (`crate::ws::wait_until`).
pub(crate) const WAIT_UNTIL_SEGMENT: &str = "wait-until";

/// `http://127.0.0.1:{port}/invocations/{request id}/wait-until`, where the app holds its invocation for
/// work after the response (`x-lambda-wait-until`, on every request: the adapter's loopback server serves it
/// for every source, not only WebSocket events).
pub(crate) fn wait_until_url(port: u16, request_id: &str) -> String {
    // Joined rather than formatted: this runs on every invocation, and `format!` cost 1.8 times as much
    // (callgrind: 1,929 against 1,070 instructions).
    let port = port.to_string();
    let id = uri::component(request_id);
    ["http://127.0.0.1:", &port, "/invocations/", &id, "/", WAIT_UNTIL_SEGMENT].concat()
}

/// Builds the app's request for a WebSocket `event` (already detected as one).
fn request(event: &Value, ctx: &InvocationContext, options: &TranslateOptions) -> Result<(Request<Bytes>, WsEvent), EventError> {
    let context = &event["requestContext"];
    let field = |name: &str| context[name].as_str().map(str::to_string);
    let event_type = WsEventType::parse(context["eventType"].as_str().unwrap_or(""))?;
    let connection_id = field("connectionId")
        .filter(|id| !id.is_empty())
        .ok_or(EventError::WsConnectionId)?;
    let nonempty = |name: &str| field(name).filter(|text| !text.is_empty());
    let api_id = nonempty("apiId").map(checked_api_id).transpose()?;
    let stage = nonempty("stage").map(checked_stage).transpose()?;
    let routes = &options.ws;

    let mut headers = event_headers(event)?;
    owned::remove(&mut headers, &super::REQUEST_FRAMING);
    for name in HANDSHAKE {
        headers.remove(name);
    }
    if let Some(source) = &options.authorization_source
        && let Some(value) = headers.get(source).cloned()
    {
        headers.insert(header::AUTHORIZATION, value);
    }
    let forwarded_empty = headers.get("x-forwarded-for").is_none_or(|v| v.as_bytes().trim_ascii().is_empty());
    if forwarded_empty && let Some(ip) = context["identity"]["sourceIp"].as_str().filter(|ip| !ip.is_empty()) {
        headers.insert("x-forwarded-for", value("identity.sourceIp", ip)?);
    }
    let offered_protocols = offered_protocols(&headers);

    let mut add = |name: &'static str, text: Option<String>| -> Result<(), EventError> {
        if let Some(text) = text {
            headers.insert(name, value(name, &text)?);
        }
        Ok(())
    };
    add("x-ws-event", Some(event_type.as_str().into()))?;
    add("x-ws-connection-id", Some(connection_id.clone()))?;
    add("x-ws-route-key", field("routeKey"))?;
    add("x-ws-message-id", field("messageId"))?;
    add("x-ws-connected-at", number_or_text(&context["connectedAt"]))?;
    add("x-ws-api-id", api_id.clone())?;
    add("x-ws-stage", stage.clone())?;
    if event_type == WsEventType::Disconnect {
        add("x-ws-disconnect-code", number_or_text(&context["disconnectStatusCode"]))?;
        add("x-ws-disconnect-reason", field("disconnectReason").map(|r| printable(&r)))?;
    }
    add("x-ws-callback", Some(routes.callback_url(&ctx.request_id, &connection_id)))?;
    add_context_headers(&mut headers, Some(RequestContext::Parsed(context)), ctx, options);

    let body = if event_type == WsEventType::Message {
        message_body(event, &mut headers)?
    } else {
        Bytes::new()
    };
    let query = if event_type == WsEventType::Connect {
        query(event)
    } else {
        String::new()
    };
    let path = format!("{}/{}", routes.path, event_type.route());
    let uri = uri::app_uri(&options.app, &path, &query)?;
    let request = build(Method::POST, uri, headers, body);
    let event = WsEvent {
        event_type,
        connection_id,
        api_id,
        stage,
        offered_protocols,
    };
    Ok((request, event))
}

/// `requestContext.apiId`, checked: the bridge signs pushes for `{apiId}.execute-api.{region}.amazonaws.com`,
/// so anything but an id's alphabet (`:`, `/`, `.`, `@`) could send them and the function's credentials
/// elsewhere. API Gateway's ids are 10 lowercase letters and digits; samples in the wild are shorter.
fn checked_api_id(text: String) -> Result<String, EventError> {
    let valid = (1..=10).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if valid { Ok(text) } else { Err(EventError::WsApiId(text)) }
}

/// `requestContext.stage`, checked: the push URL's first path segment, as API Gateway names stages.
fn checked_stage(text: String) -> Result<String, EventError> {
    let valid = (1..=128).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid { Ok(text) } else { Err(EventError::WsStage(text)) }
}

/// The event's headers, from `multiValueHeaders` when it has any, else `headers`.
fn event_headers(event: &Value) -> Result<HeaderMap, EventError> {
    let mut headers = HeaderMap::new();
    let multi = event["multiValueHeaders"].as_object().filter(|m| !m.is_empty());
    let (map, field) = match multi {
        Some(map) => (map, "multiValueHeaders"),
        None => match event["headers"].as_object() {
            Some(map) => (map, "headers"),
            None => return Ok(headers),
        },
    };
    for (name, values) in map {
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| EventError::BadHeaderName { name: name.clone(), field })?;
        let values: Vec<&str> = match values {
            Value::Array(values) => values.iter().filter_map(Value::as_str).collect(),
            Value::String(value) => vec![value.as_str()],
            _ => vec![],
        };
        for text in values {
            headers.append(header_name.clone(), value(name, text)?);
        }
    }
    Ok(headers)
}

fn value(name: &str, text: &str) -> Result<HeaderValue, EventError> {
    HeaderValue::from_str(text).map_err(|_| EventError::BadHeaderValue { name: name.into() })
}

fn offered_protocols(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// `connectedAt` and `disconnectStatusCode` are numbers in real events; accept strings too.
fn number_or_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// A close reason may hold control characters a header cannot carry; they become spaces.
fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The handshake's query, encoded again from its decoded values (as for REST API events).
fn query(event: &Value) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(multi) = event["multiValueQueryStringParameters"].as_object().filter(|m| !m.is_empty()) {
        for (key, values) in multi {
            match values {
                Value::Array(values) => pairs.extend(values.iter().filter_map(Value::as_str).map(|v| (key.as_str(), v))),
                Value::String(value) => pairs.push((key.as_str(), value.as_str())),
                _ => {}
            }
        }
    } else if let Some(single) = event["queryStringParameters"].as_object() {
        pairs.extend(single.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v))));
    }
    uri::encode_query(pairs)
}

/// The frame's text as the body, typed `application/json` when it parses as JSON.
fn message_body(event: &Value, headers: &mut HeaderMap) -> Result<Bytes, EventError> {
    let text = event["body"].as_str().unwrap_or("");
    if event["isBase64Encoded"].as_bool().unwrap_or(false) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(EventError::BadBase64)?;
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
        return Ok(Bytes::from(bytes));
    }
    let content_type = if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(Bytes::copy_from_slice(text.as_bytes()))
}

#[cfg(test)]
mod tests;
