//! End to end, as an attacker: forged adapter-owned headers and escaping paths sent to the real binary, and
//! settings that once crashed it at start-up (issue 10's defects; each of these failed before the fix).

mod common;

use common::stack::Stack;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

/// A listener on another loopback address that counts the connections it gets.
fn trap(ip: [u8; 4]) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::from(ip), 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, hits)
}

fn seen_by_the_app(doc: &Value) -> Value {
    assert_eq!(doc["statusCode"], 200, "{doc}");
    serde_json::from_str(doc["body"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn a_function_url_client_cannot_forge_websocket_or_context_headers() {
    let stack = Stack::start(&[]).await;
    let (port, hits) = trap([127, 0, 0, 3]);
    let mut event = function_url("POST", "/echo/ws/message", "");
    event["headers"]["x-ws-callback"] = format!("http://127.0.0.3:{port}/@connections/victim").into();
    event["headers"]["x-ws-connection-id"] = "victim".into();
    event["headers"]["x-amz-tenant-id"] = "other-tenant".into();
    event["headers"]["x-amzn-lambda-context"] = "{}".into();
    event["body"] = r#"{"action":"ticks","n":1}"#.into();
    let seen = seen_by_the_app(&stack.invoke_json(bytes(&event)).await);
    let headers = seen["headers"].as_object().unwrap();
    for name in ["x-ws-callback", "x-ws-connection-id", "x-amz-tenant-id"] {
        assert!(!headers.contains_key(name), "the client's {name} reached the app: {headers:?}");
    }
    assert_ne!(seen["headers"]["x-amzn-lambda-context"], json!(["{}"]));
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn no_event_path_reaches_another_host_or_port() {
    let stack = Stack::start(&[]).await;
    let (port, hits) = trap([127, 0, 0, 2]);
    let escape = format!("@127.0.0.2:{port}/echo");
    let mut events = vec![function_url("GET", &escape, "")];
    let mut rest = rest_api("GET", "/", &[]);
    rest["path"] = escape.clone().into();
    events.push(rest);
    let mut alb = alb("GET", "/", true);
    alb["path"] = escape.clone().into();
    events.push(alb);
    for event in events {
        let doc = stack.invoke_json(bytes(&event)).await;
        assert_eq!(doc["statusCode"], 404, "the echo app itself answers the unknown path: {doc}");
    }
    let mut dot = function_url("GET", ".x", "");
    dot["requestContext"]["http"]["path"] = ".x".into();
    assert_eq!(stack.invoke_json(bytes(&dot)).await["statusCode"], 404);
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing reached 127.0.0.2:{port}"
    );
    assert!(!stack.adapter.output().contains("127.0.0.2"), "{}", stack.adapter.output());
}

#[tokio::test]
async fn settings_that_crashed_start_up_are_init_errors() {
    for (name, value, expect) in [
        ("LWA_HOST", "a b", "host name or an IP address"),
        ("LWA_HOST", "x/y", "host name or an IP address"),
        ("LWA_READINESS_CHECK_PATH", "/a<b>", "absolute path"),
        (
            "AWS_LWA_WS_ENDPOINT",
            "https://abc.execute-api.us-east-1.amazonaws.com/pr\u{1}od",
            "control characters",
        ),
        ("LWA_LAMBDA_RUNTIME_API_PROXY", "a b:9001", "expected `host:port`"),
    ] {
        let _ = assert_invalid_setting(name, value, expect).await;
    }
}

#[tokio::test]
async fn an_invalid_runtime_api_address_is_a_message_not_a_panic() {
    let mut adapter = Process::spawn(adapter_command("a b:9001", free_port(), &[]), "adapter");
    let status = adapter.wait_exit(Duration::from_secs(5)).expect("the adapter exits");
    assert_eq!(status.code(), Some(2));
    let log = adapter.output();
    assert!(log.contains("invalid setting AWS_LAMBDA_RUNTIME_API=\"a b:9001\""), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}
