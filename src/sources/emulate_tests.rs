//! Events built for `dev` against the real samples' shapes, and read back by the adapter's own
//! translation: what the app would receive is what the client sent.

use super::*;
use crate::sources::tests::{app_request, fixture, kind_of};
use crate::sources::{Source, alb, function_url, http_api, registry, rest_api};
use serde_json::json;

struct Sent {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn sent(method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> Sent {
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

fn event(source: &Source, sent: &Sent) -> Value {
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

fn typical() -> Sent {
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
fn has_the_sample_shape(ours: &Value, sample: &str, optional: &[&str]) {
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
fn function_url_matches_the_sample_and_reads_back() {
    let event = event(function_url::SOURCE, &typical());
    has_the_sample_shape(&event, "example-lambda-function-url-request.json", &[]);
    assert_eq!(kind_of(&event), function_url::SOURCE);
    assert_eq!(event["rawPath"], "/a%20b/c");
    assert_eq!(event["rawQueryString"], "tag=x&tag=y%26z&q=caf%C3%A9&empty");
    assert_eq!(event["queryStringParameters"], json!({"tag": "x,y&z", "q": "café", "empty": ""}));
    assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
    assert_eq!(event["headers"]["cookie"], "a=1; b=2");
    assert_eq!(event["headers"]["x-multi"], "1,2");
    assert_eq!(event["headers"]["x-forwarded-for"], "10.1.2.3");
    assert_eq!(
        event["requestContext"]["domainName"],
        format!("{URL_ID}.lambda-url.us-east-1.on.aws")
    );
    assert_eq!(event["requestContext"]["http"]["sourceIp"], "10.1.2.3");
    assert_eq!(event["requestContext"]["time"], "11/Jan/2023:11:45:34 +0000");
    assert_eq!(event["requestContext"]["timeEpoch"], 1_673_437_534_837u64);
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], "AJ//eA==");

    let parts = app_request(&event);
    assert_eq!(parts.method(), Method::POST);
    assert_eq!(parts.uri().path(), "/a%20b/c");
    assert_eq!(parts.uri().query().unwrap_or(""), "tag=x&tag=y%26z&q=caf%C3%A9&empty");
    assert_eq!(&parts.body()[..], &[0, 159, 255, b'x']);
}

#[test]
fn http_api_moves_cookies_out_of_the_headers() {
    let event = event(http_api::SOURCE, &typical());
    has_the_sample_shape(&event, "example-apigw-v2-request-no-authorizer.json", &["authentication"]);
    assert_eq!(kind_of(&event), http_api::SOURCE);
    assert_eq!(
        event["requestContext"]["domainName"],
        format!("{API_ID}.execute-api.us-east-1.amazonaws.com")
    );
    assert!(event["headers"].get("cookie").is_none());
    assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
    let parts = app_request(&event);
    assert_eq!(parts.headers()["cookie"], "a=1; b=2");
}

#[test]
fn rest_api_decodes_path_and_query_and_keeps_every_value() {
    let event = event(rest_api::SOURCE, &typical());
    has_the_sample_shape(&event, "example-apigw-request-multi-value-parameters.json", &["authorizer"]);
    assert_eq!(kind_of(&event), rest_api::SOURCE);
    assert_eq!(event["path"], "/a b/c");
    assert_eq!(event["queryStringParameters"], json!({"tag": "y&z", "q": "café", "empty": ""}));
    assert_eq!(event["multiValueQueryStringParameters"]["tag"], json!(["x", "y&z"]));
    assert_eq!(event["headers"]["x-multi"], "2");
    assert_eq!(event["multiValueHeaders"]["x-multi"], json!(["1", "2"]));
    assert_eq!(event["requestContext"]["identity"]["sourceIp"], "10.1.2.3");

    let parts = app_request(&event);
    assert_eq!(parts.uri().path(), "/a%20b/c");
    assert_eq!(parts.uri().query().unwrap_or(""), "tag=x&tag=y%26z&q=caf%C3%A9&empty=");
    assert_eq!(parts.headers().get_all("x-multi").iter().count(), 2);
    assert_eq!(&parts.body()[..], &[0, 159, 255, b'x']);
}

#[test]
fn alb_keeps_query_values_encoded_in_either_form() {
    let single = event(alb::SINGLE_VALUE, &typical());
    has_the_sample_shape(&single, "example-alb-lambda-target-request-headers-only.json", &[]);
    assert_eq!(kind_of(&single), alb::SINGLE_VALUE);
    assert_eq!(
        single["queryStringParameters"],
        json!({"tag": "y%26z", "q": "caf%C3%A9", "empty": ""})
    );
    assert_eq!(single["headers"]["x-multi"], "2");

    let multi = event(alb::MULTI_VALUE, &typical());
    has_the_sample_shape(&multi, "example-alb-lambda-target-request-multivalue-headers.json", &[]);
    assert_eq!(kind_of(&multi), alb::MULTI_VALUE);
    assert_eq!(multi["multiValueQueryStringParameters"]["tag"], json!(["x", "y%26z"]));
    let parts = app_request(&multi);
    assert_eq!(parts.uri().path(), "/a%20b/c");
    assert_eq!(parts.uri().query().unwrap_or(""), "tag=x&tag=y%26z&q=caf%C3%A9&empty=");
    assert_eq!(&parts.body()[..], &[0, 159, 255, b'x']);
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
