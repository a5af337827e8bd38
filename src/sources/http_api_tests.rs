//! HTTP API events: what the app receives for the real samples, and `dev`'s event read back.

use serde_json::{Value, json};

use super::SOURCE;
use crate::sources::REQUEST_CONTEXT;
use crate::sources::emulate::API_ID;
use crate::sources::emulate::tests::{event, has_the_sample_shape, typical};
use crate::sources::tests::{Sample, app_request, check_samples, fixture, header, kind_of, options, run};

const MY_PATH: &str = "http://127.0.0.1:8080/my/path?parameter1=value1&parameter1=value2&parameter2=value";

const SAMPLES: [Sample; 5] = [
    Sample::plain("example-apigw-v2-request-iam.json", "GET", MY_PATH),
    Sample::plain("example-apigw-v2-request-jwt-authorizer.json", "GET", MY_PATH),
    Sample::plain("example-apigw-v2-request-lambda-authorizer.json", "GET", MY_PATH),
    Sample::plain(
        "example-apigw-v2-request-multi-value-parameters.json",
        "GET",
        "http://127.0.0.1:8080/my/path?Parameter1=value1&Parameter1=value2",
    ),
    Sample::plain("example-apigw-v2-request-no-authorizer.json", "GET", "http://127.0.0.1:8080/"),
];

#[test]
fn samples() {
    check_samples(SOURCE, &SAMPLES);
}

#[test]
fn authorizers_reach_the_app() {
    for sample in &SAMPLES[..3] {
        let name = sample.fixture;
        let app = run(&fixture(name), &options());
        let context: Value = serde_json::from_str(header(&app.request, REQUEST_CONTEXT).unwrap()).unwrap();
        assert!(context["authorizer"].is_object(), "{name}: the authorizer reaches the app");
    }
}

#[test]
fn http_api_moves_cookies_out_of_the_headers() {
    let event = event(SOURCE, &typical());
    has_the_sample_shape(&event, "example-apigw-v2-request-no-authorizer.json", &["authentication"]);
    assert_eq!(kind_of(&event), SOURCE);
    assert_eq!(
        event["requestContext"]["domainName"],
        format!("{API_ID}.execute-api.us-east-1.amazonaws.com")
    );
    assert!(event["headers"].get("cookie").is_none());
    assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
    let parts = app_request(&event);
    assert_eq!(parts.headers()["cookie"], "a=1; b=2");
}
