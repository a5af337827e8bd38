//! `lambda-adapter dev` end to end: the real binary, the echo example app behind it, and an HTTP client
//! talking to the front door as a user's browser or curl would. The same requests through cargo-lambda's
//! emulator are in `dev_vs_cargo_lambda.rs`, through each event source in `dev_sources.rs`.

mod common;

use common::alive;
use common::dev::*;
use serde_json::Value;
use std::time::{Duration, Instant};

#[tokio::test]
async fn streams_events_as_they_are_produced() {
    let dev = Dev::start(&[], &[("LWA_INVOKE_MODE", "response_stream")]).await;
    let started = Instant::now();
    let (head, frames, end) = dev.stream("/sse?n=5&interval_ms=250").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.headers["content-type"], "text/event-stream");
    assert!(end.is_ok(), "the stream ended with an error: {end:?}");
    let text: String = frames.iter().map(|(_, bytes)| String::from_utf8_lossy(bytes)).collect();
    assert_eq!(text.matches("data: ").count(), 5, "{text}");
    let first = frames
        .iter()
        .find(|(_, b)| String::from_utf8_lossy(b).contains("\"i\":1"))
        .expect("event 1")
        .0;
    let last = frames
        .iter()
        .find(|(_, b)| String::from_utf8_lossy(b).contains("\"i\":5"))
        .expect("event 5")
        .0;
    // Produced 4 × 250 ms apart: buffered somewhere, they would arrive together at the end.
    assert!(
        last - first >= Duration::from_millis(800),
        "events arrived {:?} apart",
        last - first
    );
    assert!(
        first - started < Duration::from_millis(600),
        "the first event took {:?}",
        first - started
    );
}

#[tokio::test]
async fn a_client_leaving_mid_stream_frees_the_function() {
    let dev = Dev::start(&[], &[("LWA_INVOKE_MODE", "response_stream")]).await;
    let mut body = open(dev.port, "GET", "/sse?n=1000&interval_ms=20", &[], vec![]).await.into_body();
    let first = http_body_util::BodyExt::frame(&mut body).await.expect("a frame").expect("data");
    assert!(first.data_ref().is_some_and(|d| !d.is_empty()));
    drop(body);
    dev.wait_for_log("the client went away after").await;
    let started = Instant::now();
    assert_eq!(dev.send("GET", "/health", &[], vec![]).await.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the next invocation waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_failing_stream_cuts_the_clients_response() {
    let dev = Dev::start(&[], &[("LWA_INVOKE_MODE", "response_stream")]).await;
    let (head, frames, end) = dev.stream("/die?after=5000").await;
    assert_eq!(head.status, 200);
    let received: usize = frames.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(received, 5000);
    assert!(end.is_err(), "the client saw a complete response, not a cut one");
    // The connection is gone but dev is not: the next request works.
    assert_eq!(dev.send("GET", "/health", &[], vec![]).await.status, 200);
    dev.wait_for_log("stream cut after 5000 bytes").await;
}

#[tokio::test]
async fn a_failing_buffered_response_is_a_502() {
    let dev = Dev::start(&[], &[]).await;
    let response = dev.send("GET", "/die?after=10", &[], vec![]).await;
    assert_eq!(response.status, 502);
    assert_eq!(response.text(), r#"{"Message":"Internal Server Error"}"#);
    dev.wait_for_log("LambdaAdapter.AppBodyError").await;
}

#[tokio::test]
async fn request_bodies_over_6_mb_get_413_without_an_invocation() {
    let dev = Dev::start(&[], &[]).await;
    let response = dev
        .send("POST", "/echo", &[("content-type", "text/plain")], vec![b'a'; 6 * 1024 * 1024 + 1])
        .await;
    assert_eq!(response.status, 413);
    // Base64 makes 5 MB of binary an event over the limit too, as in Lambda.
    let response = dev
        .send("POST", "/echo", &[("content-type", "image/png")], vec![0xff; 5 * 1024 * 1024])
        .await;
    assert_eq!(response.status, 413);
    assert!(!dev.output().contains("POST /echo → 200"));
    let response = dev
        .send("POST", "/echo", &[("content-type", "text/plain")], vec![b'a'; 4 * 1024 * 1024])
        .await;
    assert_eq!(response.status, 200);
    let seen: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(seen["body_len"], 4 * 1024 * 1024);
}

#[tokio::test]
async fn the_timeout_gives_a_502_and_the_next_request_is_served() {
    let dev = Dev::start(&["--timeout", "1"], &[]).await;
    let started = Instant::now();
    let response = dev.send("GET", "/slow?ms=3000", &[], vec![]).await;
    assert_eq!(response.status, 502);
    assert!(started.elapsed() < Duration::from_millis(2500), "took {:?}", started.elapsed());
    dev.wait_for_log("timed out after 1 s").await;
    assert_eq!(dev.send("GET", "/slow?ms=10", &[], vec![]).await.status, 200);
}

#[tokio::test]
async fn one_invocation_at_a_time() {
    let dev = Dev::start(&[], &[]).await;
    let started = Instant::now();
    let (a, b) = tokio::join!(
        dev.send("GET", "/slow?ms=600", &[], vec![]),
        dev.send("GET", "/slow?ms=600", &[], vec![])
    );
    assert_eq!((a.status, b.status), (200, 200));
    assert!(
        started.elapsed() >= Duration::from_millis(1200),
        "ran concurrently: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn concurrency_runs_that_many_invocations_at_once() {
    let dev = Dev::start(&["--concurrency", "4"], &[]).await;
    let started = Instant::now();
    let answers = futures::future::join_all((0..4).map(|_| dev.send("GET", "/slow?ms=600", &[], vec![]))).await;
    assert!(answers.iter().all(|a| a.status == 200));
    assert!(
        started.elapsed() < Duration::from_millis(1800),
        "four 600 ms requests with --concurrency 4 took {:?}",
        started.elapsed()
    );
    assert!(dev.output().contains("serving up to 4 invocations at once"), "{}", dev.output());
}

/// With many invocations at once, the front door holds a request per invocation and the adapter a `next` and
/// a post per invocation to the Runtime API, all in progress: more than a server's usual cap of connections
/// (256), which must not hold any of them back.
#[tokio::test]
async fn three_hundred_invocations_run_at_once_past_the_usual_connection_cap() {
    let dev = Dev::start(&["--concurrency", "300"], &[]).await;
    let started = Instant::now();
    let answers = tokio::time::timeout(
        Duration::from_secs(60),
        futures::future::join_all((0..300).map(|_| dev.send("GET", "/slow?ms=4000", &[], vec![]))),
    )
    .await
    .unwrap_or_else(|_| panic!("300 invocations at once did not finish:\n{}", dev.output()));
    assert!(answers.iter().all(|a| a.status == 200), "{}", dev.output());
    // Held back, some would start only once the first 4 s invocations ended: 8 s at least.
    eprintln!("300 invocations of 4 s took {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_millis(7500), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn a_client_leaving_a_buffered_request_does_not_block_the_next() {
    let dev = Dev::start(&[], &[]).await;
    let abandoned = tokio::time::timeout(Duration::from_millis(300), dev.send("GET", "/slow?ms=1000", &[], vec![])).await;
    assert!(abandoned.is_err(), "the slow request was cut off by the client");
    // Like Lambda, the abandoned invocation still runs to its end; then the next request is served.
    let started = Instant::now();
    let next = tokio::time::timeout(Duration::from_secs(5), dev.send("GET", "/health", &[], vec![])).await;
    let next = next.unwrap_or_else(|_| panic!("the next request hung:\n{}", dev.output()));
    assert_eq!(next.status, 200);
    assert!(started.elapsed() < Duration::from_secs(2), "waited {:?}", started.elapsed());
}

/// The request log says what the client got: a request whose client left while it waited for its turn is
/// logged as such, never as a status nobody sent.
#[tokio::test]
async fn the_log_says_when_a_client_left_before_its_answer() {
    let dev = Dev::start(&[], &[]).await;
    let (first, _) = tokio::join!(dev.send("GET", "/slow?ms=800", &[], vec![]), async {
        // Queued behind the slow one, then abandoned.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let queued = tokio::time::timeout(Duration::from_millis(200), dev.send("GET", "/echo/queued", &[], vec![])).await;
        assert!(queued.is_err());
    });
    assert_eq!(first.status, 200);
    dev.wait_for_log("GET /echo/queued → client left before the answer").await;
    assert!(!dev.output().contains("GET /echo/queued → 200"), "{}", dev.output());
}

/// An upgrade is a `$connect` (the real clients are in `tests/dev_ws.rs`): the app's status answers the
/// handshake, so the echo app, which has no `/ws/connect`, rejects it with its 404; pointed at its `/echo`
/// routes with `LWA_WS_PATH`, it accepts with a valid `Sec-WebSocket-Accept`.
#[tokio::test]
async fn websocket_upgrades_are_a_connect_the_app_answers() {
    let headers = [
        ("connection", "Upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let dev = Dev::start(&[], &[]).await;
    let response = dev.send("GET", "/chat", &headers, vec![]).await;
    assert_eq!(response.status, 404, "{}", dev.output());
    let dev = Dev::start(&[], &[("LWA_WS_PATH", "/echo")]).await;
    let response = dev.send("GET", "/chat", &headers, vec![]).await;
    assert_eq!(response.status, 101, "{}", dev.output());
    assert_eq!(response.all("sec-websocket-accept"), ["s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]);
    let old_version = [headers[0], headers[1], ("sec-websocket-version", "8"), headers[3]];
    let response = dev.send("GET", "/chat", &old_version, vec![]).await;
    assert_eq!(
        (response.status, response.all("sec-websocket-version")),
        (426, vec!["13".to_string()])
    );
}

#[tokio::test]
async fn sigterm_stops_everything_cleanly() {
    let mut dev = Dev::start(&[], &[]).await;
    let (app, adapter) = (dev.app_pid(), dev.adapter_pid());
    assert!(alive(app) && alive(adapter));
    dev.signal(libc::SIGTERM);
    let status = dev.wait_exit(Duration::from_secs(10)).expect("dev exited");
    assert_eq!(status.code(), Some(0), "{}", dev.output());
    assert!(!alive(app), "the app (pid {app}) is still running");
    assert!(!alive(adapter), "the adapter (pid {adapter}) is still running");
    assert!(
        dev.output().contains("shutdown (spindown)"),
        "the adapter did not get SHUTDOWN:\n{}",
        dev.output()
    );
}

#[tokio::test]
async fn a_killed_dev_leaves_no_process_behind() {
    let mut dev = Dev::start(&[], &[]).await;
    let (app, adapter) = (dev.app_pid(), dev.adapter_pid());
    dev.signal(libc::SIGKILL);
    dev.wait_exit(Duration::from_secs(10)).expect("dev exited");
    let started = std::time::Instant::now();
    while (alive(app) || alive(adapter)) && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!alive(app), "the app (pid {app}) outlived a SIGKILLed dev");
    assert!(!alive(adapter), "the adapter (pid {adapter}) outlived a SIGKILLed dev");
}

#[tokio::test]
async fn an_app_that_exits_ends_dev_with_an_error() {
    let mut dev = Dev::start(&[], &[]).await;
    let app = dev.app_pid();
    // SAFETY: kill(2) with a pid this test's dev child reported; no memory is involved.
    unsafe { libc::kill(app as libc::pid_t, libc::SIGKILL) };
    let status = dev.wait_exit(Duration::from_secs(10)).expect("dev exited");
    assert_ne!(status.code(), Some(0));
    assert!(
        dev.output().contains("the app exited by itself (killed by SIGKILL)"),
        "{}",
        dev.output()
    );
    assert!(!alive(dev.adapter_pid()));
}

#[tokio::test]
async fn an_init_error_is_printed_and_ends_dev() {
    let mut dev = Dev::spawn(&[], &[("LWA_INVOKE_MODE", "streaming")]);
    let status = dev.wait_exit(Duration::from_secs(20)).expect("dev exited");
    assert_eq!(status.code(), Some(1));
    let stderr = dev.output();
    assert!(stderr.contains("init failed") && stderr.contains("LWA_INVOKE_MODE"), "{stderr}");
    assert!(
        stderr.contains("response_stream"),
        "the message should say what is allowed: {stderr}"
    );
}

#[test]
fn bad_flags_exit_2_with_a_message() {
    let output = common::adapter_base_command()
        .args(["dev", "--event", "sqs", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`--event`") && stderr.contains("function-url, apigw-http, apigw-rest, alb, alb-multi"),
        "{stderr}"
    );
}
