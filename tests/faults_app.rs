//! End to end, under faults of the app (issue 10 item 5): the real adapter binary between the embedded
//! emulator and a [`ScriptedApp`] whose answers are closed, garbled, oversized, stalled or truncated on
//! purpose, in both invoke modes. Every failure must reach Lambda as a precise `errorType` with a message
//! naming the problem, and the adapter must then serve the next invocation. The Runtime API's faults are in
//! `faults_runtime_api.rs`; faults the echo app can produce (a slow answer, a body that fails midway) are in
//! `buffered.rs` and `streaming.rs`. An app answering 150 `Set-Cookie` lines once failed here: hyper's default
//! limit of 100 header lines.

mod common;

use bytes::Bytes;
use common::fault_peers::*;
use common::stack::{AppStack, Stack};
use common::*;
use lambda_adapter::dev::emulator::Outcome;
use serde_json::{Value, json};
use std::time::Duration;

async fn events_that_are_not_json_fail_and_the_next_is_served(env: &[(&str, &str)]) {
    let stack = AppStack::start(env).await;
    for event in [&b""[..], b"\xff\xfe\x00\x01", b"<event>xml</event>", b"GET / HTTP/1.1\r\n\r\n"] {
        let report = stack.fails(Bytes::from_static(event), WAIT).await;
        assert_eq!(report.error_type, "LambdaAdapter.InvalidEvent", "{event:?}");
        assert!(
            report.message().starts_with("the event is not valid JSON: "),
            "{event:?}: {}",
            report.message()
        );
        stack.serves("/after").await;
    }
    // JSON that is not an object (a direct invoke's payload) is passed through, answered buffered.
    let outcome = stack.invoke(Bytes::from_static(b"\"hello\""), WAIT).await;
    let Outcome::Response(payload) = outcome else {
        panic!("expected the app's body, got {}", describe(&outcome))
    };
    assert_eq!(payload, served("POST", "/events", 7));
    assert!(stack.app.requests().iter().any(|r| r.body == b"\"hello\""));
}

#[tokio::test]
async fn events_that_are_not_json_fail_buffered() {
    events_that_are_not_json_fail_and_the_next_is_served(&BUFFERED).await;
}

#[tokio::test]
async fn events_that_are_not_json_fail_streaming() {
    events_that_are_not_json_fail_and_the_next_is_served(&STREAM).await;
}

/// Lambda's own limits stop such an event before the Runtime API (6 MB synchronous, 1 MB asynchronous), but
/// the adapter sets none of its own: a 7 MB event, HTTP or not, reaches the app byte for byte.
async fn a_7_mb_event_reaches_the_app_whole(env: &[(&str, &str)]) {
    let stack = AppStack::start(env).await;
    let size = 7_000_000;
    let body: String = (0..size).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    let mut http = function_url("POST", "/big", "");
    http["body"] = body.clone().into();
    http["headers"]["content-type"] = "text/plain".into();
    let outcome = stack.invoke(bytes(&http), Duration::from_secs(30)).await;
    let answer = match outcome {
        Outcome::Response(payload) => serde_json::from_slice::<Value>(&payload).unwrap()["body"].clone(),
        Outcome::Streaming(_) => String::from_utf8(receive(outcome).await.body()).unwrap().into(),
        Outcome::Error(report) => panic!("{}: {}", report.error_type, report.message()),
    };
    assert_eq!(answer, served("POST", "/big", size));
    let requests = stack.app.requests();
    let received = requests.iter().find(|r| r.target() == "/big").expect("the app was asked");
    assert!(received.body == body.as_bytes(), "the body arrived byte for byte");

    let sqs = json!({"Records": [{"eventSource": "aws:sqs", "body": body}]});
    let event = bytes(&sqs);
    let outcome = stack.invoke(event.clone(), Duration::from_secs(30)).await;
    let Outcome::Response(payload) = outcome else {
        panic!("expected the app's body, got {}", describe(&outcome))
    };
    assert_eq!(payload, served("POST", "/events", event.len()));
    let requests = stack.app.requests();
    assert!(
        requests.iter().any(|r| r.target() == "/events" && r.body == event),
        "passed through byte for byte"
    );
    stack.serves("/after").await;
}

#[tokio::test]
async fn a_7_mb_event_reaches_the_app_whole_buffered() {
    a_7_mb_event_reaches_the_app_whole(&BUFFERED).await;
}

#[tokio::test]
async fn a_7_mb_event_reaches_the_app_whole_streaming() {
    a_7_mb_event_reaches_the_app_whole(&STREAM).await;
}

/// What the adapter reports for each fault that comes before the app's response head: the kind, what the
/// message says happened, and the cause as hyper names it.
const BEFORE_HEAD: [(AppFault, &str, &str, &str); 3] = [
    (
        AppFault::Close,
        "LambdaAdapter.AppUnreachable",
        "did not answer",
        "connection closed before message completed",
    ),
    (
        AppFault::Garbage,
        "LambdaAdapter.InvalidResponse",
        "answered GET /fault/garbage with an invalid HTTP response head",
        "invalid HTTP version parsed",
    ),
    (
        AppFault::ManyHeaders,
        "LambdaAdapter.InvalidResponse",
        "with an invalid HTTP response head (at most 512 header lines are read)",
        "message head is too large",
    ),
];

async fn an_app_failing_before_its_head_fails_precisely(env: &[(&str, &str)]) {
    let stack = AppStack::start(env).await;
    for (fault, kind, says, cause) in BEFORE_HEAD {
        let report = stack.fails(get(fault.path()), WAIT).await;
        assert_eq!(report.error_type, kind, "{fault:?}");
        let message = report.message();
        let app = format!("the app at http://127.0.0.1:{} ", stack.app.port);
        assert!(
            message.starts_with(&app) && message.contains(says) && message.contains(cause),
            "{fault:?}: {message}"
        );
        stack.serves("/after").await;
    }
    let log = stack.adapter.output();
    assert!(logged(&log, &["ERROR", "invocation failed: LambdaAdapter.AppUnreachable"]), "{log}");
    assert!(
        logged(&log, &["ERROR", "invocation failed: LambdaAdapter.InvalidResponse"]),
        "{log}"
    );
}

#[tokio::test]
async fn an_app_failing_before_its_head_fails_precisely_buffered() {
    an_app_failing_before_its_head_fails_precisely(&BUFFERED).await;
}

#[tokio::test]
async fn an_app_failing_before_its_head_fails_precisely_streaming() {
    an_app_failing_before_its_head_fails_precisely(&STREAM).await;
}

#[tokio::test]
async fn an_app_refusing_connections_is_unreachable_streaming() {
    let mut stack = Stack::start(&STREAM).await;
    stack.app.kill();
    let outcome = stack.invoke(get("/echo")).await;
    let Outcome::Error(report) = outcome else {
        panic!("expected an error, not a stream: {}", describe(&outcome))
    };
    assert_eq!(report.error_type, "LambdaAdapter.AppUnreachable");
    assert!(
        report.message().contains("GET /echo") && report.message().contains("Connection refused"),
        "{}",
        report.message()
    );
    stack.app = start_app(stack.app_port);
    let received = receive(stack.invoke(get("/status/204")).await).await;
    assert_eq!(received.prelude["statusCode"], 204, "the next invocation is served");
}

#[tokio::test]
async fn an_app_stalling_before_its_head_hits_the_deadline_streaming() {
    let stack = AppStack::start(&STREAM).await;
    let path = AppFault::StallBeforeHead.path();
    let report = stack.fails(get(path), SHORT).await;
    assert_eq!(report.error_type, "LambdaAdapter.DeadlineReached");
    assert_eq!(
        report.message(),
        format!("the app did not answer GET {path} before the invocation's deadline")
    );
    stack.serves("/after").await;
}

/// hyper's words for a body that ends before its length (`Content-Length`, or a chunk's size) is reached.
const TRUNCATED: &str = "end of file before message length reached";

#[tokio::test]
async fn an_app_failing_after_its_head_fails_the_invocation_buffered() {
    let stack = AppStack::start(&BUFFERED).await;
    for fault in [AppFault::ShortContentLength, AppFault::ChunkedDies] {
        let report = stack.fails(get(fault.path()), WAIT).await;
        assert_eq!(report.error_type, "LambdaAdapter.AppBodyError", "{fault:?}");
        let message = report.message();
        assert!(
            message.starts_with("the app's response body failed: ") && message.ends_with(TRUNCATED),
            "{fault:?}: {message}"
        );
        stack.serves("/after").await;
    }
    let report = stack.fails(get(AppFault::StallAfterHead.path()), SHORT).await;
    assert_eq!(report.error_type, "LambdaAdapter.DeadlineReached");
    assert_eq!(
        report.message(),
        "the invocation's deadline came while the app was still sending its response body"
    );
    stack.serves("/after").await;
}

#[tokio::test]
async fn an_app_failing_after_its_head_ends_the_stream_with_trailers() {
    let stack = AppStack::start(&STREAM).await;
    // The fault, the invocation's deadline, the bytes the client gets, the error type of the trailers, and how
    // their message ends: hyper's words, where the app cut its body short.
    let cases = [
        (
            AppFault::ShortContentLength,
            WAIT,
            &b"0123456789"[..],
            "LambdaAdapter.AppBodyError",
            Some(TRUNCATED),
        ),
        (
            AppFault::ChunkedDies,
            WAIT,
            b"0123456789abcdefghij",
            "LambdaAdapter.AppBodyError",
            Some(TRUNCATED),
        ),
        (
            AppFault::StallAfterHead,
            SHORT,
            b"0123456789",
            "LambdaAdapter.DeadlineReached",
            None,
        ),
    ];
    for (fault, timeout, body, error_type, cause) in cases {
        let received = receive(stack.invoke(get(fault.path()), timeout).await).await;
        assert_eq!(received.prelude["statusCode"], 200, "{fault:?}: the head went before the failure");
        assert_eq!(
            String::from_utf8_lossy(&received.body()),
            String::from_utf8_lossy(body),
            "{fault:?}: the app's bytes and nothing else"
        );
        let error = received.error.unwrap_or_else(|| panic!("{fault:?}: error trailers"));
        assert_eq!(error.error_type, error_type, "{fault:?}: {}", error.message());
        let sent = format!("after {} bytes", body.len());
        assert!(error.message().contains(&sent), "{fault:?}: {}", error.message());
        if let Some(cause) = cause {
            assert!(error.message().ends_with(cause), "{fault:?}: {}", error.message());
        }
        stack.serves("/after").await;
    }
}

/// 150 `Set-Cookie` lines are valid HTTP and a 2.7 KB head; Lambda takes them in `cookies`.
async fn an_app_answering_with_150_cookies_is_served(env: &[(&str, &str)]) {
    let stack = AppStack::start(env).await;
    let outcome = stack.invoke(get(AppFault::ManyCookies.path()), WAIT).await;
    let cookies = match outcome {
        Outcome::Response(payload) => serde_json::from_slice::<Value>(&payload).unwrap()["cookies"].clone(),
        Outcome::Streaming(_) => receive(outcome).await.prelude["cookies"].clone(),
        Outcome::Error(report) => panic!("{}: {}", report.error_type, report.message()),
    };
    let expected: Vec<String> = (0..150).map(|i| format!("c{i}=1")).collect();
    assert_eq!(cookies, json!(expected));
}

#[tokio::test]
async fn an_app_answering_with_150_cookies_is_served_buffered() {
    an_app_answering_with_150_cookies_is_served(&BUFFERED).await;
}

#[tokio::test]
async fn an_app_answering_with_150_cookies_is_served_streaming() {
    an_app_answering_with_150_cookies_is_served(&STREAM).await;
}
