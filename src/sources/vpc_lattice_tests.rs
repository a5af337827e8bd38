//! VPC Lattice events against the real samples.

use super::tests::{ctx, fixture, options};
use super::*;

#[test]
fn the_v2_sample_reaches_the_app_with_every_value() {
    let app = translate(&fixture("example-vpc-lattice-v2-request.json"), &ctx(), &options()).unwrap();
    assert_eq!(app.kind, vpc_lattice::SOURCE);
    let request = &app.request;
    assert_eq!(request.method(), Method::GET);
    assert_eq!(request.uri(), "http://127.0.0.1:8080/health?state=prod&multi=a&multi=DEF&multi=g");
    let multi: Vec<_> = request.headers().get_all("multi").iter().collect();
    assert_eq!(multi, ["x", "y"]);
    assert_eq!(request.headers()["x-forwarded-for"], "10.0.2.100");
    let context: Value = serde_json::from_str(request.headers()[REQUEST_CONTEXT].to_str().unwrap()).unwrap();
    assert_eq!(context["identity"]["type"], "AWS_IAM");
    assert!(request.headers().contains_key(LAMBDA_CONTEXT));
    assert_eq!(vpc_lattice::SOURCE.format(), Some(vpc_lattice::FORMAT));
    assert_eq!(vpc_lattice::SOURCE.streaming(true), None, "Lattice reads a whole document");
}

#[test]
fn a_base64_body_is_decoded() {
    let event: Value = serde_json::from_slice(&fixture("example-vpc-lattice-v2-request-base64.json")).unwrap();
    let app = translate(&fixture("example-vpc-lattice-v2-request-base64.json"), &ctx(), &options()).unwrap();
    assert_eq!(app.kind, vpc_lattice::SOURCE);
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(&app.request.body()[..2], &[0x1f, 0x8b], "the gzip bytes, decoded from base64");
    assert_eq!(app.request.uri().path(), "/api/files/upload");
    assert_eq!(app.request.method(), event["method"].as_str().unwrap());
}
