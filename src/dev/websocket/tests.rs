//! The pure parts of the WebSocket front door: handshake checks and reading the function's answers.

use super::*;

#[test]
fn connect_answers() {
    let answer = connect_answer(br#"{"statusCode":200,"headers":{"Sec-WebSocket-Protocol":"chat"}}"#).unwrap();
    assert_eq!((answer.status, answer.protocol.unwrap()), (200, HeaderValue::from_static("chat")));
    let answer = connect_answer(br#"{"statusCode":401}"#).unwrap();
    assert_eq!((answer.status, answer.protocol), (401, None));
    let answer = connect_answer(br#"{"multiValueHeaders":{"sec-websocket-protocol":["v2"]}}"#).unwrap();
    assert_eq!((answer.status, answer.protocol.unwrap()), (200, HeaderValue::from_static("v2")));
    assert!(connect_answer(b"nope").is_err());
    assert!(connect_answer(br#"{"statusCode":1000}"#).is_err());
    assert!(connect_answer(br#"{"statusCode":200,"headers":{"Sec-WebSocket-Protocol":"a\nb"}}"#).is_err());
}

#[test]
fn reply_frames() {
    assert_eq!(
        reply_frame(br#"{"statusCode":200,"body":"hi"}"#).ok(),
        Some(Some(Outgoing::Text("hi".into())))
    );
    assert_eq!(reply_frame(br#"{"statusCode":200}"#).ok(), Some(None));
    assert_eq!(reply_frame(br#"{"statusCode":200,"body":""}"#).ok(), Some(None));
    assert_eq!(
        reply_frame(br#"{"body":"aGk=","isBase64Encoded":true}"#).ok(),
        Some(Some(Outgoing::Text("hi".into())))
    );
    assert_eq!(
        reply_frame(br#"{"body":"/w==","isBase64Encoded":true}"#).ok(),
        Some(Some(Outgoing::Binary(Bytes::from_static(&[0xff]))))
    );
    assert!(reply_frame(br#"{"body":"!","isBase64Encoded":true}"#).is_err());
}

#[test]
fn handshakes_are_checked() {
    let request = |version: &str, key: Option<&str>| {
        let mut builder = Request::get("/").header("sec-websocket-version", version);
        if let Some(key) = key {
            builder = builder.header("sec-websocket-key", key);
        }
        builder.body(()).unwrap()
    };
    // RFC 6455's example key and accept value.
    assert_eq!(
        check_handshake(&request("13", Some("dGhlIHNhbXBsZSBub25jZQ=="))),
        Ok("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into())
    );
    assert_eq!(
        check_handshake(&request("8", Some("x"))).unwrap_err().0,
        StatusCode::UPGRADE_REQUIRED
    );
    assert_eq!(check_handshake(&request("13", None)).unwrap_err().0, StatusCode::BAD_REQUEST);
}
