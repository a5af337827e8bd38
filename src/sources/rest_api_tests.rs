//! REST API events: what the app receives for the real samples, and `dev`'s event read back.

use serde_json::{Value, json};

use super::SOURCE;
use crate::sources::REQUEST_CONTEXT;
use crate::sources::emulate::tests::{event, has_the_sample_shape, typical};
use crate::sources::tests::{Sample, app_request, check_samples, fixture, header, kind_of, options, run};

const HELLO: &str = "http://127.0.0.1:8080/hello/world?name=me";

const SAMPLES: [Sample; 6] = [
    Sample {
        fixture: "example-apigw-request-multi-value-parameters.json",
        method: "POST",
        uri: "http://127.0.0.1:8080/hello/world?name=me&name=me2",
        headers: &[
            ("headername", "headerValue"),
            ("headername", "headerValue2"),
            ("x-forwarded-for", "54.240.196.186, 54.182.214.83"),
        ],
        absent: &[],
    },
    Sample::plain("example-apigw-request.json", "POST", HELLO),
    Sample::plain("example-apigw-request-catch-all.json", "POST", HELLO),
    Sample::plain("example-apigw-restapi-openapi-request.json", "POST", HELLO),
    Sample::plain("example-apigw-console-test-request.json", "POST", "http://127.0.0.1:8080/myPath"),
    Sample::plain("example-apigw-sam-rest-request.json", "GET", "http://127.0.0.1:8080/test"),
];

#[test]
fn samples() {
    check_samples(SOURCE, &SAMPLES);
}

#[test]
fn the_stage_reaches_the_app_in_the_request_context() {
    let app = run(&fixture("example-apigw-request-multi-value-parameters.json"), &options());
    let context: Value = serde_json::from_str(header(&app.request, REQUEST_CONTEXT).unwrap()).unwrap();
    assert_eq!(context["stage"], "testStage");
}

#[test]
fn decoded_path_and_query_values_are_encoded_again() {
    let mut rest: Value = serde_json::from_slice(&fixture("example-apigw-request.json")).unwrap();
    rest["path"] = "/files/a b/100%".into();
    rest["multiValueQueryStringParameters"] = json!({"q": ["a b", "c&d"], "é": ["ü"]});
    let app = run(rest.to_string().as_bytes(), &options());
    assert_eq!(app.request.uri().path(), "/files/a%20b/100%25");
    assert_eq!(app.request.uri().query(), Some("q=a%20b&q=c%26d&%C3%A9=%C3%BC"));
}

#[test]
fn rest_api_decodes_path_and_query_and_keeps_every_value() {
    let event = event(SOURCE, &typical());
    has_the_sample_shape(&event, "example-apigw-request-multi-value-parameters.json", &["authorizer"]);
    assert_eq!(kind_of(&event), SOURCE);
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
