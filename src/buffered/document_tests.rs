//! The buffered documents: each format encoded, decoded, and round trips between the two.

use super::*;
use crate::response::meta::{values, varied};
use crate::sources::alb::{MULTI_FORMAT as ALB_MULTI, SINGLE_FORMAT as ALB_SINGLE};
use crate::sources::function_url::FORMAT as V2;
use crate::sources::rest_api::FORMAT as REST;
use crate::sources::vpc_lattice::FORMAT as LATTICE;
use crate::sources::websocket::FORMAT as WEBSOCKET;
use http::HeaderMap;
use serde_json::json;

fn meta() -> ResponseMeta {
    let mut headers = HeaderMap::new();
    headers.append("content-type", "text/plain".parse().unwrap());
    headers.append("x-multi", "a".parse().unwrap());
    headers.append("x-multi", "b".parse().unwrap());
    for cookie in ["a=1", "b=2", "c=3; HttpOnly"] {
        headers.append("set-cookie", cookie.parse().unwrap());
    }
    ResponseMeta::new(201, &headers)
}

fn doc(format: Format, body: &[u8], text: bool) -> Value {
    serde_json::from_slice(&encode(format, &meta(), body, text)).unwrap()
}

#[test]
fn payload_v2() {
    assert_eq!(
        doc(V2, b"hi", true),
        json!({"statusCode": 201, "headers": {"content-type": "text/plain", "x-multi": "a,b"},
               "cookies": ["a=1", "b=2", "c=3; HttpOnly"], "body": "hi", "isBase64Encoded": false})
    );
}

#[test]
fn payload_v1_keeps_every_value() {
    assert_eq!(
        doc(REST, &[0, 1, 255], false),
        json!({"statusCode": 201, "headers": {"content-type": "text/plain"},
               "multiValueHeaders": {"content-type": ["text/plain"], "x-multi": ["a", "b"], "set-cookie": ["a=1", "b=2", "c=3; HttpOnly"]},
               "body": "AAH/", "isBase64Encoded": true})
    );
}

#[test]
fn alb_matches_request_form() {
    assert_eq!(
        doc(ALB_MULTI, b"", true),
        json!({"statusCode": 201, "statusDescription": "201 Created",
               "multiValueHeaders": {"content-type": ["text/plain"], "x-multi": ["a", "b"], "set-cookie": ["a=1", "b=2", "c=3; HttpOnly"]},
               "body": "", "isBase64Encoded": false})
    );
    assert_eq!(
        doc(ALB_SINGLE, b"", true),
        json!({"statusCode": 201, "statusDescription": "201 Created",
               "headers": {"content-type": "text/plain", "x-multi": "a,b", "set-cookie": "c=3; HttpOnly"},
               "body": "", "isBase64Encoded": false})
    );
}

#[test]
fn websocket_passes_back_the_subprotocol_only() {
    let mut headers = HeaderMap::new();
    headers.insert("sec-websocket-protocol", "chat.v1".parse().unwrap());
    headers.insert("x-other", "dropped".parse().unwrap());
    let meta = ResponseMeta::new(200, &headers);
    let doc: Value = serde_json::from_slice(&encode(WEBSOCKET, &meta, b"", true)).unwrap();
    assert_eq!(doc, json!({"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat.v1"}}));
    assert_eq!(
        doc_ws(b"{\"ok\":true}"),
        json!({"statusCode": 201, "body": "{\"ok\":true}", "isBase64Encoded": false})
    );
}

fn doc_ws(body: &[u8]) -> Value {
    let meta = ResponseMeta::new(201, &HeaderMap::new());
    serde_json::from_slice(&encode(WEBSOCKET, &meta, body, true)).unwrap()
}

#[test]
fn descriptions() {
    assert_eq!(status_description(200), "200 OK");
    assert_eq!(status_description(599), "599 Unknown");
}

/// What the adapter encodes, decoded again: the round trip every buffered request takes in `dev`.
fn round_trip(format: Format) -> Decoded {
    let payload = encode(format, &varied(), &[0, 1, 255], false);
    decode(format, &payload).unwrap()
}

#[test]
fn payload_v2_round_trip() {
    {
        let decoded = round_trip(V2);
        assert_eq!(decoded.head.status, 201);
        assert_eq!(values(&decoded.head.headers, "x-multi"), ["a,b"]);
        assert_eq!(values(&decoded.head.headers, "set-cookie"), ["a=1", "b=2; Path=/"]);
        assert_eq!(&decoded.body[..], &[0, 1, 255]);
    }
}

#[test]
fn rest_round_trip_sends_each_value_once() {
    let decoded = round_trip(REST);
    assert_eq!(values(&decoded.head.headers, "x-multi"), ["a", "b"]);
    assert_eq!(values(&decoded.head.headers, "content-type"), ["image/png"]);
    assert_eq!(values(&decoded.head.headers, "set-cookie"), ["a=1", "b=2; Path=/"]);
}

#[test]
fn alb_round_trips() {
    let multi = round_trip(ALB_MULTI);
    assert_eq!(values(&multi.head.headers, "set-cookie"), ["a=1", "b=2; Path=/"]);
    let single = round_trip(ALB_SINGLE);
    assert_eq!(values(&single.head.headers, "set-cookie"), ["b=2; Path=/"]);
    assert_eq!(values(&single.head.headers, "x-multi"), ["a,b"]);
}

#[test]
fn payload_v2_infers_a_200_for_json_without_status() {
    let decoded = decode(V2, br#"{"hello":"world"}"#).unwrap();
    assert_eq!(decoded.head.status, 200);
    assert_eq!(decoded.head.headers["content-type"], "application/json");
    assert_eq!(&decoded.body[..], br#"{"hello":"world"}"#);
    assert!(decode(REST, br#"{"hello":"world"}"#).is_err());
}

#[test]
fn malformed_documents_are_errors_not_panics() {
    for (source, payload) in [
        (V2, &b"not json"[..]),
        (V2, br#"{"statusCode": 42}"#),
        (V2, br#"{"statusCode": "200"}"#),
        (V2, br#"{"statusCode": 200, "headers": ["x"]}"#),
        (V2, br#"{"statusCode": 200, "headers": {"bad name": "x"}}"#),
        (V2, br#"{"statusCode": 200, "headers": {"x": "a\nb"}}"#),
        (V2, br#"{"statusCode": 200, "cookies": "a=1"}"#),
        (V2, br#"{"statusCode": 200, "body": "%%", "isBase64Encoded": true}"#),
        (REST, br#"{"statusCode": 200, "multiValueHeaders": {"x": "a"}}"#),
        (ALB_SINGLE, br#"{"statusCode": 200, "body": 5}"#),
    ] {
        assert!(decode(source, payload).is_err(), "{source:?} {}", String::from_utf8_lossy(payload));
    }
}

#[test]
fn vpc_lattice_round_trip_keeps_the_last_cookie_like_alb() {
    let decoded = round_trip(LATTICE);
    assert_eq!(decoded.head.status, 201);
    assert_eq!(values(&decoded.head.headers, "set-cookie"), ["b=2; Path=/"]);
    assert_eq!(values(&decoded.head.headers, "x-multi"), ["a,b"]);
    assert_eq!(&decoded.body[..], &[0, 1, 255]);
    let doc: Value = serde_json::from_slice(&encode(LATTICE, &varied(), b"ok", true)).unwrap();
    assert_eq!(doc["statusDescription"], "201 Created");
}

#[test]
fn binary_bodies_are_standard_base64_at_every_padding() {
    let meta = ResponseMeta::new(200, &HeaderMap::new());
    for len in 0..8u8 {
        let body: Vec<u8> = (0..len).map(|i| i.wrapping_mul(97)).collect();
        let doc: Value = serde_json::from_slice(&encode(V2, &meta, &body, false)).unwrap();
        let expected = base64::engine::general_purpose::STANDARD.encode(&body);
        assert_eq!(doc["body"], expected.as_str(), "{len} bytes");
        assert_eq!(doc["isBase64Encoded"], true);
    }
}

#[test]
fn text_bodies_are_escaped_and_invalid_utf8_replaced() {
    let meta = ResponseMeta::new(200, &HeaderMap::new());
    let doc: Value = serde_json::from_slice(&encode(V2, &meta, b"a\"b\\c\n\x01\xff", true)).unwrap();
    assert_eq!(doc["body"], "a\"b\\c\n\u{1}\u{fffd}");
}
