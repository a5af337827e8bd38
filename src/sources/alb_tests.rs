//! ALB events, in both header forms: what the app receives for the real samples, and `dev`'s events read
//! back.

use serde_json::{Value, json};

use super::{MULTI_VALUE, SINGLE_VALUE};
use crate::sources::emulate::tests::{event, has_the_sample_shape, typical};
use crate::sources::tests::{Sample, app_request, check_samples, fixture, kind_of, options, run};

#[test]
fn samples() {
    check_samples(
        MULTI_VALUE,
        &[Sample {
            fixture: "example-alb-lambda-target-request-multivalue-headers.json",
            method: "GET",
            uri: "http://127.0.0.1:8080/?key=hello",
            headers: &[("x-myheader", "123")],
            absent: &["connection"],
        }],
    );
    check_samples(
        SINGLE_VALUE,
        &[Sample {
            fixture: "example-alb-lambda-target-request-headers-only.json",
            method: "GET",
            uri: "http://127.0.0.1:8080/?key=hello",
            headers: &[("x-forwarded-for", "25.12.198.67")],
            absent: &[],
        }],
    );
    let app = run(&fixture("example-alb-lambda-target-request-multivalue-headers.json"), &options());
    assert_eq!(&app.request.body()[..], b"Some text");
}

#[test]
fn query_values_stay_encoded() {
    let mut alb: Value = serde_json::from_slice(&fixture("example-alb-lambda-target-request-multivalue-headers.json")).unwrap();
    alb["multiValueQueryStringParameters"] = json!({"q": ["a%20b", "c%26d"], "x": ["1"]});
    let app = run(alb.to_string().as_bytes(), &options());
    assert_eq!(app.request.uri().query(), Some("q=a%20b&q=c%26d&x=1"));
}

#[test]
fn alb_keeps_query_values_encoded_in_either_form() {
    let single = event(SINGLE_VALUE, &typical());
    has_the_sample_shape(&single, "example-alb-lambda-target-request-headers-only.json", &[]);
    assert_eq!(kind_of(&single), SINGLE_VALUE);
    assert_eq!(
        single["queryStringParameters"],
        json!({"tag": "y%26z", "q": "caf%C3%A9", "empty": ""})
    );
    assert_eq!(single["headers"]["x-multi"], "2");

    let multi = event(MULTI_VALUE, &typical());
    has_the_sample_shape(&multi, "example-alb-lambda-target-request-multivalue-headers.json", &[]);
    assert_eq!(kind_of(&multi), MULTI_VALUE);
    assert_eq!(multi["multiValueQueryStringParameters"]["tag"], json!(["x", "y%26z"]));
    let parts = app_request(&multi);
    assert_eq!(parts.uri().path(), "/a%20b/c");
    assert_eq!(parts.uri().query().unwrap_or(""), "tag=x&tag=y%26z&q=caf%C3%A9&empty=");
    assert_eq!(&parts.body()[..], &[0, 159, 255, b'x']);
}
