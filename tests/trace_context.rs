//! W3C trace context end to end: Lambda's trace header for each invocation reaches the app as
//! `traceparent` beside `x-amzn-trace-id`, buffered and streamed, for eight concurrent invocations each its
//! own; a malformed or parent-less header gives none and fails nothing; a client's valid `traceparent` wins.

mod common;

use common::stack::Stack;
use common::*;
use lambda_adapter::dev::emulator::{Emulator, FunctionInfo, Outcome};
use serde_json::Value;
use std::time::Duration;

const ROOT: &str = "Root=1-5759e988-bd862e3fe1be46a994272793";
const TRACE_ID: &str = "5759e988bd862e3fe1be46a994272793";

/// The headers the echo app saw, from its JSON answer (buffered or streamed).
async fn seen_headers(outcome: Outcome) -> Value {
    let body = match outcome {
        Outcome::Response(payload) => {
            let doc: Value = serde_json::from_slice(&payload).unwrap();
            assert_eq!(doc["statusCode"], 200, "{doc}");
            doc["body"].as_str().unwrap().as_bytes().to_vec()
        }
        Outcome::Streaming(_) => receive(outcome).await.body(),
        Outcome::Error(report) => panic!("{}: {}", report.error_type, report.message()),
    };
    let echo: Value = serde_json::from_slice(&body).unwrap();
    echo["headers"].clone()
}

async fn traced(stack: &Stack, event: &Value, trace: &str) -> Value {
    let outcome = stack
        .emulator
        .invoke_traced(bytes(event), Duration::from_secs(20), Some(trace.to_string()))
        .await
        .unwrap();
    seen_headers(outcome).await
}

#[tokio::test]
async fn the_invocations_trace_reaches_the_app_as_traceparent() {
    let stack = Stack::start(&[]).await;
    let event = function_url("GET", "/echo", "");
    let sampled = format!("{ROOT};Parent=53995c3f42cd8ad8;Sampled=1");
    let headers = traced(&stack, &event, &sampled).await;
    assert_eq!(
        headers["traceparent"],
        serde_json::json!([format!("00-{TRACE_ID}-53995c3f42cd8ad8-01")])
    );
    assert_eq!(headers["x-amzn-trace-id"], serde_json::json!([sampled]));

    let unsampled = format!("{ROOT};Parent=53995c3f42cd8ad8;Sampled=0;Lineage=a87bd80c:1");
    let headers = traced(&stack, &event, &unsampled).await;
    assert_eq!(
        headers["traceparent"],
        serde_json::json!([format!("00-{TRACE_ID}-53995c3f42cd8ad8-00")])
    );

    for (what, trace) in [
        ("parent-less", format!("{ROOT};Sampled=1")),
        ("malformed", "Root=1-xyz;Parent=nothex;Sampled=1".into()),
    ] {
        let headers = traced(&stack, &event, &trace).await;
        assert!(headers.get("traceparent").is_none(), "{what}: {headers}");
    }

    // The client's own trace continues, once; an invalid one is replaced by the invocation's.
    let client = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let mut with_client = function_url("GET", "/echo", "");
    with_client["headers"]["traceparent"] = client.into();
    let headers = traced(&stack, &with_client, &sampled).await;
    assert_eq!(headers["traceparent"], serde_json::json!([client]));
    with_client["headers"]["traceparent"] = "00-not-a-trace-01".into();
    let headers = traced(&stack, &with_client, &sampled).await;
    assert_eq!(
        headers["traceparent"],
        serde_json::json!([format!("00-{TRACE_ID}-53995c3f42cd8ad8-01")])
    );

    // Other sources carry it too.
    let headers = traced(&stack, &rest_api("GET", "/echo", &[]), &sampled).await;
    assert_eq!(
        headers["traceparent"],
        serde_json::json!([format!("00-{TRACE_ID}-53995c3f42cd8ad8-01")])
    );
}

#[tokio::test]
async fn a_streamed_invocation_carries_it_too() {
    let stack = Stack::start(&STREAM).await;
    let trace = format!("{ROOT};Parent=0123456789abcdef;Sampled=1");
    let headers = traced(&stack, &function_url("GET", "/echo", ""), &trace).await;
    assert_eq!(
        headers["traceparent"],
        serde_json::json!([format!("00-{TRACE_ID}-0123456789abcdef-01")])
    );
}

#[tokio::test]
async fn eight_concurrent_invocations_each_get_their_own() {
    let function = FunctionInfo {
        concurrency: 8,
        ..FunctionInfo::default()
    };
    let emulator = Emulator::start(([127, 0, 0, 1], 0).into(), function).await.unwrap();
    let app_port = free_port();
    let _app = start_app(app_port);
    let env = [("AWS_LAMBDA_MAX_CONCURRENCY", "8")];
    let adapter = Process::spawn(adapter_command(&emulator.runtime_api(), app_port, &env), "adapter");
    tokio::time::timeout(Duration::from_secs(20), emulator.wait_polling())
        .await
        .unwrap_or_else(|_| panic!("the adapter never polled; its log:\n{}", adapter.output()));
    let parents: Vec<String> = (0..8).map(|i| format!("{i:016x}").replace('0', "a")).collect();
    let calls = parents.iter().map(|parent| {
        let trace = format!("{ROOT};Parent={parent};Sampled=1");
        emulator.invoke_traced(bytes(&function_url("GET", "/echo", "")), Duration::from_secs(20), Some(trace))
    });
    let outcomes = futures::future::join_all(calls).await;
    for (parent, outcome) in parents.iter().zip(outcomes) {
        let headers = seen_headers(outcome.unwrap()).await;
        assert_eq!(headers["traceparent"], serde_json::json!([format!("00-{TRACE_ID}-{parent}-01")]));
    }
}
