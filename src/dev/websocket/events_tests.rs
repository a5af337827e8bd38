//! `dev`'s WebSocket events against the real fixtures, and through the adapter's own mapping.

use super::*;

use crate::sources::tests::kind_of;
use crate::sources::{translate, websocket};

use http::{HeaderMap, Method, Uri};

fn fixture(name: &str) -> Value {
    serde_json::from_slice(&crate::sources::tests::fixture(name)).unwrap()
}

/// The value's structure: object keys in order, leaves replaced by their JSON type.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().take(1).map(shape).collect()),
        Value::String(_) => "string".into(),
        Value::Number(_) => "number".into(),
        Value::Bool(_) => "bool".into(),
        Value::Null => "null".into(),
    }
}

fn facts() -> ConnectionFacts {
    ConnectionFacts {
        connection_id: "Ya1aXeR8IAM/Lnw=".into(),
        connected_at_ms: 1_742_085_982_306,
        source_ip: "203.0.113.7".parse().unwrap(),
        user_agent: Some("Mozilla/5.0".into()),
    }
}

fn ids() -> RequestIds {
    RequestIds {
        request_id: "Ya1b2Gd4IAMF5yQ=".into(),
        time_epoch_ms: 1_742_085_982_773,
    }
}

fn handshake(target: &str) -> (Method, Uri, HeaderMap) {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("host", "127.0.0.1:9000"),
        ("upgrade", "websocket"),
        ("connection", "Upgrade"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("sec-websocket-version", "13"),
        ("sec-websocket-protocol", "chat"),
        ("user-agent", "Mozilla/5.0"),
    ] {
        headers.append(name, value.parse().unwrap());
    }
    (Method::GET, target.parse().unwrap(), headers)
}

fn connect_event(target: &str) -> Value {
    let (method, uri, headers) = handshake(target);
    let request = ClientRequest {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: b"",
        source_ip: "203.0.113.7".parse().unwrap(),
        port: 9000,
    };
    connect(&facts(), &request, &ids())
}

#[test]
fn message_and_disconnect_have_the_fixtures_exact_shape() {
    let event = message(&facts(), "$default", "Ya1b2Ic3IAMCE4w=", r#"{"action":"x"}"#, &ids());
    assert_eq!(shape(&event), shape(&fixture("example-apigw-websocket-message.json")));
    assert_eq!(event["requestContext"]["requestTime"], "16/Mar/2025:00:46:22 +0000");
    assert_eq!(event["body"], r#"{"action":"x"}"#);

    let event = disconnect(&facts(), 1005, "Client-side close frame status not set", &ids());
    let real = fixture("example-apigw-websocket-request-disconnect-route.json");
    assert_eq!(shape(&event), shape(&real));
    assert_eq!(event["requestContext"]["disconnectStatusCode"], 1005);
    assert_eq!(event["headers"]["Host"], domain_name());
}

#[test]
fn connect_has_the_fixtures_shape_with_the_handshake() {
    let event = connect_event("/chat?room=a%20b&tag=1&tag=2");
    let mut real = shape(&fixture("example-apigw-websocket-request-without-method.json"));
    let mut ours = shape(&event);
    // The fixture's client sent an API key (identity.apiKey); a browser sends a User-Agent.
    real["requestContext"]["identity"] = Value::Null;
    ours["requestContext"]["identity"] = Value::Null;
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&ours["requestContext"]), keys(&real["requestContext"]));
    assert_eq!(ours["requestContext"], real["requestContext"]);
    assert_eq!(
        keys(&event),
        [
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "requestContext",
            "isBase64Encoded"
        ]
    );
    assert_eq!(event["headers"]["sec-websocket-protocol"], "chat");
    assert_eq!(event["headers"]["x-forwarded-for"], "203.0.113.7");
    assert_eq!(event["queryStringParameters"], json!({"room": "a b", "tag": "2"}));
    assert_eq!(event["multiValueQueryStringParameters"]["tag"], json!(["1", "2"]));
    assert_eq!(
        event["requestContext"]["identity"],
        json!({"userAgent": "Mozilla/5.0", "sourceIp": "203.0.113.7"})
    );
    let without_query = connect_event("/");
    assert!(without_query.get("queryStringParameters").is_none());
}

#[test]
fn the_adapter_maps_dev_events_as_it_maps_real_ones() {
    let options = crate::sources::tests::options();
    let ctx = crate::sources::tests::ctx();
    let events = [
        connect_event("/?room=1"),
        message(&facts(), "sendmessage", "m=", "hi", &ids()),
        disconnect(&facts(), 4000, "bye", &ids()),
    ];
    let mut seen = Vec::new();
    for event in &events {
        assert_eq!(kind_of(event), websocket::SOURCE);
        let app = translate(event.to_string().as_bytes(), &ctx, &options).unwrap();
        let header = |name: &str| app.request.headers()[name].to_str().unwrap().to_string();
        seen.push((app.request.uri().to_string(), header("x-ws-route-key"), header("x-ws-callback")));
        assert_eq!(header("x-ws-connection-id"), "Ya1aXeR8IAM/Lnw=");
    }
    let callback = "http://127.0.0.1:9002/invocations/req-1/@connections/Ya1aXeR8IAM%2FLnw%3D".to_string();
    assert_eq!(
        seen,
        [
            (
                "http://127.0.0.1:8080/ws/connect?room=1".into(),
                "$connect".into(),
                callback.clone()
            ),
            ("http://127.0.0.1:8080/ws/message".into(), "sendmessage".into(), callback.clone()),
            ("http://127.0.0.1:8080/ws/disconnect".into(), "$disconnect".into(), callback),
        ]
    );
}

#[test]
fn ids_look_like_api_gateways() {
    let ids: Vec<String> = (0..200).map(|_| new_id()).collect();
    for id in &ids {
        assert_eq!(id.len(), 16, "{id}");
        assert!(id.ends_with('=') && !id.ends_with("=="), "{id}");
        assert!(base64::engine::general_purpose::STANDARD.decode(id).is_ok(), "{id}");
    }
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
    // Some hold `+` or `/`, which is the point: apps and the adapter must encode them.
    assert!(ids.iter().any(|id| id.contains(['+', '/'])));
}

#[test]
fn routes_are_selected_by_action() {
    let routes = |list: &[&str]| list.iter().map(|r| r.to_string()).collect::<Vec<_>>();
    let with_default = routes(&["sendmessage", "$default"]);
    assert_eq!(
        select_route(r#"{"action":"sendmessage"}"#, &with_default).as_deref(),
        Some("sendmessage")
    );
    assert_eq!(select_route(r#"{"action":"other"}"#, &with_default).as_deref(), Some("$default"));
    assert_eq!(select_route("not json", &with_default).as_deref(), Some("$default"));
    assert_eq!(select_route(r#"{"action":7}"#, &with_default).as_deref(), Some("$default"));
    let without = routes(&["sendmessage"]);
    assert_eq!(
        select_route(r#"{"action":"sendmessage"}"#, &without).as_deref(),
        Some("sendmessage")
    );
    assert_eq!(select_route(r#"{"action":"SendMessage"}"#, &without), None);
    assert_eq!(select_route("[1]", &without), None);
}

#[test]
fn error_frames_are_api_gateways() {
    assert_eq!(
        forbidden("Ya1aXeR8IAMCLnw=", "Ya1b2Gd4IAMF5yQ="),
        r#"{"message": "Forbidden", "connectionId":"Ya1aXeR8IAMCLnw=", "requestId":"Ya1b2Gd4IAMF5yQ="}"#
    );
    let frame: Value = serde_json::from_str(&internal_error("a/b=", "r=")).unwrap();
    assert_eq!(
        frame,
        json!({"message": "Internal server error", "connectionId": "a/b=", "requestId": "r="})
    );
}
