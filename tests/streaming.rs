//! End to end, streaming mode: prelude, chunks as they are produced, honest errors, per-event fallback.

mod common;

use common::stack::Stack;
use common::*;
use lambda_adapter::dev::emulator::Outcome;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

#[tokio::test]
async fn sse_events_arrive_as_they_are_produced() {
    let stack = Stack::start(&STREAM).await;
    let outcome = stack.invoke(bytes(&function_url("GET", "/sse", "n=5&interval_ms=150"))).await;
    let received = receive(outcome).await;
    assert_eq!(received.prelude["statusCode"], 200);
    assert_eq!(received.prelude["headers"]["content-type"], "text/event-stream");
    assert_eq!(received.prelude["cookies"], json!([]));
    assert!(received.error.is_none());
    let text = String::from_utf8(received.body()).unwrap();
    assert_eq!(text.matches("data: ").count(), 5, "{text}");
    // Each event arrives on its own, ~150 ms after the previous one: nothing was held back.
    let events: Vec<_> = received
        .chunks
        .iter()
        .filter(|(_, c)| c.windows(6).any(|w| w == b"data: "))
        .collect();
    assert_eq!(events.len(), 5, "one chunk per event");
    let spread = events[4].0 - events[0].0;
    assert!(
        spread >= Duration::from_millis(500),
        "events were buffered: all arrived within {spread:?}"
    );
}

#[tokio::test]
async fn a_large_download_is_byte_exact_with_flat_memory() {
    let stack = Stack::start(&STREAM).await;
    let size = 256 * 1024 * 1024;
    let outcome = stack
        .invoke_with(
            bytes(&function_url("GET", "/bytes", &format!("size={size}"))),
            Duration::from_secs(300),
        )
        .await;
    let Outcome::Streaming(mut streamed) = outcome else {
        panic!("expected a stream")
    };
    let prelude: Value = serde_json::from_slice(&streamed.prelude).unwrap();
    assert_eq!(prelude["headers"]["content-type"], "application/octet-stream");
    let (mut hash, mut total) = (Sha256::new(), 0usize);
    while let Some(item) = streamed.body.recv().await {
        match item {
            lambda_adapter::dev::emulator::StreamItem::Data(data) => {
                hash.update(&data);
                total += data.len();
            }
            lambda_adapter::dev::emulator::StreamItem::Error(report) => panic!("stream failed: {}", report.message()),
        }
    }
    assert_eq!(total, size);
    let mut expected = Sha256::new();
    let block = pattern(251 * 4096);
    let mut left = size;
    while left > 0 {
        let n = left.min(block.len());
        expected.update(&block[..n]);
        left -= n;
    }
    assert_eq!(hash.finalize(), expected.finalize(), "the body is byte-exact");
    let peak = stack.adapter.peak_rss_kib();
    assert!(peak > 0 && peak < 30 * 1024, "adapter peak RSS {peak} KiB for a 256 MiB stream");
}

#[tokio::test]
async fn an_app_dying_mid_stream_yields_trailers_not_text() {
    let stack = Stack::start(&STREAM).await;
    let received = receive(stack.invoke(bytes(&function_url("GET", "/die", "after=1000"))).await).await;
    assert_eq!(received.body(), pattern(1000), "the body holds the app's bytes and nothing else");
    let error = received.error.expect("error trailers");
    assert_eq!(error.error_type, "LambdaAdapter.AppBodyError");
    assert!(error.message().contains("after 1000 bytes"), "{}", error.message());
    let received = receive(stack.invoke(bytes(&function_url("GET", "/sse", "n=1&interval_ms=1"))).await).await;
    assert!(received.error.is_none(), "the next invocation is served normally");
}

#[tokio::test]
async fn responses_without_a_body_end_at_once() {
    let stack = Stack::start(&STREAM).await;
    // Method, path, status, and whether the stream has no body at all (a 302 may carry the app's text).
    for (method, path, status, empty) in [
        ("GET", "/status/204", 204, true),
        ("HEAD", "/status/200", 200, true),
        ("GET", "/status/304", 304, true),
        ("GET", "/status/302", 302, false),
    ] {
        let outcome = stack
            .invoke_with(bytes(&function_url(method, path, "")), Duration::from_secs(5))
            .await;
        let received = tokio::time::timeout(Duration::from_secs(2), receive(outcome))
            .await
            .expect("the stream must end at once");
        assert_eq!(received.prelude["statusCode"], status);
        if empty {
            assert!(received.body().is_empty(), "{method} {path}");
        }
    }
}

#[tokio::test]
async fn cookies_and_repeated_headers_in_the_prelude() {
    let stack = Stack::start(&STREAM).await;
    let received = receive(stack.invoke(bytes(&function_url("GET", "/cookies", "n=3"))).await).await;
    assert_eq!(
        received.prelude["cookies"],
        json!(["c1=1; Path=/", "c2=2; Path=/", "c3=3; Path=/; HttpOnly"])
    );
    let received = receive(stack.invoke(bytes(&function_url("GET", "/headers", ""))).await).await;
    assert_eq!(received.prelude["headers"]["x-multi"], "a,b");
}

#[tokio::test]
async fn sources_that_cannot_stream_answer_buffered() {
    let stack = Stack::start(&STREAM).await;
    for event in [
        rest_api("GET", "/headers", &[]),
        alb("GET", "/headers", true),
        fixture("example-apigw-v2-request-no-authorizer.json"),
    ] {
        let outcome = stack.invoke(bytes(&event)).await;
        let Outcome::Response(payload) = outcome else {
            panic!("expected a buffered response, got {}", describe(&outcome))
        };
        let doc: Value = serde_json::from_slice(&payload).unwrap();
        assert!(doc["statusCode"].is_number(), "{doc}");
    }
}

#[tokio::test]
async fn rest_api_streams_when_opted_in() {
    let stack = Stack::start(&[("LWA_INVOKE_MODE", "response_stream"), ("LWA_APIGW_REST_STREAMING", "true")]).await;
    let received = receive(stack.invoke(bytes(&rest_api("GET", "/headers", &[]))).await).await;
    assert_eq!(received.prelude["multiValueHeaders"]["x-multi"], json!(["a", "b"]));
    assert_eq!(received.body(), b"headers");
}

#[tokio::test]
async fn the_deadline_ends_a_stream_cleanly() {
    let stack = Stack::start(&STREAM).await;
    let outcome = stack
        .invoke_with(
            bytes(&function_url("GET", "/sse", "n=100&interval_ms=100")),
            Duration::from_millis(1500),
        )
        .await;
    let received = receive(outcome).await;
    let error = received.error.clone().expect("the stream ends with error trailers");
    assert_eq!(error.error_type, "LambdaAdapter.DeadlineReached", "{}", error.message());
    let text = String::from_utf8(received.body()).unwrap();
    assert!(text.ends_with("\n\n"), "no event was cut in half: {text:?}");
}

/// The echo app's log line for a connection that ended before its response did (hyper's write failed).
const CONNECTION_FAILED: &str = "ended with an error";

#[tokio::test]
async fn a_client_that_goes_away_stops_the_app() {
    let stack = Stack::start(&STREAM).await;
    // 2,000 events 10 ms apart: the app would go on producing for 20 s if the adapter kept reading.
    let outcome = stack
        .invoke_with(
            bytes(&function_url("GET", "/sse", "n=2000&interval_ms=10")),
            Duration::from_secs(60),
        )
        .await;
    let Outcome::Streaming(mut streamed) = outcome else {
        panic!("expected a stream")
    };
    streamed.body.recv().await.expect("a first chunk");
    let serving = established_connections(stack.app_port);
    assert!(!serving.is_empty(), "the app serves the stream on a connection of the adapter's");
    assert!(!stack.app.output().contains(CONNECTION_FAILED), "{}", stack.app.output());
    let gone = Instant::now();
    drop(streamed);
    // The adapter hangs up on the app: the app's next write fails, hyper ends that connection with an error,
    // and the stream's producer is dropped with it. Had the adapter kept reading, the connection would carry
    // the stream to its end, seconds later, and end without an error.
    let peer = loop {
        let output = stack.app.output();
        let failed = output.lines().find(|line| line.contains(CONNECTION_FAILED));
        if let Some(line) = failed {
            let from = line.split("connection from ").nth(1).and_then(|rest| rest.split(' ').next());
            let port = from.and_then(|address| address.rsplit(':').next()?.parse::<u16>().ok());
            break port.unwrap_or_else(|| panic!("no peer port in {line:?}"));
        }
        assert!(
            gone.elapsed() < Duration::from_secs(5),
            "the app still streams {:?} after the client went away; its log:\n{output}\nthe adapter's:\n{}",
            gone.elapsed(),
            stack.adapter.output()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        serving.contains(&peer),
        "the connection that failed ({peer}) served the stream ({serving:?})"
    );
    assert!(
        !established_connections(stack.app_port).contains(&peer),
        "the stream's connection is closed"
    );
    // The next invocation is served: the adapter noticed, dropped the app's stream and went back to polling.
    let outcome = stack
        .invoke_with(bytes(&function_url("GET", "/status/204", "")), Duration::from_secs(5))
        .await;
    let received = tokio::time::timeout(Duration::from_secs(3), receive(outcome))
        .await
        .expect("served promptly");
    assert_eq!(received.prelude["statusCode"], 204);
}

#[tokio::test]
async fn sse_keepalive_fills_silences_with_comments_between_events_only() {
    let stack = Stack::start(&[("LWA_INVOKE_MODE", "response_stream"), ("LWA_SSE_KEEPALIVE", "0.3")]).await;
    let outcome = stack.invoke(bytes(&function_url("GET", "/sse", "n=3&interval_ms=1000"))).await;
    let received = receive(outcome).await;
    assert!(received.error.is_none(), "{:?}", received.error);
    let text = String::from_utf8(received.body()).unwrap();
    let comments = text.matches(":\n\n").count();
    assert!(comments >= 4, "two 1 s silences, a comment each 0.3 s: {text:?}");
    // Remove the comments and the app's bytes are left exactly, three whole events.
    let events: Vec<&str> = text.split("\n\n").filter(|part| !part.is_empty() && *part != ":").collect();
    assert_eq!(events.len(), 3, "{text:?}");
    for (n, event) in events.iter().enumerate() {
        assert!(event.starts_with(&format!("id: {}\ndata: {{", n + 1)), "{event:?} in {text:?}");
    }
    // Without the setting, nothing is added.
    let plain = Stack::start(&[("LWA_INVOKE_MODE", "response_stream")]).await;
    let received = receive(plain.invoke(bytes(&function_url("GET", "/sse", "n=2&interval_ms=700"))).await).await;
    assert!(!String::from_utf8(received.body()).unwrap().contains(":\n\n"));
}
