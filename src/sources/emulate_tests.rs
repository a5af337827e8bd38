//! Events built for `dev`, read back by the adapter's own translation: what the app would receive is what
//! the client sent. The helpers here serve each source's own test file, which checks its event against the
//! real sample's shape; the tests here hold for every source.

use super::*;
use crate::sources::tests::fixture;
use crate::sources::{Source, alb, function_url, registry, rest_api};

pub(crate) struct Sent {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Vec<u8>,
}

pub(crate) fn sent(method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> Sent {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(name.parse::<http::HeaderName>().unwrap(), value.parse().unwrap());
    }
    Sent {
        method: method.parse().unwrap(),
        uri: uri.parse().unwrap(),
        headers: map,
        body: body.to_vec(),
    }
}

pub(crate) fn event(source: &Source, sent: &Sent) -> Value {
    let request = ClientRequest {
        method: &sent.method,
        uri: &sent.uri,
        headers: &sent.headers,
        body: &sent.body,
        source_ip: "10.1.2.3".parse().unwrap(),
        port: 9000,
    };
    let ids = RequestIds {
        request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef".into(),
        time_epoch_ms: 1_673_437_534_837,
    };
    source.emulation().expect("an emulated source").event(&request, &ids)
}

pub(crate) fn typical() -> Sent {
    sent(
        "POST",
        "/a%20b/c?tag=x&tag=y%26z&q=caf%C3%A9&empty",
        &[
            ("host", "localhost:9000"),
            ("user-agent", "curl/8.0"),
            ("x-multi", "1"),
            ("x-multi", "2"),
            ("cookie", "a=1; b=2"),
            ("content-type", "application/octet-stream"),
        ],
        &[0, 159, 255, b'x'],
    )
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// Every key the real sample has at the top level and in `requestContext` is in ours (samples carry
/// authorizer and TLS details a local emulator has no value for, so those are allowed to be missing).
pub(crate) fn has_the_sample_shape(ours: &Value, sample: &str, optional: &[&str]) {
    let sample: Value = serde_json::from_slice(&fixture(sample)).unwrap();
    for (ours, theirs) in [(ours, &sample), (&ours["requestContext"], &sample["requestContext"])] {
        for key in keys(theirs) {
            assert!(
                ours.get(&key).is_some() || optional.contains(&key.as_str()),
                "missing `{key}` in {ours}"
            );
        }
    }
}

#[test]
fn text_bodies_stay_text_and_empty_bodies_are_absent() {
    let json_body = sent("PUT", "/", &[("content-type", "application/json")], br#"{"a":1}"#);
    for (source, _) in registry::emulated() {
        let event = event(source, &json_body);
        assert_eq!(event["body"], r#"{"a":1}"#, "{source:?}");
        assert_eq!(event["isBase64Encoded"], false, "{source:?}");
    }
    let empty = sent("GET", "/", &[], b"");
    assert!(event(function_url::SOURCE, &empty).get("body").is_none());
    assert!(event(function_url::SOURCE, &empty).get("queryStringParameters").is_none());
    assert_eq!(event(rest_api::SOURCE, &empty)["body"], Value::Null);
    assert_eq!(event(rest_api::SOURCE, &empty)["queryStringParameters"], Value::Null);
    assert_eq!(event(alb::SINGLE_VALUE, &empty)["body"], "");
}
