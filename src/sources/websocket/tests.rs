//! The mapping against the real WebSocket fixtures in `tests/fixtures/events/`.

use super::*;

use crate::error::ErrorKind;
use crate::sources::translate;
use serde_json::json;

fn fixture(name: &str) -> Value {
    serde_json::from_slice(&crate::sources::tests::fixture(name)).unwrap()
}

use crate::sources::tests::{ctx, options};

/// Translates through the public entry point, as an invocation does.
fn app_request(event: &Value, options: &TranslateOptions) -> Request<Bytes> {
    let app = translate(event.to_string().as_bytes(), &ctx(), options).unwrap();
    assert_eq!(app.kind, SOURCE);
    app.request
}

fn header<'a>(request: &'a Request<Bytes>, name: &str) -> Option<&'a str> {
    request.headers().get(name).map(|v| v.to_str().unwrap())
}

fn ws_headers(request: &Request<Bytes>) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter(|(n, _)| n.as_str().starts_with("x-ws-"))
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    found.sort();
    found
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

#[test]
fn connect_fixture() {
    let event = fixture("example-apigw-websocket-request-without-method.json");
    let app = translate(event.to_string().as_bytes(), &ctx(), &options()).unwrap();
    let request = app.request;
    assert_eq!(request.method(), Method::POST);
    assert_eq!(request.uri(), "http://127.0.0.1:8080/ws/connect");
    assert!(request.body().is_empty());
    assert_eq!(
        ws_headers(&request),
        pairs(&[
            ("x-ws-api-id", "asdfasdf"),
            ("x-ws-callback", "http://127.0.0.1:9002/invocations/req-1/@connections/asdfasdf%3D"),
            ("x-ws-connected-at", "1645556857902"),
            ("x-ws-connection-id", "asdfasdf="),
            ("x-ws-event", "CONNECT"),
            ("x-ws-route-key", "$connect"),
            ("x-ws-stage", "dev"),
        ])
    );
    // The handshake's own headers reach the app, the upgrade machinery does not.
    assert_eq!(header(&request, "host"), Some("asdfasdf.execute-api.us-west-2.amazonaws.com"));
    assert_eq!(header(&request, "x-api-key"), Some("asdfasdf"));
    assert_eq!(header(&request, "x-forwarded-for"), Some("10.0.0.13"));
    assert_eq!(header(&request, "x-forwarded-proto"), Some("https"));
    assert_eq!(header(&request, "sec-websocket-key"), None);
    assert_eq!(header(&request, "sec-websocket-version"), None);
    let context: Value = serde_json::from_str(header(&request, "x-amzn-request-context").unwrap()).unwrap();
    assert_eq!(context["identity"]["apiKey"], "asdfasdf");
    assert_eq!(context["connectionId"], "asdfasdf=");
    let lambda: Value = serde_json::from_str(header(&request, "x-amzn-lambda-context").unwrap()).unwrap();
    assert_eq!(lambda["request_id"], "req-1");
    let event = app.websocket.unwrap();
    assert_eq!(
        (
            event.event_type,
            event.connection_id.as_str(),
            event.api_id.as_deref(),
            event.stage.as_deref()
        ),
        (WsEventType::Connect, "asdfasdf=", Some("asdfasdf"), Some("dev"))
    );
}

#[test]
fn connect_with_query_subprotocol_and_upgrade_headers() {
    let mut event = fixture("example-apigw-websocket-request-without-method.json");
    event["queryStringParameters"] = json!({"token": "a b&c", "room": "1"});
    event["multiValueQueryStringParameters"] = json!({"token": ["a b&c"], "room": ["1", "2"]});
    for (name, value) in [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Protocol", "chat.v2, chat.v1"),
        ("Sec-WebSocket-Extensions", "permessage-deflate"),
    ] {
        event["headers"][name] = value.into();
        event["multiValueHeaders"][name] = json!([value]);
    }
    let app = translate(event.to_string().as_bytes(), &ctx(), &options()).unwrap();
    let request = app.request;
    assert_eq!(request.uri(), "http://127.0.0.1:8080/ws/connect?token=a%20b%26c&room=1&room=2");
    assert_eq!(header(&request, "upgrade"), None);
    assert_eq!(header(&request, "connection"), None);
    assert_eq!(header(&request, "sec-websocket-protocol"), Some("chat.v2, chat.v1"));
    assert_eq!(app.websocket.unwrap().offered_protocols, ["chat.v2", "chat.v1"]);
}

#[test]
fn message_fixture() {
    let request = app_request(&fixture("example-apigw-websocket-message.json"), &options());
    assert_eq!(request.uri(), "http://127.0.0.1:8080/ws/message");
    assert_eq!(request.body().as_ref(), br#"{"action":"$default","text":"hello"}"#);
    assert_eq!(header(&request, "content-type"), Some("application/json"));
    assert_eq!(header(&request, "x-forwarded-for"), Some("203.0.113.7"));
    assert_eq!(
        ws_headers(&request),
        pairs(&[
            ("x-ws-api-id", "k3x9q2w1ab"),
            (
                "x-ws-callback",
                "http://127.0.0.1:9002/invocations/req-1/@connections/Ya1aXeR8IAMCLnw%3D"
            ),
            ("x-ws-connected-at", "1742085982306"),
            ("x-ws-connection-id", "Ya1aXeR8IAMCLnw="),
            ("x-ws-event", "MESSAGE"),
            ("x-ws-message-id", "Ya1b2Ic3IAMCE4w="),
            ("x-ws-route-key", "$default"),
            ("x-ws-stage", "production"),
        ])
    );
}

#[test]
fn message_content_type_follows_the_frame() {
    let mut event = fixture("example-apigw-websocket-message.json");
    event["body"] = "hello there".into();
    let request = app_request(&event, &options());
    assert_eq!(header(&request, "content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(request.body().as_ref(), b"hello there");

    event["body"] = "AAH/".into();
    event["isBase64Encoded"] = true.into();
    let request = app_request(&event, &options());
    assert_eq!(header(&request, "content-type"), Some("application/octet-stream"));
    assert_eq!(request.body().as_ref(), [0, 1, 255]);
}

#[test]
fn disconnect_fixture() {
    let request = app_request(&fixture("example-apigw-websocket-request-disconnect-route.json"), &options());
    assert_eq!(request.uri(), "http://127.0.0.1:8080/ws/disconnect");
    assert!(request.body().is_empty());
    // The stub X-Forwarded-For is empty; the source IP stands in.
    assert_eq!(header(&request, "x-forwarded-for"), Some("192.0.2.1"));
    assert_eq!(
        ws_headers(&request),
        pairs(&[
            ("x-ws-api-id", "abcd1234"),
            ("x-ws-callback", "http://127.0.0.1:9002/invocations/req-1/@connections/AAAA1234%3D"),
            ("x-ws-connected-at", "1707503007396"),
            ("x-ws-connection-id", "AAAA1234="),
            ("x-ws-disconnect-code", "1005"),
            ("x-ws-disconnect-reason", "Client-side close frame status not set"),
            ("x-ws-event", "DISCONNECT"),
            ("x-ws-route-key", "$disconnect"),
            ("x-ws-stage", "prod"),
        ])
    );
}

#[test]
fn client_supplied_ws_headers_never_reach_the_app() {
    let mut event = fixture("example-apigw-websocket-request-without-method.json");
    let spoofed = [
        ("X-WS-Connection-Id", "someone-elses-id="),
        ("x-ws-callback", "http://169.254.169.254/latest"),
        ("X-Ws-Event", "MESSAGE"),
        ("x-ws-admin", "true"),
        ("x-amzn-request-context", r#"{"authorizer":{"principalId":"admin"}}"#),
    ];
    for (name, value) in spoofed {
        event["headers"][name] = value.into();
        event["multiValueHeaders"][name] = json!([value, "second"]);
    }
    let request = app_request(&event, &options());
    assert_eq!(header(&request, "x-ws-connection-id"), Some("asdfasdf="));
    assert_eq!(
        header(&request, "x-ws-callback"),
        Some("http://127.0.0.1:9002/invocations/req-1/@connections/asdfasdf%3D")
    );
    assert_eq!(header(&request, "x-ws-event"), Some("CONNECT"));
    assert_eq!(header(&request, "x-ws-admin"), None);
    for name in ["x-ws-connection-id", "x-ws-callback", "x-ws-event", "x-amzn-request-context"] {
        assert_eq!(request.headers().get_all(name).iter().count(), 1, "{name}");
    }
    let context: Value = serde_json::from_str(header(&request, "x-amzn-request-context").unwrap()).unwrap();
    assert_eq!(context["authorizer"], Value::Null);
}

#[test]
fn path_and_callback_port_follow_the_settings() {
    let mut options = options();
    options.ws = WsRoutes {
        path: "/api/socket".into(),
        callback_port: 9100,
    };
    let mut event = fixture("example-apigw-websocket-message.json");
    event["requestContext"]["connectionId"] = "ab/cd+ef==".into();
    let request = app_request(&event, &options);
    assert_eq!(request.uri(), "http://127.0.0.1:8080/api/socket/message");
    assert_eq!(
        header(&request, "x-ws-callback"),
        Some("http://127.0.0.1:9100/invocations/req-1/@connections/ab%2Fcd%2Bef%3D%3D")
    );
    options.ws.path = String::new();
    assert_eq!(app_request(&event, &options).uri(), "http://127.0.0.1:8080/message");
}

#[test]
fn authorizer_context_reaches_the_app() {
    let mut event = fixture("example-apigw-websocket-message.json");
    event["requestContext"]["authorizer"] = json!({"principalId": "user-7", "tenant": "t1"});
    let request = app_request(&event, &options());
    let context: Value = serde_json::from_str(header(&request, "x-amzn-request-context").unwrap()).unwrap();
    assert_eq!(context["authorizer"]["principalId"], "user-7");
    assert_eq!(context["identity"]["sourceIp"], "203.0.113.7");
}

#[test]
fn bad_events_are_invalid_with_a_reason() {
    type Change = fn(&mut Value);
    let cases: [(&str, Change, &str); 4] = [
        (
            "unknown eventType",
            |e| e["requestContext"]["eventType"] = "PING".into(),
            "eventType is `PING`",
        ),
        (
            "bad base64",
            |e| {
                e["isBase64Encoded"] = true.into();
                e["body"] = "not base64!".into();
            },
            "not valid base64",
        ),
        ("header value", |e| e["headers"] = json!({"x-bad": "line\nbreak"}), "`x-bad`"),
        ("header name", |e| e["headers"] = json!({"bad name": "v"}), "`bad name`"),
    ];
    for (what, change, want) in cases {
        let mut event = fixture("example-apigw-websocket-message.json");
        change(&mut event);
        let err = translate(event.to_string().as_bytes(), &ctx(), &options()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidEvent, "{what}");
        assert!(err.message.contains(want), "{what}: {}", err.message);
    }
}

#[test]
fn each_way_a_websocket_event_can_be_wrong_has_its_kind() {
    let read = |change: fn(&mut Value)| {
        let mut event = fixture("example-apigw-websocket-message.json");
        change(&mut event);
        request(&event, &ctx(), &options()).unwrap_err()
    };
    let error = read(|e| e["requestContext"]["eventType"] = "PING".into());
    assert!(matches!(&error, EventError::WsEventType(text) if text == "PING"), "{error:?}");
    assert!(matches!(
        read(|e| e["requestContext"]["connectionId"] = "".into()),
        EventError::WsConnectionId
    ));
    let error = read(|e| e["requestContext"]["connectionId"] = "a\nb".into());
    assert!(
        matches!(&error, EventError::BadHeaderValue { name } if name == "x-ws-connection-id"),
        "{error:?}"
    );
    let read_with = |field: &str, text: &str| {
        let mut event = fixture("example-apigw-websocket-message.json");
        event["requestContext"][field] = text.into();
        request(&event, &ctx(), &options()).unwrap_err()
    };
    for forged in ["127.0.0.1:21299/", "abc.evil.com", "ABCDEFGHIJ", "abcdefghijk", "a@b"] {
        let error = read_with("apiId", forged);
        assert!(matches!(&error, EventError::WsApiId(text) if text == forged), "{forged}: {error:?}");
    }
    for forged in ["prod/x", "..", "a b", "p%2f", &"s".repeat(129)] {
        let error = read_with("stage", forged);
        assert!(matches!(&error, EventError::WsStage(text) if text == forged), "{forged}: {error:?}");
    }
    let error = read(|e| e["headers"] = json!({"authorization": "Bearer SECRET\u{1}"}));
    assert!(
        matches!(&error, EventError::BadHeaderValue { name } if name == "authorization"),
        "{error:?}"
    );
    assert!(!error.to_string().contains("SECRET"), "{error}");
    let error = read(|e| e["headers"] = json!({"bad name": "v"}));
    assert!(
        matches!(&error, EventError::BadHeaderName { name, field: "headers" } if name == "bad name"),
        "{error:?}"
    );
    let error = read(|e| {
        e["isBase64Encoded"] = true.into();
        e["body"] = "not base64!".into();
    });
    assert!(matches!(error, EventError::BadBase64(_)), "{error:?}");
}

#[test]
fn control_characters_in_a_close_reason_become_spaces() {
    let mut event = fixture("example-apigw-websocket-request-disconnect-route.json");
    event["requestContext"]["disconnectReason"] = "bye\r\nnow".into();
    event["requestContext"]["disconnectStatusCode"] = 1001.into();
    let request = app_request(&event, &options());
    assert_eq!(header(&request, "x-ws-disconnect-reason"), Some("bye  now"));
    assert_eq!(header(&request, "x-ws-disconnect-code"), Some("1001"));
}

/// Found by the `ws_event` fuzz target: an empty connection id made an `x-ws-callback` the `@connections`
/// server refuses. Such an event is invalid.
#[test]
fn an_empty_connection_id_is_an_invalid_event() {
    let mut event = fixture("example-apigw-websocket-message.json");
    event["requestContext"]["connectionId"] = "".into();
    let error = translate(event.to_string().as_bytes(), &ctx(), &options()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidEvent);
    assert!(error.message.contains("connectionId"), "{}", error.message);
}
