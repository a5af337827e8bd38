//! What API Gateway gets back for each event and app answer.

use super::*;
use serde_json::{Value, json};

fn event(event_type: WsEventType, offered: &[&str]) -> WsEvent {
    WsEvent {
        event_type,
        connection_id: "Ya1aXeR8IAMCLnw=".into(),
        api_id: Some("k3x9q2w1ab".into()),
        stage: Some("production".into()),
        offered_protocols: offered.iter().map(|p| p.to_string()).collect(),
    }
}

fn headers(list: &[(&str, &str)]) -> HeaderMap {
    list.iter().map(|(n, v)| (n.parse().unwrap(), v.parse().unwrap())).collect()
}

fn run(event: &WsEvent, reply: ReplyMode, status: u16, head: &[(&str, &str)], body: &str) -> Result<(Value, Decision), AdapterError> {
    let decision = decide(
        event,
        reply,
        "POST /ws/x",
        status,
        &headers(head),
        Bytes::copy_from_slice(body.as_bytes()),
    )?;
    Ok((serde_json::from_slice(&decision.document).unwrap(), decision))
}

#[test]
fn connect_accepts_or_rejects_with_the_apps_status() {
    let connect = event(WsEventType::Connect, &["chat.v1", "chat.v2"]);
    let (doc, decision) = run(
        &connect,
        ReplyMode::Response,
        200,
        &[("sec-websocket-protocol", "chat.v1"), ("set-cookie", "a=1")],
        "welcome",
    )
    .unwrap();
    assert_eq!(doc, json!({"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat.v1"}}));
    assert!(decision.warnings.is_empty(), "{:?}", decision.warnings);

    let (doc, _) = run(&connect, ReplyMode::Response, 401, &[], "no token").unwrap();
    assert_eq!(doc, json!({"statusCode": 401}));
    let (doc, _) = run(&connect, ReplyMode::Response, 503, &[], "").unwrap();
    assert_eq!(
        doc,
        json!({"statusCode": 503}),
        "a 5xx on connect rejects, it does not fail the invocation"
    );
}

#[test]
fn subprotocol_mismatches_are_warned_about() {
    let (_, decision) = run(
        &event(WsEventType::Connect, &[]),
        ReplyMode::Response,
        200,
        &[("sec-websocket-protocol", "chat.v1")],
        "",
    )
    .unwrap();
    assert!(decision.warnings[0].contains("`chat.v1`") && decision.warnings[0].contains("offered none"));
    let (_, decision) = run(&event(WsEventType::Connect, &["graphql-ws"]), ReplyMode::Response, 200, &[], "").unwrap();
    assert!(
        decision.warnings[0].contains("no Sec-WebSocket-Protocol"),
        "{:?}",
        decision.warnings
    );
}

#[test]
fn message_reply_in_the_response_body() {
    let message = event(WsEventType::Message, &[]);
    let (doc, decision) = run(
        &message,
        ReplyMode::Response,
        200,
        &[("content-type", "application/json")],
        r#"{"echo":"hi"}"#,
    )
    .unwrap();
    assert_eq!(
        doc,
        json!({"statusCode": 200, "body": "{\"echo\":\"hi\"}", "isBase64Encoded": false})
    );
    assert_eq!(decision.post, None);
    let (doc, _) = run(&message, ReplyMode::Response, 204, &[], "").unwrap();
    assert_eq!(doc, json!({"statusCode": 204}));
}

#[test]
fn message_reply_posted_with_reply_post() {
    let message = event(WsEventType::Message, &[]);
    let (doc, decision) = run(&message, ReplyMode::Post, 200, &[], "pong").unwrap();
    assert_eq!(doc, json!({"statusCode": 200}), "the body is not also returned");
    assert_eq!(decision.post.as_deref(), Some(&b"pong"[..]));
    let (_, decision) = run(&message, ReplyMode::Post, 200, &[], "").unwrap();
    assert_eq!(decision.post, None, "nothing to send");
}

#[test]
fn message_errors() {
    let message = event(WsEventType::Message, &[]);
    let err = run(&message, ReplyMode::Response, 500, &[], "boom").unwrap_err();
    assert_eq!(err.kind, ErrorKind::AppErrorStatus);
    assert_eq!(err.message, "the app answered POST /ws/x with status 500: boom");
    let (doc, decision) = run(&message, ReplyMode::Post, 400, &[], "bad input").unwrap();
    assert_eq!(doc, json!({"statusCode": 400}));
    assert_eq!(decision.post, None);
    assert!(decision.warnings[0].contains("status 400"), "{:?}", decision.warnings);
}

#[test]
fn disconnect_answer_goes_nowhere() {
    let disconnect = event(WsEventType::Disconnect, &[]);
    let (doc, decision) = run(&disconnect, ReplyMode::Post, 500, &[], "ignored").unwrap();
    assert_eq!(doc, json!({"statusCode": 500}));
    assert_eq!(decision.post, None);
}

#[test]
fn binary_replies_go_base64() {
    let message = event(WsEventType::Message, &[]);
    let decision = decide(
        &message,
        ReplyMode::Response,
        "POST /ws/x",
        200,
        &HeaderMap::new(),
        Bytes::from_static(&[0xff, 0]),
    )
    .unwrap();
    let doc: Value = serde_json::from_slice(&decision.document).unwrap();
    assert_eq!(doc, json!({"statusCode": 200, "body": "/wA=", "isBase64Encoded": true}));
}
