//! End to end, buffered mode: the real adapter binary between the embedded Runtime API and the echo app.

mod common;

use base64::Engine;
use common::stack::Stack;
use common::*;
use lambda_adapter::dev::emulator::Outcome;
use serde_json::{Value, json};
use std::time::Duration;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

/// The echo app's view of a request, from a buffered response document.
fn echoed(doc: &Value) -> Value {
    assert_eq!(doc["statusCode"], 200, "{doc}");
    let body = doc["body"].as_str().unwrap();
    let body = if doc["isBase64Encoded"] == true {
        String::from_utf8(unb64(body)).unwrap()
    } else {
        body.to_string()
    };
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn function_url_request_reaches_the_app_as_sent() {
    let stack = Stack::start(&[]).await;
    let mut event = function_url("POST", "/echo/a%20b", "x=1&x=2&y=%2B");
    event["cookies"] = json!(["a=1", "b=2"]);
    event["headers"]["x-amzn-request-context"] = "forged".into();
    event["body"] = "hello".into();
    let doc = stack.invoke_json(bytes(&event)).await;
    assert_eq!(doc["headers"]["content-type"], "application/json");
    assert_eq!(doc["cookies"], json!([]));
    assert_eq!(doc["isBase64Encoded"], false);
    let seen = echoed(&doc);
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/echo/a%20b");
    assert_eq!(seen["query"], "x=1&x=2&y=%2B");
    assert_eq!(seen["headers"]["cookie"], json!(["a=1; b=2"]));
    assert_eq!(seen["headers"]["x-forwarded-for"], json!(["65.78.31.245"]));
    assert_eq!(unb64(seen["body_base64"].as_str().unwrap()), b"hello");
    let context: Value = serde_json::from_str(seen["headers"]["x-amzn-request-context"][0].as_str().unwrap()).unwrap();
    assert_eq!(
        context["domainName"], "id.lambda-url.eu-west-2.on.aws",
        "the client's forged copy is replaced"
    );
    let lambda: Value = serde_json::from_str(seen["headers"]["x-amzn-lambda-context"][0].as_str().unwrap()).unwrap();
    assert_eq!(lambda["env_config"]["function_name"], "e2e-function");
    assert_eq!(
        lambda["invoked_function_arn"],
        "arn:aws:lambda:us-east-1:000000000000:function:function"
    );
    assert!(seen["headers"]["x-amzn-trace-id"][0].as_str().unwrap().starts_with("Root=1-"));
}

#[tokio::test]
async fn malformed_event_then_a_good_one() {
    let stack = Stack::start(&[]).await;
    let Outcome::Error(report) = stack.invoke("{\"rawPath\": ").await else {
        panic!("a malformed event must fail")
    };
    assert_eq!(report.error_type, "LambdaAdapter.InvalidEvent");
    assert!(report.message().contains("not valid JSON"), "{}", report.message());
    let broken = json!({"httpMethod": "GET", "path": "/", "requestContext": {}, "multiValueHeaders": {"bad header": ["x"]}});
    let Outcome::Error(report) = stack.invoke(bytes(&broken)).await else {
        panic!("an unparseable REST event must fail")
    };
    assert!(report.message().contains("API Gateway REST API"), "{}", report.message());
    let doc = stack.invoke_json(bytes(&function_url("GET", "/echo", ""))).await;
    assert_eq!(echoed(&doc)["path"], "/echo");
    assert!(
        stack.adapter.output().contains("not valid JSON"),
        "the failure is in the log with its request id"
    );
}

#[tokio::test]
async fn app_killed_then_restarted() {
    let mut stack = Stack::start(&[]).await;
    stack.app.kill();
    let Outcome::Error(report) = stack.invoke(bytes(&function_url("GET", "/echo", ""))).await else {
        panic!("a dead app must fail")
    };
    assert_eq!(report.error_type, "LambdaAdapter.AppUnreachable");
    assert!(report.message().contains("GET /echo"), "{}", report.message());
    assert!(report.message().to_lowercase().contains("refused"), "{}", report.message());
    stack.app = start_app(stack.app_port);
    let doc = stack.invoke_json(bytes(&function_url("GET", "/echo/back", ""))).await;
    assert_eq!(echoed(&doc)["path"], "/echo/back");
}

#[tokio::test]
async fn oversized_response_fails_with_a_hint() {
    let stack = Stack::start(&[]).await;
    // 5 MB of binary is 6.7 MB in base64: over the limit only after encoding.
    let Outcome::Error(report) = stack.invoke(bytes(&function_url("GET", "/bytes", "size=5000000"))).await else {
        panic!("must fail")
    };
    assert_eq!(report.error_type, "LambdaAdapter.ResponseTooLarge");
    assert!(report.message().contains("LWA_INVOKE_MODE=response_stream"), "{}", report.message());
    let Outcome::Error(report) = stack.invoke(bytes(&function_url("GET", "/bytes", "size=20000000"))).await else {
        panic!("must fail")
    };
    assert_eq!(report.error_type, "LambdaAdapter.ResponseTooLarge");
    let doc = stack.invoke_json(bytes(&function_url("GET", "/large-text", "size=4000000"))).await;
    assert_eq!(doc["body"].as_str().unwrap().len(), 4_000_000, "4 MB of text fits");
}

#[tokio::test]
async fn invalid_setting_is_an_init_error_and_a_nonzero_exit() {
    for (name, value, expect) in [
        ("AWS_LWA_INVOKE_MODE", "response_streaming", "did you mean `response_stream`"),
        ("LWA_PORT", "abc", "1 to 65535"),
        ("LWA_ERROR_STATUS_CODES", "500-", "missing a bound"),
        ("LWA_ASYNC_INIT", "maybe", "true/false"),
    ] {
        let message = assert_invalid_setting(name, value, expect).await;
        assert!(message.contains(value), "the message names the value: {message}");
    }
}

#[tokio::test]
async fn readiness_timeout_names_the_path_and_the_last_status() {
    let emulator = lambda_adapter::dev::emulator::Emulator::start(([127, 0, 0, 1], 0).into(), Default::default())
        .await
        .unwrap();
    let port = free_port();
    let _app = start_app(port);
    let env = [("LWA_READINESS_CHECK_PATH", "/status/503"), ("LWA_READINESS_CHECK_TIMEOUT", "1.5")];
    let mut adapter = Process::spawn(adapter_command(&emulator.runtime_api(), port, &env), "adapter");
    let report = tokio::time::timeout(Duration::from_secs(10), emulator.wait_init_error())
        .await
        .expect("an init error");
    assert_eq!(report.error_type, "LambdaAdapter.AppNotReady");
    assert!(
        report.message().contains("/status/503") && report.message().contains("503"),
        "{}",
        report.message()
    );
    assert!(!adapter.wait_exit(Duration::from_secs(5)).unwrap().success());
    assert!(
        adapter.output().contains("waiting for the app"),
        "progress is logged while waiting: {}",
        adapter.output()
    );
}

#[tokio::test]
async fn base_path_is_removed() {
    let stack = Stack::start(&[("LWA_REMOVE_BASE_PATH", "/api")]).await;
    let doc = stack.invoke_json(bytes(&function_url("GET", "/api/echo/x", ""))).await;
    assert_eq!(echoed(&doc)["path"], "/echo/x");
}

#[tokio::test]
async fn repeated_headers_and_three_cookies_in_each_format() {
    let stack = Stack::start(&[]).await;
    let cookies = json!(["c1=1; Path=/", "c2=2; Path=/", "c3=3; Path=/; HttpOnly"]);

    let doc = stack.invoke_json(bytes(&function_url("GET", "/cookies", "n=3"))).await;
    assert_eq!(doc["cookies"], cookies);
    assert!(doc["headers"].get("set-cookie").is_none());
    let doc = stack.invoke_json(bytes(&function_url("GET", "/headers", ""))).await;
    assert_eq!(doc["headers"]["x-multi"], "a,b");

    let doc = stack.invoke_json(bytes(&rest_api("GET", "/cookies", &[("n", "3")]))).await;
    assert_eq!(doc["multiValueHeaders"]["set-cookie"], cookies);
    let doc = stack.invoke_json(bytes(&rest_api("GET", "/headers", &[]))).await;
    assert_eq!(doc["multiValueHeaders"]["x-multi"], json!(["a", "b"]));
    assert!(
        doc["headers"].get("x-multi").is_none(),
        "a repeated header lives in multiValueHeaders only: {doc}"
    );
    assert_eq!(doc["headers"]["cache-control"], "no-store");

    let doc = stack.invoke_json(bytes(&alb("GET", "/cookies", true))).await;
    assert_eq!(doc["statusDescription"], "200 OK");
    assert_eq!(doc["multiValueHeaders"]["set-cookie"], cookies);
    assert!(doc.get("headers").is_none(), "ALB gets the form the request came in: {doc}");
    let doc = stack.invoke_json(bytes(&alb("GET", "/headers", false))).await;
    assert_eq!(doc["headers"]["x-multi"], "a,b");
    assert!(doc.get("multiValueHeaders").is_none());
}

#[tokio::test]
async fn binary_bodies_are_byte_exact_both_ways() {
    let stack = Stack::start(&[]).await;
    let payload: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let mut event = function_url("POST", "/binary-echo", "");
    event["body"] = b64(&payload).into();
    event["isBase64Encoded"] = true.into();
    event["headers"]["content-type"] = "application/octet-stream".into();
    let doc = stack.invoke_json(bytes(&event)).await;
    assert_eq!(doc["isBase64Encoded"], true);
    assert_eq!(unb64(doc["body"].as_str().unwrap()), payload);

    let mut event = rest_api("POST", "/binary-echo", &[]);
    event["body"] = b64(&payload).into();
    event["isBase64Encoded"] = true.into();
    let doc = stack.invoke_json(bytes(&event)).await;
    assert_eq!(unb64(doc["body"].as_str().unwrap()), payload);

    let mut event = alb("GET", "/bytes", true);
    event["multiValueQueryStringParameters"] = json!({"size": ["1000"]});
    let doc = stack.invoke_json(bytes(&event)).await;
    assert_eq!(doc["isBase64Encoded"], true);
    assert_eq!(unb64(doc["body"].as_str().unwrap()), pattern(1000));
}

#[tokio::test]
async fn head_and_no_content_have_no_body() {
    let stack = Stack::start(&[]).await;
    for (method, path, status) in [
        ("HEAD", "/status/200", 200),
        ("GET", "/status/204", 204),
        ("GET", "/status/304", 304),
    ] {
        let doc = stack.invoke_json(bytes(&function_url(method, path, ""))).await;
        assert_eq!(doc["statusCode"], status);
        assert_eq!(doc["body"], "", "{method} {path}");
    }
}

#[tokio::test]
async fn error_status_codes_fail_the_invocation() {
    let stack = Stack::start(&[("LWA_ERROR_STATUS_CODES", "500-599")]).await;
    let Outcome::Error(report) = stack.invoke(bytes(&function_url("GET", "/status/502", ""))).await else {
        panic!("502 must fail")
    };
    assert_eq!(report.error_type, "LambdaAdapter.AppErrorStatus");
    assert!(report.message().contains("502"), "{}", report.message());
    let doc = stack.invoke_json(bytes(&function_url("GET", "/status/404", ""))).await;
    assert_eq!(doc["statusCode"], 404);
}

#[tokio::test]
async fn non_http_events_pass_through() {
    let stack = Stack::start(&[]).await;
    let event = fixture("example-sqs-event.json");
    let Outcome::Response(payload) = stack.invoke(bytes(&event)).await else {
        panic!("expected the app's body")
    };
    let answer: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(answer, json!({"passthrough": true, "event": event}));
}

#[tokio::test]
async fn the_app_request_is_bounded_by_the_deadline() {
    let stack = Stack::start(&[]).await;
    // First an invocation with a later deadline (30 s): the adapter keeps a timer at the previous deadline
    // (invoke::DeadlineAnchor), and a sooner one must still cut the app off at its own.
    let doc = stack.invoke_json(bytes(&function_url("GET", "/echo/first", ""))).await;
    assert_eq!(echoed(&doc)["path"], "/echo/first");
    let outcome = stack
        .invoke_with(bytes(&function_url("GET", "/slow", "ms=5000")), Duration::from_millis(1200))
        .await;
    let Outcome::Error(report) = outcome else {
        panic!("expected a deadline error, got {}", describe(&outcome))
    };
    assert_eq!(report.error_type, "LambdaAdapter.DeadlineReached");
    let doc = stack.invoke_json(bytes(&function_url("GET", "/echo/next", ""))).await;
    assert_eq!(echoed(&doc)["path"], "/echo/next", "the next invocation is served");
}

#[tokio::test]
async fn both_setting_names_work_and_ours_wins() {
    let stack = Stack::start(&[("AWS_LWA_REMOVE_BASE_PATH", "/theirs"), ("LWA_REMOVE_BASE_PATH", "/ours")]).await;
    let doc = stack.invoke_json(bytes(&function_url("GET", "/ours/echo", ""))).await;
    assert_eq!(echoed(&doc)["path"], "/echo");
    assert!(
        stack.adapter.output().contains("using LWA_REMOVE_BASE_PATH"),
        "{}",
        stack.adapter.output()
    );
}

#[tokio::test]
async fn a_body_failing_midway_is_an_invocation_error() {
    let stack = Stack::start(&[]).await;
    let Outcome::Error(report) = stack.invoke(bytes(&function_url("GET", "/die", "after=1000"))).await else {
        panic!("must fail")
    };
    assert_eq!(report.error_type, "LambdaAdapter.AppBodyError");
    let doc = stack.invoke_json(bytes(&function_url("GET", "/echo", ""))).await;
    assert_eq!(echoed(&doc)["path"], "/echo");
}

#[tokio::test]
async fn async_init_lets_init_finish_and_the_first_invocation_waits_for_the_app() {
    let emulator = lambda_adapter::dev::emulator::Emulator::start(([127, 0, 0, 1], 0).into(), Default::default())
        .await
        .unwrap();
    let port = free_port();
    let env = [("LWA_ASYNC_INIT", "true"), ("LWA_READINESS_CHECK_PROTOCOL", "tcp")];
    let adapter = Process::spawn(adapter_command(&emulator.runtime_api(), port, &env), "adapter");
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(15), emulator.wait_polling())
        .await
        .expect("init ends without the app");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(12),
        "init waited {waited:?}"
    );
    let invocation = tokio::spawn(async move {
        let outcome = emulator
            .invoke(bytes(&function_url("GET", "/echo/late", "")), Duration::from_secs(20))
            .await;
        (emulator, outcome)
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _app = start_app(port);
    let (_emulator, outcome) = invocation.await.unwrap();
    let Ok(Outcome::Response(payload)) = outcome else {
        panic!("the first invocation waits for the app; log:\n{}", adapter.output())
    };
    let doc: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(echoed(&doc)["path"], "/echo/late");
    assert!(adapter.output().contains("async init"), "{}", adapter.output());
}
