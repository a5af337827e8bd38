//! End to end, under faults of the Runtime API itself (issue 10 item 5): the real adapter binary against a
//! [`FakeRuntime`] that answers with error statuses, drops connections, or leaves out headers, in both invoke
//! modes. The README promises that every failure reaches Lambda as a precise `errorType` with a message naming
//! the problem, and that the adapter then serves the next invocation; where the right reaction is to exit,
//! these tests check the exit status and log. The app's faults are in `faults_app.rs`.

mod common;

use common::fault_peers::*;
use common::stack::FakeStack;
use common::*;
use serde_json::Value;
use std::time::Duration;

/// An event for `GET path` with request id `id`.
fn event(id: &str, path: &str) -> Next {
    Next::Event(NextEvent::new(id, get(path)))
}

/// Asserts that `call` is the buffered answer of the app to `GET path`.
fn assert_buffered(call: &Call, path: &str) {
    assert_eq!(call.post().map(|(post, _)| post), Some(Post::Response), "{}", call.path);
    let doc = call.json();
    assert_eq!(doc["statusCode"], 200, "{doc}");
    assert_eq!(doc["body"], served("GET", path, 0), "{doc}");
}

/// Asserts that `call` is the streamed answer of the app to `GET path`: prelude, separator, body, no trailers.
fn assert_streamed(call: &Call, path: &str) {
    assert_eq!(call.post().map(|(post, _)| post), Some(Post::Response), "{}", call.path);
    assert_eq!(call.header("lambda-runtime-function-response-mode"), Some("streaming"));
    let separator = call.body.windows(8).position(|w| w == [0; 8]).expect("a separator");
    let prelude: Value = serde_json::from_slice(&call.body[..separator]).expect("a JSON prelude");
    assert_eq!(prelude["statusCode"], 200, "{prelude}");
    assert_eq!(&call.body[separator + 8..], served("GET", path, 0).as_bytes());
    assert_eq!(call.trailer("lambda-runtime-function-error-type"), None);
}

#[tokio::test]
async fn next_answering_errors_is_retried_and_no_invocation_is_lost() {
    let mut stack = FakeStack::start(&[]).await;
    stack.runtime.next([Next::Status(500), Next::Status(500), event("first", "/first")]);
    assert_buffered(&stack.posted("first").await, "/first");
    // Four more in a row: the count starts again after an invocation, so this is not "five in a row".
    stack.runtime.next([
        Next::Status(500),
        Next::Status(503),
        Next::Drop,
        Next::Status(500),
        event("second", "/second"),
    ]);
    assert_buffered(&stack.posted("second").await, "/second");
    assert!(stack.adapter.child.try_wait().unwrap().is_none(), "the adapter still runs");
    assert_eq!(stack.app_targets(), ["/first", "/second"], "each event reached the app once");
    let log = stack.adapter.output();
    assert!(
        logged(&log, &["ERROR", "Runtime API invocation/next answered 500 Internal Server Error"]),
        "{log}"
    );
    assert!(logged(&log, &["Runtime API invocation/next answered 503"]), "{log}");
    assert!(!log.contains("in a row"), "{log}");
}

#[tokio::test]
async fn five_runtime_api_failures_in_a_row_end_the_process() {
    let mut stack = FakeStack::start(&[]).await;
    stack.runtime.next([
        Next::Status(500),
        Next::Drop,
        Next::Status(503),
        Next::Status(500),
        Next::Status(500),
    ]);
    let status = stack.adapter.exited(WAIT).await;
    let log = stack.adapter.output();
    let status = status.unwrap_or_else(|| panic!("the adapter is still running; its log:\n{log}"));
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(
        logged(&log, &["ERROR", "the Runtime API failed 5 times in a row; exiting"]),
        "{log}"
    );
    assert!(
        logged(&log, &["Runtime API invocation/next answered 503 Service Unavailable"]),
        "{log}"
    );
    assert!(
        logged(&log, &["Runtime API invocation/next failed:"]),
        "the dropped connection: {log}"
    );
    let polls = stack.runtime.calls().iter().filter(|c| c.is_next()).count();
    assert_eq!(polls, 5, "no sixth poll");
}

#[tokio::test]
async fn an_event_without_a_request_id_is_skipped_and_the_next_is_served() {
    let stack = FakeStack::start(&[]).await;
    let without_id = NextEvent {
        request_id: None,
        ..NextEvent::new("", get("/no-id"))
    };
    let empty_id = NextEvent {
        request_id: Some(String::new()),
        ..NextEvent::new("", get("/empty-id"))
    };
    stack
        .runtime
        .next([Next::Event(without_id), Next::Event(empty_id), event("after", "/after")]);
    assert_buffered(&stack.posted("after").await, "/after");
    assert_eq!(
        stack.posts(),
        [(Post::Response, "after".to_string())],
        "nothing can be posted for an id-less event"
    );
    assert_eq!(
        stack.app_targets(),
        ["/after"],
        "an event that cannot be answered is not sent to the app"
    );
    let log = stack.adapter.output();
    let message = "Runtime API invocation/next failed: the Runtime API's answer has no Lambda-Runtime-Aws-Request-Id header";
    assert_eq!(log.matches(message).count(), 2, "{log}");
}

#[tokio::test]
async fn a_missing_or_unreadable_deadline_gives_the_app_fifteen_minutes() {
    let stack = FakeStack::start(&[]).await;
    for (id, deadline) in [("no-deadline", None), ("odd-deadline", Some("soon".to_string()))] {
        let path = format!("/deadline/{id}");
        stack.runtime.next([Next::Event(NextEvent {
            deadline_ms: deadline,
            ..NextEvent::new(id, get(&path))
        })]);
        assert_buffered(&stack.posted(id).await, &path);
        let request = stack
            .app
            .requests()
            .into_iter()
            .find(|r| r.target() == path)
            .expect("the app was asked");
        let context: Value = serde_json::from_str(request.header("x-amzn-lambda-context").expect("a lambda context")).unwrap();
        let fifteen_minutes = lambda_adapter::context::now_ms() + 900_000;
        let deadline = context["deadline"].as_u64().expect("a deadline");
        assert!(
            deadline.abs_diff(fifteen_minutes) < 10_000,
            "{id}: deadline {deadline}, expected about {fifteen_minutes}"
        );
    }
}

#[tokio::test]
async fn a_buffered_response_rejected_or_dropped_by_the_runtime_api_is_logged_and_the_next_is_served() {
    let stack = FakeStack::start(&BUFFERED).await;
    stack
        .runtime
        .answer(Post::Response, [Answer::Status(413), Answer::Status(500), Answer::Drop]);
    stack.runtime.next([
        event("too-large", "/a"),
        event("broken", "/b"),
        event("dropped", "/c"),
        event("after", "/after"),
    ]);
    assert_buffered(&stack.posted("after").await, "/after");
    // Lambda has failed the invocation itself (a 413 is its Function.ResponseSizeTooLarge): there is nothing
    // to add with an `/error` post, and nothing is posted twice.
    let response = |id: &str| (Post::Response, id.to_string());
    assert_eq!(
        stack.posts(),
        [response("too-large"), response("broken"), response("dropped"), response("after")]
    );
    let log = stack.adapter.output();
    for (id, message) in [
        ("too-large", "Runtime API invocation/response answered 413 Payload Too Large"),
        ("broken", "Runtime API invocation/response answered 500 Internal Server Error"),
        ("dropped", "Runtime API invocation/response failed: "),
    ] {
        assert!(logged(&log, &["ERROR", id, message]), "{id}: {log}");
    }
}

#[tokio::test]
async fn a_streamed_response_rejected_or_dropped_by_the_runtime_api_is_logged_and_the_next_is_served() {
    let stack = FakeStack::start(&STREAM).await;
    stack
        .runtime
        .answer(Post::Response, [Answer::Status(500), Answer::Drop, Answer::DropMidBody]);
    // The third app stalls after 10 bytes of its body, with 30 s to go: only the dropped connection ends it.
    stack.runtime.next([
        event("broken", "/a"),
        event("dropped", "/b"),
        event("dropped-mid-stream", AppFault::StallAfterHead.path()),
    ]);
    stack
        .wait("the post cut mid-stream", |calls| {
            calls.iter().any(|c| c.post() == Some((Post::Response, "dropped-mid-stream")))
        })
        .await;
    let cut = std::time::Instant::now();
    stack.runtime.next([event("after", "/after")]);
    assert_streamed(&stack.posted("after").await, "/after");
    assert!(
        cut.elapsed() < Duration::from_secs(5),
        "the adapter noticed the cut at once, not at the deadline: {:?}",
        cut.elapsed()
    );
    let calls = stack.runtime.calls();
    for (id, path) in [("broken", "/a"), ("dropped", "/b")] {
        let call = calls.iter().find(|c| c.post() == Some((Post::Response, id))).unwrap();
        assert_streamed(call, path);
    }
    assert!(stack.posts().iter().all(|(post, _)| *post == Post::Response), "no error posts");
    let log = stack.adapter.output();
    for (id, message) in [
        (
            "broken",
            "Runtime API invocation/response (streaming) answered 500 Internal Server Error",
        ),
        ("dropped", "Runtime API invocation/response (streaming) failed: "),
        ("dropped-mid-stream", "Runtime API invocation/response (streaming) failed: "),
    ] {
        assert!(logged(&log, &["ERROR", id, message]), "{id}: {log}");
    }
}

#[tokio::test]
async fn an_error_post_that_fails_is_logged_and_the_next_is_served() {
    let stack = FakeStack::start(&[]).await;
    stack.runtime.answer(Post::Error, [Answer::Status(500), Answer::Drop]);
    stack.runtime.next([
        Next::Event(NextEvent::new("broken", "not json")),
        Next::Event(NextEvent::new("dropped", "not json either")),
        event("after", "/after"),
    ]);
    assert_buffered(&stack.posted("after").await, "/after");
    let calls = stack.runtime.calls();
    for id in ["broken", "dropped"] {
        let call = calls.iter().find(|c| c.post() == Some((Post::Error, id))).expect("an error post");
        assert_eq!(
            call.header("lambda-runtime-function-error-type"),
            Some("LambdaAdapter.InvalidEvent")
        );
        let doc = call.json();
        assert_eq!(doc["errorType"], "LambdaAdapter.InvalidEvent");
        assert!(doc["errorMessage"].as_str().unwrap().contains("not valid JSON"), "{doc}");
    }
    let log = stack.adapter.output();
    for (id, message) in [
        (
            "broken",
            "could not report the failure: Runtime API invocation/error answered 500 Internal Server Error",
        ),
        ("dropped", "could not report the failure: Runtime API invocation/error failed: "),
    ] {
        assert!(logged(&log, &["ERROR", id, message]), "{id}: {log}");
    }
}

#[tokio::test]
async fn a_410_on_a_post_is_a_warning_and_the_next_invocation_is_served() {
    let stack = FakeStack::start(&BUFFERED).await;
    stack.runtime.answer(Post::Response, [Answer::Status(410)]);
    stack.runtime.answer(Post::Error, [Answer::Status(410)]);
    stack.runtime.next([
        event("stale", "/a"),
        Next::Event(NextEvent::new("stale-error", "{not json")),
        event("after", "/after"),
    ]);
    let after = stack.posted("after").await;
    assert_buffered(&after, "/after");
    assert_eq!(
        after.header("lambda-runtime-invocation-id"),
        None,
        "next sent no invocation id, so none is echoed"
    );
    let log = stack.adapter.output();
    for id in ["stale", "stale-error"] {
        assert!(logged(&log, &["WARN", id, "410 Gone"]), "{id}: {log}");
    }
    assert!(!log.contains("exiting"), "{log}");
}
