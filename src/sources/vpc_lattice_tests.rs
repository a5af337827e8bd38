//! VPC Lattice events: what the app receives for the real samples, and `dev`'s event read back.

use http::Method;
use serde_json::{Value, json};

use super::{FORMAT, SOURCE};
use crate::sources::emulate::tests::{event, typical};
use crate::sources::tests::{app_request, ctx, fixture, kind_of, options};
use crate::sources::{LAMBDA_CONTEXT, REQUEST_CONTEXT, translate};

#[test]
fn the_v2_sample_reaches_the_app_with_every_value() {
    let app = translate(&fixture("example-vpc-lattice-v2-request.json"), &ctx(), &options()).unwrap();
    assert_eq!(app.kind, SOURCE);
    let request = &app.request;
    assert_eq!(request.method(), Method::GET);
    assert_eq!(request.uri(), "http://127.0.0.1:8080/health?state=prod&multi=a&multi=DEF&multi=g");
    let multi: Vec<_> = request.headers().get_all("multi").iter().collect();
    assert_eq!(multi, ["x", "y"]);
    assert_eq!(request.headers()["x-forwarded-for"], "10.0.2.100");
    let context: Value = serde_json::from_str(request.headers()[REQUEST_CONTEXT].to_str().unwrap()).unwrap();
    assert_eq!(context["identity"]["type"], "AWS_IAM");
    assert!(request.headers().contains_key(LAMBDA_CONTEXT));
    assert_eq!(SOURCE.format(), Some(FORMAT));
    assert_eq!(SOURCE.streaming(true), None, "Lattice reads a whole document");
}

#[test]
fn a_base64_body_is_decoded() {
    let event: Value = serde_json::from_slice(&fixture("example-vpc-lattice-v2-request-base64.json")).unwrap();
    let app = translate(&fixture("example-vpc-lattice-v2-request-base64.json"), &ctx(), &options()).unwrap();
    assert_eq!(app.kind, SOURCE);
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(&app.request.body()[..2], &[0x1f, 0x8b], "the gzip bytes, decoded from base64");
    assert_eq!(app.request.uri().path(), "/api/files/upload");
    assert_eq!(app.request.method(), event["method"].as_str().unwrap());
}

#[test]
fn dev_sends_the_v2_shape_and_it_reads_back() {
    let event = event(SOURCE, &typical());
    assert_eq!(kind_of(&event), SOURCE);
    let sample: Value = serde_json::from_slice(&fixture("example-vpc-lattice-v2-request.json")).unwrap();
    for key in [
        "version",
        "path",
        "method",
        "headers",
        "queryStringParameters",
        "body",
        "isBase64Encoded",
    ] {
        assert!(event.get(key).is_some() && sample.get(key).is_some(), "`{key}`");
    }
    assert_eq!(event["headers"]["x-multi"], json!(["1", "2"]));
    assert_eq!(event["queryStringParameters"]["tag"], json!(["x", "y&z"]));
    assert_eq!(
        event["requestContext"]["timeEpoch"], "1673437534837000",
        "microseconds, as a string"
    );
    let parts = app_request(&event);
    assert_eq!(parts.method(), Method::POST);
    assert_eq!(parts.uri().path(), "/a%20b/c");
    assert_eq!(parts.uri().query().unwrap_or(""), "tag=x&tag=y%26z&q=caf%C3%A9&empty=");
    assert_eq!(&parts.body()[..], &[0, 159, 255, b'x']);
}
