//! `examples/websocket/app.py` behind the adapter: the page is served, a connect offering the `chat`
//! subprotocol gets it back, and a `ticks` message pushes ticks through `x-ws-callback` (verified by the
//! botocore sink standing in for API Gateway) before its reply. Needs `python3` with `botocore`.

mod common;

use common::ws::{Harness, message};
use common::{Process, fixture, free_port, repo_path};
use serde_json::{Value, json};
use std::process::Command;

fn start_example(port: u16) -> Process {
    let mut command = Command::new("python3");
    command.arg(repo_path("examples/websocket/app.py")).env("PORT", port.to_string());
    Process::spawn(command, "websocket-example")
}

#[tokio::test]
async fn the_example_replies_and_pushes() {
    let port = free_port();
    let _app = start_example(port);
    let h = Harness::start(&[("LWA_PORT", &port.to_string())]).await.ready().await;

    let mut page = fixture("example-lambda-function-url-request.json");
    page["rawPath"] = "/".into();
    page["rawQueryString"] = "ws=wss://abc.execute-api.us-east-1.amazonaws.com/prod".into();
    let doc = h.invoke(&page).await;
    assert_eq!(doc["statusCode"], 200);
    assert!(doc["body"].as_str().unwrap().contains(r#"new WebSocket(url, ["chat"])"#));

    let mut connect = fixture("example-apigw-websocket-request-without-method.json");
    connect["headers"]["Sec-WebSocket-Protocol"] = "chat".into();
    connect["multiValueHeaders"]["Sec-WebSocket-Protocol"] = json!(["chat"]);
    assert_eq!(
        h.invoke(&connect).await,
        json!({"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat"}})
    );

    let doc = h.invoke(&message(json!({"action": "sendmessage", "text": "hi"}))).await;
    let reply: Value = serde_json::from_str(doc["body"].as_str().unwrap()).unwrap();
    assert_eq!(reply, json!({"type": "reply", "text": "you said: hi"}));

    let doc = h.invoke(&message(json!({"action": "ticks", "n": 3}))).await;
    let reply: Value = serde_json::from_str(doc["body"].as_str().unwrap()).unwrap();
    assert_eq!(reply, json!({"type": "reply", "text": "sent 3 ticks"}));
    let pushed: Vec<(String, i64)> = h
        .sink
        .calls()
        .await
        .iter()
        .map(|c| (c["body"].as_str().unwrap().to_string(), c["status"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        pushed,
        (1..=3)
            .map(|n| (format!(r#"{{"type": "tick", "n": {n}}}"#), 200))
            .collect::<Vec<_>>(),
        "{}",
        h.adapter_log()
    );
    assert!(
        h.sink
            .calls()
            .await
            .iter()
            .all(|c| c["path"] == "/stage/@connections/Ya1aXeR8IAMCLnw%3D")
    );
}
