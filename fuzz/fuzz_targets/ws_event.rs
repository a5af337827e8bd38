//! WebSocket events through translation (`sources::translate`, detected by shape, then the bridge's
//! mapping), and paths into the `@connections` server's routing (`ws::callback::connection_id` and
//! `invocation`): answers or errors, never a panic. When an event maps to a request:
//! - it goes to the app (`http://127.0.0.1:8080`) at `{LWA_WS_PATH}/{connect|message|disconnect}`;
//! - no client-sent `x-ws-*` or adapter-owned header survives;
//! - `x-ws-connection-id` is the event's connection id, and `x-ws-callback` is a loopback URL whose path the
//!   `@connections` server reads back as that same id and this invocation's request id;
//! - any connection id and request id written into a callback URL read back as themselves.
//!
//! The input is either raw bytes (parsed as JSON) or a structured event.
#![no_main]

use arbitrary::Arbitrary;
use fuzz_support::api::{self, WsEvent, connection_id, invocation};
use fuzz_support::{ADAPTER_OWNED, MARKER, assert_app_authority, assert_no_forged_headers, checking, context, defuse, options};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

#[derive(Arbitrary, Debug)]
enum Scalar {
    Null,
    Bool(bool),
    Number(i64),
    Float(f64),
    Text(String),
}

impl Scalar {
    fn value(&self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => (*b).into(),
            Scalar::Number(n) => (*n).into(),
            Scalar::Float(f) => json!(f),
            Scalar::Text(s) => defuse(s.clone()).into(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum EventType {
    Connect,
    Message,
    Disconnect,
    Other(Scalar),
}

#[derive(Arbitrary, Debug)]
struct Structured {
    event_type: EventType,
    connection_id: Scalar,
    route_key: Option<Scalar>,
    message_id: Option<Scalar>,
    connected_at: Option<Scalar>,
    api_id: Option<Scalar>,
    stage: Option<Scalar>,
    disconnect_code: Option<Scalar>,
    disconnect_reason: Option<Scalar>,
    source_ip: Option<Scalar>,
    headers: Option<Vec<(String, Scalar)>>,
    multi_value_headers: Option<Vec<(String, Vec<Scalar>)>>,
    query: Option<Vec<(String, Scalar)>>,
    multi_value_query: Option<Vec<(String, Vec<Scalar>)>>,
    body: Option<Scalar>,
    base64: Option<Scalar>,
    /// Bit i upper-cases forged header i; bit 7 puts them in `multiValueHeaders` too.
    forge: u8,
    ws_path: u8,
    callback_port: u16,
    lambda_ids: bool,
    /// A connection id and a request id for a callback URL (the id also goes to the route parsers as a path).
    id: String,
    request_id: String,
}

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    /// The rest of the input as it is (after a 4-byte tag of zeros), as the event.
    Raw(&'a [u8]),
    Structured(Box<Structured>),
}

fn put(map: &mut Map<String, Value>, key: &str, value: &Option<Scalar>) {
    if let Some(value) = value {
        map.insert(key.into(), value.value());
    }
}

fn event(s: &Structured) -> Value {
    let mut context = Map::new();
    let event_type = match &s.event_type {
        EventType::Connect => "CONNECT".into(),
        EventType::Message => "MESSAGE".into(),
        EventType::Disconnect => "DISCONNECT".into(),
        EventType::Other(other) => other.value(),
    };
    context.insert("eventType".into(), event_type);
    context.insert("connectionId".into(), s.connection_id.value());
    put(&mut context, "routeKey", &s.route_key);
    put(&mut context, "messageId", &s.message_id);
    put(&mut context, "connectedAt", &s.connected_at);
    put(&mut context, "apiId", &s.api_id);
    put(&mut context, "stage", &s.stage);
    put(&mut context, "disconnectStatusCode", &s.disconnect_code);
    put(&mut context, "disconnectReason", &s.disconnect_reason);
    if let Some(ip) = &s.source_ip {
        context.insert("identity".into(), json!({ "sourceIp": ip.value() }));
    }
    let mut event = Map::new();
    event.insert("requestContext".into(), Value::Object(context));
    let single =
        |pairs: &Vec<(String, Scalar)>| Value::Object(pairs.iter().take(16).map(|(k, v)| (defuse(k.clone()), v.value())).collect());
    let multi = |pairs: &Vec<(String, Vec<Scalar>)>| {
        Value::Object(
            pairs
                .iter()
                .take(16)
                .map(|(k, vs)| (defuse(k.clone()), Value::Array(vs.iter().take(4).map(Scalar::value).collect())))
                .collect(),
        )
    };
    let mut headers = s.headers.as_ref().map(single);
    let mut multi_headers = s.multi_value_headers.as_ref().map(multi);
    for (i, name) in ADAPTER_OWNED.iter().enumerate() {
        let name = if s.forge & (1 << i) != 0 {
            name.to_ascii_uppercase()
        } else {
            name.to_string()
        };
        if let Value::Object(map) = headers.get_or_insert_with(|| Value::Object(Map::new())) {
            map.insert(name.clone(), MARKER.into());
        }
        if s.forge & 0x80 != 0
            && let Value::Object(map) = multi_headers.get_or_insert_with(|| Value::Object(Map::new()))
        {
            map.insert(name, json!([MARKER]));
        }
    }
    if let Some(headers) = headers {
        event.insert("headers".into(), headers);
    }
    if let Some(multi_headers) = multi_headers {
        event.insert("multiValueHeaders".into(), multi_headers);
    }
    if let Some(query) = &s.query {
        event.insert("queryStringParameters".into(), single(query));
    }
    if let Some(query) = &s.multi_value_query {
        event.insert("multiValueQueryStringParameters".into(), multi(query));
    }
    if let Some(body) = &s.body {
        event.insert("body".into(), body.value());
    }
    if let Some(base64) = &s.base64 {
        event.insert("isBase64Encoded".into(), base64.value());
    }
    Value::Object(event)
}

/// Any connection id and request id, written into a callback URL, read back as themselves.
fn check_callback_path(options: &fuzz_support::api::TranslateOptions, request_id: &str, id: &str) {
    let _ = connection_id(id);
    let _ = invocation(id);
    if id.is_empty() || !checking("ws-callback") {
        return;
    }
    let url = api::callback_url(options, request_id, id);
    let uri: http::Uri = url.parse().unwrap_or_else(|e| panic!("callback URL `{url}` ({e})"));
    assert_eq!(connection_id(uri.path()).as_deref(), Ok(id), "{url}");
    assert_eq!(invocation(uri.path()).as_deref(), Some(request_id), "{url}");
    let plain = format!("/prod/%40Connections/{}", api::encode_segment(id));
    assert_eq!(connection_id(&plain).as_deref(), Ok(id), "{plain}");
}

fuzz_target!(|input: Input| {
    let mut options = options(None);
    let (event, lambda_ids) = match &input {
        // Raw events forge nothing: a marker in one (copied there by the fuzzer) would be a false alarm.
        Input::Raw(bytes) if bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()) => return,
        Input::Raw(bytes) => (bytes.to_vec(), true),
        Input::Structured(s) => {
            let path = ["/ws", "", "/socket/v1"][s.ws_path as usize % 3];
            api::set_ws_routes(&mut options, path, s.callback_port.max(1));
            check_callback_path(&options, &s.request_id, &s.id);
            (event(s).to_string().into_bytes(), s.lambda_ids)
        }
    };
    let ctx = context(lambda_ids);
    let Ok((kind, request, websocket)) = api::translate(&event, &ctx, &options) else {
        return;
    };
    let what = String::from_utf8_lossy(&event);
    assert_app_authority(&request, &what);
    assert_no_forged_headers(request.headers(), lambda_ids, &what);
    if !api::is_websocket(kind) {
        return;
    }
    let ws: WsEvent = websocket.unwrap_or_else(|| panic!("a WebSocket request without its event: {what}"));
    assert_eq!(
        request.uri().path(),
        format!("{}/{}", api::ws_path(&options), ws.event_type.route()),
        "{what}"
    );
    let headers = request.headers();
    assert_eq!(
        headers.get("x-ws-connection-id").map(|v| v.as_bytes()),
        Some(ws.connection_id.as_bytes()),
        "{what}"
    );
    // API Gateway never sends an empty id, and the `@connections` server answers 404 to the callback URL
    // an empty one gives: the event is invalid.
    if ws.connection_id.is_empty() {
        assert!(
            !checking("ws-empty-id"),
            "an event with an empty requestContext.connectionId was accepted; its x-ws-callback {:?} is a URL the \
             @connections server refuses: {what}",
            headers.get("x-ws-callback")
        );
        return;
    }
    if !checking("ws-callback") {
        return;
    }
    let callback = headers.get("x-ws-callback").expect("x-ws-callback is set").to_str().expect("ASCII");
    let uri: http::Uri = callback
        .parse()
        .unwrap_or_else(|e| panic!("x-ws-callback `{callback}` is not a URI: {e}"));
    assert_eq!(
        uri.authority().map(|a| a.as_str()),
        Some(format!("127.0.0.1:{}", api::callback_port(&options)).as_str()),
        "{callback}"
    );
    assert_eq!(
        connection_id(uri.path()).as_deref(),
        Ok(ws.connection_id.as_str()),
        "{callback} from {what}"
    );
    assert_eq!(invocation(uri.path()).as_deref(), Some(ctx.request_id.as_str()), "{callback}");
});
