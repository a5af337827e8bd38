//! Function URL events: what the app receives for the real samples, and `dev`'s event read back.

use http::Method;
use serde_json::{Value, json};

use super::SOURCE;
use crate::sources::emulate::URL_ID;
use crate::sources::emulate::tests::{event, has_the_sample_shape, typical};
use crate::sources::tests::{Sample, app_request, check_samples, fixture, header, kind_of, options, run};
use crate::sources::{LAMBDA_CONTEXT, REQUEST_CONTEXT};

const SAMPLES: [Sample; 2] = [
    Sample {
        fixture: "example-lambda-function-url-request.json",
        method: "GET",
        uri: "http://127.0.0.1:8080/my/path?parameter1=value1&parameter1=value2&parameter2=value",
        // The cookies array wins over the duplicate cookie header; Lambda's trace id replaces the event's.
        headers: &[
            ("cookie", "test=hi"),
            ("host", "id.lambda-url.eu-west-2.on.aws"),
            ("x-forwarded-for", "65.78.31.245"),
            ("x-forwarded-proto", "https"),
            ("x-amzn-trace-id", "Root=1-lambda;Sampled=1"),
        ],
        absent: &[],
    },
    // SAM's local HTTP API sends payload 2.0 on localhost: read as a Function URL's.
    Sample {
        fixture: "example-apigw-sam-http-request.json",
        method: "GET",
        uri: "http://127.0.0.1:8080/dump?foo=bar",
        headers: &[("x-forwarded-proto", "http")],
        absent: &["connection"],
    },
];

#[test]
fn samples() {
    check_samples(SOURCE, &SAMPLES);
}

#[test]
fn the_sample_carries_its_contexts() {
    let app = run(&fixture("example-lambda-function-url-request.json"), &options());
    let r = &app.request;
    let context: Value = serde_json::from_str(header(r, REQUEST_CONTEXT).unwrap()).unwrap();
    assert_eq!(context["requestId"], "MIZRNhJtIAMEMDw=");
    assert_eq!(context["http"]["sourceIp"], "65.78.31.245");
    let lambda: Value = serde_json::from_str(header(r, LAMBDA_CONTEXT).unwrap()).unwrap();
    assert_eq!(lambda["request_id"], "req-1");
    assert_eq!(lambda["invoked_function_arn"], "arn:aws:lambda:us-east-1:123456789012:function:app");
    assert_eq!(lambda["env_config"]["function_name"], "app");
    assert!(r.body().is_empty());
}

/// A client context holding characters a header cannot carry (a mobile SDK's custom values in another script)
/// still reaches the app, as JSON escapes that read back as the same text.
#[test]
fn a_non_ascii_client_context_is_escaped_not_dropped() {
    let mut ctx = crate::sources::tests::ctx();
    ctx.client_context = Some(json!({"custom": {"city": "Zürich", "mood": "😀", "del": "\u{7f}"}}));
    let event = fixture("example-lambda-function-url-request.json");
    let app = crate::sources::translate(&event, &ctx, &options()).unwrap();
    let text = header(&app.request, LAMBDA_CONTEXT).expect("the context header is there");
    assert!(text.contains(r"Z\u00fcrich"), "{text}");
    let lambda: Value = serde_json::from_str(text).unwrap();
    assert_eq!(lambda["client_context"]["custom"]["city"], "Zürich");
    assert_eq!(lambda["client_context"]["custom"]["mood"], "😀");
    assert_eq!(lambda["client_context"]["custom"]["del"], "\u{7f}");
}

#[test]
fn raw_paths_keep_their_encoding() {
    let mut event: Value = serde_json::from_slice(&fixture("example-lambda-function-url-request.json")).unwrap();
    event["rawPath"] = "/a%2Fb/c%20d".into();
    event["rawQueryString"] = "x=%2B1&y=a+b".into();
    let app = run(event.to_string().as_bytes(), &options());
    assert_eq!(app.request.uri().path(), "/a%2Fb/c%20d");
    assert_eq!(app.request.uri().query(), Some("x=%2B1&y=a+b"));
}

#[test]
fn emulator_events_with_nulls_are_accepted() {
    // The shape cargo-lambda's emulator sends: apiId and rawQueryString null, domainName localhost.
    let event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/hello", "rawQueryString": null, "cookies": null,
        "headers": {"host": "127.0.0.1:9000", "accept": "*/*"}, "queryStringParameters": null,
        "requestContext": {"accountId": "123456789012", "apiId": null, "domainName": "localhost", "domainPrefix": null,
            "http": {"method": "GET", "path": "/hello", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl"},
            "requestId": "id", "routeKey": "$default", "stage": "$default", "time": "", "timeEpoch": 0},
        "body": null, "isBase64Encoded": false
    });
    let app = run(event.to_string().as_bytes(), &options());
    assert_eq!(app.kind, SOURCE);
    assert_eq!(app.request.uri(), "http://127.0.0.1:8080/hello");
}

#[test]
fn function_url_matches_the_sample_and_reads_back() {
    let event = event(SOURCE, &typical());
    has_the_sample_shape(&event, "example-lambda-function-url-request.json", &[]);
    assert_eq!(kind_of(&event), SOURCE);
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
