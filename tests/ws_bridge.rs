//! The WebSocket bridge end to end: the real adapter binary between the embedded Lambda emulator, a test
//! app, and a stand-in for API Gateway's `@connections` API that verifies every signature with botocore.
//! Needs `python3` with `botocore` and `boto3` (PyPI).

mod common;

use common::fixture;
use common::ws::{Harness, call, message, ws_support};
use lambda_adapter::dev::emulator::Outcome;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn connect_accepts_with_the_subprotocol_or_rejects_with_the_apps_status() {
    let h = Harness::start(&[]).await.ready().await;
    let mut connect = fixture("example-apigw-websocket-request-without-method.json");
    connect["headers"]["Sec-WebSocket-Protocol"] = "chat.v1, chat.v2".into();
    connect["multiValueHeaders"]["Sec-WebSocket-Protocol"] = json!(["chat.v1, chat.v2"]);
    assert_eq!(
        h.invoke(&connect).await,
        json!({"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat.v1"}})
    );
    let seen = h.app.requests().pop().unwrap();
    assert_eq!(seen.path, "/ws/connect");
    assert_eq!(seen.headers["x-ws-event"], "CONNECT");
    assert_eq!(seen.headers["x-ws-connection-id"], "asdfasdf=");
    assert!(seen.headers.get("sec-websocket-key").is_none());

    connect["queryStringParameters"] = json!({"reject": "1"});
    assert_eq!(h.invoke(&connect).await, json!({"statusCode": 401}));
    assert_eq!(h.app.requests().pop().unwrap().path, "/ws/connect?reject=1");
}

#[tokio::test]
async fn message_reply_and_disconnect() {
    let h = Harness::start(&[]).await.ready().await;
    let doc = h.invoke(&message(json!({"action": "echo", "text": "hi"}))).await;
    assert_eq!(doc["statusCode"], 200);
    let reply: Value = serde_json::from_str(doc["body"].as_str().unwrap()).unwrap();
    assert_eq!(reply, json!({"action": "echo", "text": "hi"}));
    let seen = h.app.requests().pop().unwrap();
    assert_eq!(seen.headers["content-type"], "application/json");
    assert_eq!(seen.headers["x-ws-message-id"], "Ya1b2Ic3IAMCE4w=");

    let disconnect = fixture("example-apigw-websocket-request-disconnect-route.json");
    // The app's answer to a disconnect goes nowhere, so none is passed on.
    assert_eq!(h.invoke(&disconnect).await, json!({"statusCode": 200}));
    let seen = h.app.requests().pop().unwrap();
    assert_eq!(
        (seen.path.as_str(), &seen.headers["x-ws-disconnect-code"]),
        ("/ws/disconnect", &"1005".parse::<http::HeaderValue>().unwrap())
    );
}

#[tokio::test]
async fn a_5xx_answer_to_a_message_fails_the_invocation() {
    let h = Harness::start(&[]).await.ready().await;
    let Outcome::Error(report) = h.invoke_outcome(&message(json!({"action": "fail"}))).await else {
        panic!("expected an invocation error");
    };
    assert_eq!(report.error_type, "LambdaAdapter.AppErrorStatus");
    assert_eq!(report.message(), "the app answered POST /ws/message with status 500: boom");
}

#[tokio::test]
async fn pushes_are_signed_and_accepted_by_botocore() {
    let h = Harness::start(&[]).await.ready().await;
    let doc = h.invoke(&message(json!({"action": "push"}))).await;
    assert_eq!(doc["body"], "pushed:200", "{}", h.adapter_log());
    // Ids with `/`, `+` and `=`: encoded in the path, encoded again in the signature.
    let doc = h.invoke(&message(json!({"action": "push_to", "id": "ab/cd+ef=="}))).await;
    assert_eq!(doc["body"], "200 ", "{}", h.adapter_log());
    let calls = h.sink.calls().await;
    let summary: Vec<(&str, &str, &str, i64)> = calls
        .iter()
        .map(|c| {
            (
                c["method"].as_str().unwrap(),
                c["path"].as_str().unwrap(),
                c["body"].as_str().unwrap(),
                c["status"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("POST", "/stage/@connections/Ya1aXeR8IAMCLnw%3D", "tick", 200),
            ("POST", "/stage/@connections/ab%2Fcd%2Bef%3D%3D", "hello", 200),
        ]
    );
}

#[tokio::test]
async fn a_wrong_signature_gets_api_gateways_403() {
    let h = Harness::start(&[("AWS_SECRET_ACCESS_KEY", "not-the-right-secret")])
        .await
        .ready()
        .await;
    let doc = h.invoke(&message(json!({"action": "push"}))).await;
    assert_eq!(doc["body"], "pushed:403");
    assert_eq!(h.sink.calls().await[0]["status"], 403);
}

#[tokio::test]
async fn gone_connections_pass_through_as_410() {
    let h = Harness::start(&[]).await.ready().await;
    let doc = h.invoke(&message(json!({"action": "push_to", "id": "gone-1="}))).await;
    assert_eq!(doc["body"], "410 GoneException");
}

#[tokio::test]
async fn a_push_in_flight_completes_before_the_response_is_posted() {
    let h = Harness::start(&[]).await.ready().await;
    // The app starts a push without waiting for it and answers after 100 ms; the sink takes 500 ms.
    let started = Instant::now();
    let doc = h.invoke(&message(json!({"action": "push_background", "id": "slow-1="}))).await;
    let elapsed = started.elapsed();
    assert_eq!(doc["body"], "started");
    let calls = h.sink.calls().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["answered"], true, "the invocation completed with the push still in flight");
    assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
    assert!(
        h.adapter_log().contains("holding the invocation's completion"),
        "{}",
        h.adapter_log()
    );
}

#[tokio::test]
async fn reply_post_sends_the_reply_through_connections() {
    let h = Harness::start(&[("LWA_WS_REPLY", "post")]).await.ready().await;
    let doc = h.invoke(&message(json!({"action": "echo"}))).await;
    assert_eq!(doc, json!({"statusCode": 200}));
    let calls = h.sink.calls().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["path"], "/stage/@connections/Ya1aXeR8IAMCLnw%3D");
    assert_eq!(calls[0]["body"], r#"{"action":"echo"}"#);
}

#[tokio::test]
async fn local_errors_name_the_cause() {
    let h = Harness::start(&[]).await.ready().await;
    let url = format!("http://127.0.0.1:{}/@connections/abc%3D", h.callback_port);
    let (status, _, body) = call("POST", &url, &"x".repeat(131_073)).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("131072"), "{body}");
    let (status, _, body) = call("PUT", &url, "").await;
    assert_eq!(status, 405, "{body}");
    let (status, _, body) = call("GET", &format!("http://127.0.0.1:{}/nope", h.callback_port), "").await;
    assert_eq!(status, 404, "{body}");
    assert!(h.sink.calls().await.is_empty(), "nothing reached API Gateway");

    let h = Harness::start(&[("AWS_ACCESS_KEY_ID", "")]).await.ready().await;
    let url = format!("http://127.0.0.1:{}/@connections/abc%3D", h.callback_port);
    let (status, _, body) = call("POST", &url, "x").await;
    assert_eq!(status, 500);
    let message: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        message["message"],
        "cannot sign the @connections call: AWS_ACCESS_KEY_ID is not set (AWS_SECRET_ACCESS_KEY is)"
    );
}

#[tokio::test]
async fn boto3_works_unchanged_against_the_callback_port() {
    let h = Harness::start(&[]).await.ready().await;
    let script = ws_support("boto3_client.py");
    let port = h.callback_port.to_string();
    let output = tokio::process::Command::new("python3")
        .args([script.as_str(), port.as_str()])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        h.adapter_log()
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "post_to_connection: 200",
            "get_connection: 203.0.113.7",
            "delete_connection: 204",
            "post_to_connection gone: GoneException",
        ]
    );
    let paths: Vec<String> = h
        .sink
        .calls()
        .await
        .iter()
        .map(|c| format!("{} {}", c["method"].as_str().unwrap(), c["path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        paths,
        [
            "POST /stage/@connections/R0oX%2Fab%3D",
            "GET /stage/@connections/R0oX%2Fab%3D",
            "DELETE /stage/@connections/R0oX%2Fab%3D",
            "POST /stage/@connections/gone%3D",
        ]
    );
}

#[tokio::test]
async fn the_callback_port_may_not_be_the_apps() {
    let port = common::free_port().to_string();
    let h = Harness::start(&[("LWA_PORT", port.as_str()), ("LWA_WS_CALLBACK_PORT", port.as_str())]).await;
    let report = tokio::time::timeout(Duration::from_secs(10), h.emulator.wait_init_error())
        .await
        .expect("an init error");
    assert_eq!(report.error_type, "LambdaAdapter.InvalidConfig");
    assert!(
        report.message().contains(&format!("LWA_WS_CALLBACK_PORT=\"{port}\"")),
        "{}",
        report.message()
    );
}

#[tokio::test]
async fn error_status_codes_never_turn_a_rejected_connect_into_a_failure() {
    let h = Harness::start(&[("LWA_ERROR_STATUS_CODES", "401,500-599")]).await.ready().await;
    let mut connect = fixture("example-apigw-websocket-request-without-method.json");
    connect["queryStringParameters"] = json!({"reject": "1"});
    assert_eq!(
        h.invoke(&connect).await,
        json!({"statusCode": 401}),
        "the app's 401 rejects the connection, as without the setting"
    );
}
