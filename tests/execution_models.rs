//! Lambda's execution models end to end: Managed Instances concurrency (`AWS_LAMBDA_MAX_CONCURRENCY`),
//! Lambda's JSON log format, and keep-alive connections to the app that died while idle. The real adapter
//! binary runs against the embedded Runtime API, which sends `Lambda-Runtime-Invocation-Id` and refuses a
//! post that does not echo it, as Lambda does: every invocation here also proves the echo.

mod common;

use bytes::Bytes;
use common::stack::*;
use common::*;
use lambda_adapter::dev::emulator::{Emulator, FunctionInfo, Outcome};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An emulator taking `concurrency` invocations at once, the echo app, and the adapter with `env`.
struct Concurrent {
    emulator: Emulator,
    adapter: Process,
    _app: Process,
}

impl Concurrent {
    async fn start(concurrency: usize, env: &[(&str, &str)]) -> Concurrent {
        let function = FunctionInfo {
            concurrency,
            ..FunctionInfo::default()
        };
        let emulator = Emulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), function).await.unwrap();
        let app_port = free_port();
        let app = start_app(app_port);
        let adapter = Process::spawn(adapter_command(&emulator.runtime_api(), app_port, env), "adapter");
        tokio::time::timeout(Duration::from_secs(20), emulator.wait_polling())
            .await
            .unwrap_or_else(|_| panic!("the adapter never polled; its log:\n{}", adapter.output()));
        Concurrent {
            emulator,
            adapter,
            _app: app,
        }
    }

    /// Invokes every event at once; returns the outcomes in order and how long the whole batch took.
    async fn invoke_all(&self, events: Vec<Bytes>) -> (Vec<Outcome>, Duration) {
        let started = Instant::now();
        let calls = events.into_iter().map(|event| self.emulator.invoke(event, Duration::from_secs(30)));
        let outcomes = futures::future::join_all(calls).await;
        let elapsed = started.elapsed();
        let outcomes = outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|e| panic!("{e:?}; adapter log:\n{}", self.adapter.output())))
            .collect();
        (outcomes, elapsed)
    }
}

fn get(path: &str, query: &str) -> Bytes {
    bytes(&function_url("GET", path, query))
}

/// The body of a buffered or streamed answer, and its status.
async fn answer(outcome: Outcome) -> (u64, Vec<u8>) {
    match outcome {
        Outcome::Response(payload) => {
            let doc: Value = serde_json::from_slice(&payload).unwrap();
            let body = doc["body"].as_str().unwrap_or_default().as_bytes().to_vec();
            (doc["statusCode"].as_u64().unwrap(), body)
        }
        Outcome::Streaming(_) => {
            let received = receive(outcome).await;
            assert!(received.error.is_none(), "{:?}", received.error);
            (received.prelude["statusCode"].as_u64().unwrap(), received.body())
        }
        Outcome::Error(report) => panic!("{}: {}", report.error_type, report.message()),
    }
}

async fn eight_slow_requests_take_one_requests_time(mode: &str) {
    let stack = Concurrent::start(8, &[("AWS_LAMBDA_MAX_CONCURRENCY", "8"), ("LWA_INVOKE_MODE", mode)]).await;
    let (outcomes, elapsed) = stack.invoke_all((0..8).map(|_| get("/slow", "ms=600")).collect()).await;
    for outcome in outcomes {
        assert_eq!(answer(outcome).await, (200, b"slow".to_vec()));
    }
    // One at a time they would take 4.8 s; side by side, one request's time and the overhead.
    assert!(elapsed < Duration::from_millis(2400), "{mode}: 8 × 600 ms took {elapsed:?}");
}

#[tokio::test]
async fn eight_slow_requests_take_one_requests_time_buffered() {
    eight_slow_requests_take_one_requests_time("buffered").await;
}

#[tokio::test]
async fn eight_slow_requests_take_one_requests_time_streaming() {
    eight_slow_requests_take_one_requests_time("response_stream").await;
}

#[tokio::test]
async fn sixty_four_invocations_each_get_their_own_answer_and_context() {
    let stack = Concurrent::start(64, &[("AWS_LAMBDA_MAX_CONCURRENCY", "64")]).await;
    let events = (0..64).map(|n| get("/echo", &format!("n={n}"))).collect();
    let (outcomes, _) = stack.invoke_all(events).await;
    let mut request_ids = std::collections::HashSet::new();
    for (n, outcome) in outcomes.into_iter().enumerate() {
        let (status, body) = answer(outcome).await;
        assert_eq!(status, 200);
        let seen: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(seen["query"], format!("n={n}"), "invocation {n} got another's answer");
        let context: Value = serde_json::from_str(seen["headers"]["x-amzn-lambda-context"][0].as_str().unwrap()).unwrap();
        assert!(request_ids.insert(context["request_id"].as_str().unwrap().to_string()));
    }
    assert_eq!(request_ids.len(), 64, "each invocation had its own request id");
}

#[tokio::test]
async fn eight_sse_streams_flow_side_by_side() {
    let stack = Concurrent::start(8, &[("AWS_LAMBDA_MAX_CONCURRENCY", "8"), ("LWA_INVOKE_MODE", "response_stream")]).await;
    let events = (0..8).map(|_| get("/sse", "n=5&interval_ms=100")).collect();
    let (outcomes, _) = stack.invoke_all(events).await;
    let started = Instant::now();
    let streams = outcomes.into_iter().map(receive);
    let received = futures::future::join_all(streams).await;
    for stream in &received {
        assert!(stream.error.is_none());
        let text = String::from_utf8(stream.body()).unwrap();
        assert_eq!(text.matches("data:").count(), 5, "{text}");
    }
    // Eight streams of half a second each, read together: about half a second, not four.
    assert!(started.elapsed() < Duration::from_millis(2000), "{:?}", started.elapsed());
}

#[tokio::test]
async fn without_the_variable_invocations_run_one_at_a_time() {
    let stack = Concurrent::start(4, &[]).await;
    let (outcomes, elapsed) = stack.invoke_all((0..3).map(|_| get("/slow", "ms=300")).collect()).await;
    for outcome in outcomes {
        assert_eq!(answer(outcome).await.0, 200);
    }
    assert!(
        elapsed >= Duration::from_millis(900),
        "one poll at a time: three 300 ms requests took {elapsed:?}"
    );
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_request_id() {
    let stack = Stack::start(&[("AWS_LAMBDA_LOG_FORMAT", "JSON"), ("RUST_LOG", "debug")]).await;
    let Outcome::Error(report) = stack.invoke("{not json").await else {
        panic!("a malformed event fails")
    };
    assert_eq!(report.error_type, "LambdaAdapter.InvalidEvent");
    let doc = stack.invoke_json(get("/echo", "")).await;
    assert_eq!(doc["statusCode"], 200);
    let log = stack.adapter.output();
    let lines: Vec<Value> = log
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    assert!(lines.len() >= 3, "{log}");
    for line in &lines {
        assert!(
            line["timestamp"].is_string() && line["level"].is_string() && line["message"].is_string(),
            "{line}"
        );
    }
    let failed = lines
        .iter()
        .find(|line| line["message"].as_str().unwrap().contains("invocation failed"))
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(failed["level"], "ERROR");
    assert!(failed["requestId"].as_str().is_some_and(|id| !id.is_empty()), "{failed}");
    let served = lines
        .iter()
        .find(|line| line["message"] == "GET /echo")
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(
        (served["status"].as_u64(), served["kind"].as_str()),
        (Some(200), Some("Function URL"))
    );
    assert!(
        served["requestId"].is_string() && served["requestId"] != failed["requestId"],
        "{served}"
    );
}

/// An app whose keep-alive connections die while idle, as a thawed sandbox's do: the first request on a
/// connection is answered; a second request on the same connection is read and the connection closed
/// without an answer. Returns its port and how many connections it accepted.
async fn app_with_dying_connections() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 65536];
                let mut answered = false;
                loop {
                    let Ok(n) = stream.read(&mut buffer).await else { return };
                    if n == 0 || answered {
                        return; // the second request: the connection was dead all along
                    }
                    let body = b"fresh";
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(body).await;
                    answered = true;
                }
            });
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn a_dead_pooled_connection_never_fails_an_invocation() {
    let (port, accepted) = app_with_dying_connections().await;
    let emulator = Emulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), FunctionInfo::default())
        .await
        .unwrap();
    let env = [("LWA_READINESS_CHECK_PROTOCOL", "tcp")];
    let adapter = Process::spawn(adapter_command(&emulator.runtime_api(), port, &env), "adapter");
    tokio::time::timeout(Duration::from_secs(20), emulator.wait_polling())
        .await
        .unwrap();
    for n in 0..4 {
        let outcome = emulator.invoke(get("/any", ""), Duration::from_secs(10)).await.unwrap();
        let Outcome::Response(payload) = outcome else {
            panic!("invocation {n} failed: {}", describe(&outcome))
        };
        let doc: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            (doc["statusCode"].as_u64(), doc["body"].as_str()),
            (Some(200), Some("fresh")),
            "{n}"
        );
    }
    assert!(
        accepted.load(std::sync::atomic::Ordering::SeqCst) >= 4,
        "each retry opened a fresh connection"
    );

    // A POST with a body may have been acted on: it is not sent twice, and the failure says why. (The GET
    // leaves a pooled connection for the POST to find dead.)
    let outcome = emulator.invoke(get("/any", ""), Duration::from_secs(10)).await.unwrap();
    assert!(matches!(outcome, Outcome::Response(_)), "{}", describe(&outcome));
    let mut post = function_url("POST", "/any", "");
    post["body"] = "order #1".into();
    let outcome = emulator.invoke(bytes(&post), Duration::from_secs(10)).await.unwrap();
    let Outcome::Error(report) = outcome else {
        panic!("a POST with a body is not replayed")
    };
    assert_eq!(report.error_type, "LambdaAdapter.AppUnreachable");
    assert!(
        report.message().contains("connection closed before message completed"),
        "{}",
        report.message()
    );
    drop(adapter);
}
