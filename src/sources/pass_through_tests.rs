//! Events with no HTTP shape: posted to the app as they are.

use http::Method;

use super::SOURCE;
use crate::sources::LAMBDA_CONTEXT;
use crate::sources::tests::{fixture, header, options, run};

#[test]
fn non_http_events_pass_through_as_is() {
    for name in [
        "example-sqs-event.json",
        "example-sns-event.json",
        "example-s3-event.json",
        "example-dynamodb-event.json",
        "example-kinesis-event.json",
        "example-eventbridge-schedule.json",
        "example-bedrock-agent-runtime-event.json",
    ] {
        let event = fixture(name);
        let app = run(&event, &options());
        assert_eq!(app.kind, SOURCE, "{name}");
        assert_eq!(app.request.method(), Method::POST);
        assert_eq!(app.request.uri(), "http://127.0.0.1:8080/events");
        assert_eq!(header(&app.request, "content-type"), Some("application/json"));
        assert_eq!(&app.request.body()[..], &event[..], "{name}: the body is the event, byte for byte");
        assert!(header(&app.request, LAMBDA_CONTEXT).is_some());
    }
}

#[test]
fn payloads_that_are_not_objects_pass_through() {
    for payload in [&b"\"a direct invoke's string\""[..], b"[1, 2, 3]", b"42"] {
        let app = run(payload, &options());
        assert_eq!(app.kind, SOURCE);
        assert_eq!(&app.request.body()[..], payload);
    }
}
