//! End to end, under faults (issue 10 item 5): the real adapter binary against a Runtime API and an app that
//! misbehave on purpose. The README promises that every failure reaches Lambda as a precise `errorType` with
//! a message naming the problem, and that the adapter then serves the next invocation; these tests hold it to
//! that for failures of the Runtime API itself ([`FakeRuntime`]: error statuses, dropped connections, answers
//! missing their headers) and of the app ([`ScriptedApp`]: closed, garbled, oversized, stalled or truncated
//! answers), in both invoke modes. Where the right reaction is to exit, they check the exit status and log.
//! Faults the echo app can produce (a slow answer, a body that fails midway) are in `buffered.rs` and
//! `streaming.rs`. An app answering 150 `Set-Cookie` lines once failed here: hyper's default limit of 100 header lines.

mod common;

use bytes::Bytes;
use common::fault_peers::*;
use common::*;
use lambda_adapter::dev::emulator::{Emulator, ErrorReport, FunctionInfo, Outcome};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;

const STREAM: [(&str, &str); 1] = [("LWA_INVOKE_MODE", "response_stream")];
const BUFFERED: [(&str, &str); 1] = [("LWA_INVOKE_MODE", "buffered")];

/// How long any single wait on the adapter may take.
const WAIT: Duration = Duration::from_secs(10);
/// The deadline of invocations that stall: the adapter gives up 200 ms before it.
const SHORT: Duration = Duration::from_millis(1500);

/// A Function URL event for `GET path`.
fn get(path: &str) -> Bytes {
    bytes(&function_url("GET", path, ""))
}

/// Whether one line of `log` contains every one of `needles`.
fn logged(log: &str, needles: &[&str]) -> bool {
    log.lines().any(|line| needles.iter().all(|needle| line.contains(needle)))
}

// --- the real adapter against the fake Runtime API ---

/// The adapter between a [`FakeRuntime`] and a [`ScriptedApp`].
struct FakeStack {
    runtime: FakeRuntime,
    app: ScriptedApp,
    adapter: Process,
}

impl FakeStack {
    /// Starts everything and waits until the adapter polls for its first invocation.
    async fn start(env: &[(&str, &str)]) -> FakeStack {
        let runtime = FakeRuntime::start().await;
        let app = ScriptedApp::start().await;
        let adapter = Process::spawn(adapter_command(&runtime.runtime_api(), app.port, env), "adapter");
        let stack = FakeStack { runtime, app, adapter };
        stack
            .wait("the first invocation/next", |calls| calls.iter().any(Call::is_next))
            .await;
        stack
    }

    async fn wait(&self, what: &str, done: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        match self.runtime.wait_for(WAIT, done).await {
            Some(calls) => calls,
            None => panic!(
                "waited {WAIT:?} for {what}; the adapter called {:?}\nits log:\n{}",
                self.runtime.calls().iter().map(|c| &c.path).collect::<Vec<_>>(),
                self.adapter.output()
            ),
        }
    }

    /// Waits for the adapter's post (`/response` or `/error`) for invocation `id`.
    async fn posted(&self, id: &str) -> Call {
        let for_id = |call: &Call| call.post().is_some_and(|(_, posted)| posted == id);
        let calls = self
            .wait(&format!("a post for invocation {id}"), |calls| calls.iter().any(for_id))
            .await;
        calls.into_iter().find(for_id).expect("waited for it")
    }

    /// Every invocation post so far: which, and for which request id.
    fn posts(&self) -> Vec<(Post, String)> {
        self.runtime
            .calls()
            .iter()
            .filter_map(|call| call.post().map(|(post, id)| (post, id.to_string())))
            .collect()
    }

    /// The targets the app was asked for, the readiness check's `/` left out.
    fn app_targets(&self) -> Vec<String> {
        self.app
            .requests()
            .iter()
            .map(|r| r.target().to_string())
            .filter(|target| target != "/")
            .collect()
    }
}

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
    let status = wait_exit(&mut stack.adapter, WAIT).await;
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

// --- the real adapter between the emulator and the scripted app ---

/// The adapter between the embedded emulator (a faithful Runtime API) and a [`ScriptedApp`].
struct AppStack {
    emulator: Emulator,
    app: ScriptedApp,
    adapter: Process,
    streaming: bool,
}

impl AppStack {
    async fn start(env: &[(&str, &str)]) -> AppStack {
        let emulator = Emulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), FunctionInfo::default())
            .await
            .unwrap();
        let app = ScriptedApp::start().await;
        let adapter = Process::spawn(adapter_command(&emulator.runtime_api(), app.port, env), "adapter");
        if tokio::time::timeout(WAIT, emulator.wait_polling()).await.is_err() {
            panic!("the adapter never polled for an invocation; its log:\n{}", adapter.output());
        }
        let streaming = env.contains(&STREAM[0]);
        AppStack {
            emulator,
            app,
            adapter,
            streaming,
        }
    }

    async fn invoke(&self, event: impl Into<Bytes>, timeout: Duration) -> Outcome {
        match self.emulator.invoke(event.into(), timeout).await {
            Ok(outcome) => outcome,
            Err(error) => panic!("invocation failed: {error:?}; adapter log:\n{}", self.adapter.output()),
        }
    }

    /// Invokes and expects an error report (`invocation/error`, not a stream).
    async fn fails(&self, event: impl Into<Bytes>, timeout: Duration) -> ErrorReport {
        match self.invoke(event, timeout).await {
            Outcome::Error(report) => report,
            outcome => panic!("expected an error, got {}; log:\n{}", describe(&outcome), self.adapter.output()),
        }
    }

    /// Invokes `GET path` and checks that the app's answer arrives whole, in the stack's mode.
    async fn serves(&self, path: &str) {
        let outcome = self.invoke(get(path), WAIT).await;
        let expected = served("GET", path, 0);
        if self.streaming {
            let received = tokio::time::timeout(WAIT, receive(outcome)).await.expect("the stream ends");
            assert_eq!(received.prelude["statusCode"], 200);
            assert!(received.error.is_none(), "{:?}", received.error);
            assert_eq!(String::from_utf8_lossy(&received.body()), expected);
        } else {
            let Outcome::Response(payload) = outcome else {
                panic!("expected a response, got {}; log:\n{}", describe(&outcome), self.adapter.output())
            };
            let doc: Value = serde_json::from_slice(&payload).unwrap();
            assert_eq!(doc["statusCode"], 200, "{doc}");
            assert_eq!(doc["body"], expected, "{doc}");
        }
    }
}

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
    let cases = [
        (AppFault::ShortContentLength, WAIT, &b"0123456789"[..], "LambdaAdapter.AppBodyError"),
        (AppFault::ChunkedDies, WAIT, b"0123456789abcdefghij", "LambdaAdapter.AppBodyError"),
        (AppFault::StallAfterHead, SHORT, b"0123456789", "LambdaAdapter.DeadlineReached"),
    ];
    for (fault, timeout, body, error_type) in cases {
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
        if error_type == "LambdaAdapter.AppBodyError" {
            assert!(error.message().ends_with(TRUNCATED), "{fault:?}: {}", error.message());
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
