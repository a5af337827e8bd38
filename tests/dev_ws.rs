//! `lambda-adapter dev` speaks WebSocket like an API Gateway WebSocket API: the real binary in front of a real
//! app, and real clients — Python `websockets`, boto3's `apigatewaymanagementapi`, headless Chromium — seeing
//! what they would see against AWS. Needs `python3` with `websockets` and `boto3`, and for the browser test
//! node with playwright-core and Chromium (`scripts/test.sh` installs them).

mod common;

use common::dev::WsDev;
use common::repo_path;
use lambda_adapter::dev::websocket::management::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FAKE_SESSION_TOKEN};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_python_client_gets_the_examples_replies_and_pushes() {
    let dev = WsDev::start("examples/websocket/app.py", &[]).await;
    let seen = dev.client("chat", "/", &[]).await;
    assert_eq!(seen["subprotocol"], "chat", "the app's Sec-WebSocket-Protocol is echoed in the 101");
    assert_eq!(
        seen["received"],
        json!([
            {"type": "reply", "text": "you said: hi"},
            {"type": "tick", "n": 1},
            {"type": "tick", "n": 2},
            {"type": "tick", "n": 3},
            {"type": "reply", "text": "sent 3 ticks"},
        ]),
        "{}",
        dev.dev.output()
    );
}

#[tokio::test]
async fn api_gateways_limits_close_the_socket() {
    let dev = WsDev::test_app(&[]).await;
    let seen = dev.client("limits", "/", &[]).await;
    assert_eq!(seen["at_limit"], json!({"route": "$default", "length": 32768}));
    assert_eq!(seen["binary"][0], 1003, "{seen}");
    assert_eq!(seen["frame"][0], 1009, "a 32,769-byte frame: {seen}");
    assert_eq!(seen["message"][0], 1009, "150,000 bytes in 30,000-byte frames: {seen}");
    let codes: Vec<Value> = {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let codes: Vec<Value> = dev
                .seen()
                .await
                .iter()
                .filter(|r| r["event"] == "DISCONNECT")
                .map(|r| r["code"].clone())
                .collect();
            if codes.len() == 3 || Instant::now() > deadline {
                break codes;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    assert_eq!(codes, ["1003", "1009", "1009"]);
}

#[tokio::test]
async fn connect_carries_the_handshake_and_the_app_can_reject_it() {
    let dev = WsDev::test_app(&[]).await;
    let seen = dev.client("reject", "/?reject=401", &[]).await;
    assert_eq!(seen["status"], 401, "{seen}");
    let seen = dev.client("reject", "/?reject=403&room=a%20b", &[]).await;
    assert_eq!(seen["status"], 403, "{seen}");

    let me = dev.client("close", "/?push=1", &["1000"]).await;
    let id = me["connectionId"].as_str().unwrap();
    assert!(id.len() == 16 && id.ends_with('='), "an API Gateway-like id: {id}");
    assert_eq!(me["routeKey"], "$default");
    let records = dev.seen().await;
    let connects: Vec<&Value> = records.iter().filter(|r| r["event"] == "CONNECT").collect();
    assert_eq!(connects[1]["query"], json!({"reject": "403", "room": "a b"}));
    assert_eq!(connects[2]["connectionId"], id);
    assert_eq!(connects[2]["userAgent"], "dev-ws-test/1");
    assert_eq!(connects[2]["pushStatus"], 410, "a push during $connect is Gone, as in API Gateway");
    assert!(
        !records
            .iter()
            .any(|r| r["event"] == "DISCONNECT" && r["connectionId"] == connects[0]["connectionId"]),
        "a rejected connection has no $disconnect"
    );
}

#[tokio::test]
async fn routes_forbidden_and_internal_server_error() {
    let dev = WsDev::test_app(&["--ws-routes", "whoami,fail"]).await;
    let seen = dev
        .client(
            "messages",
            "/",
            &[
                r#"{"action":"whoami"}"#,
                r#"{"action":"nope"}"#,
                "plain text",
                r#"{"action":"fail"}"#,
            ],
        )
        .await;
    let replies: Vec<Value> = seen["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(r.as_str().unwrap()).unwrap())
        .collect();
    let id = replies[0]["connectionId"].as_str().unwrap();
    assert_eq!(replies[0]["routeKey"], "whoami");
    for (reply, message) in [
        (&replies[1], "Forbidden"),
        (&replies[2], "Forbidden"),
        (&replies[3], "Internal server error"),
    ] {
        assert_eq!(reply["message"], message, "{reply}");
        assert_eq!(reply["connectionId"], id, "{reply}");
        assert!(reply["requestId"].as_str().is_some_and(|r| r.ends_with('=')), "{reply}");
    }
    let routes: Vec<Value> = dev
        .seen()
        .await
        .iter()
        .filter(|r| r["event"] == "MESSAGE")
        .map(|r| r["routeKey"].clone())
        .collect();
    assert_eq!(routes, ["whoami", "fail"], "unrouted messages never reach the function");
}

#[tokio::test]
async fn the_clients_close_code_and_reason_reach_disconnect() {
    let dev = WsDev::test_app(&[]).await;
    let me = dev.client("close", "/", &["4000", "bye now"]).await;
    let record = dev.disconnect_of(me["connectionId"].as_str().unwrap()).await;
    assert_eq!((&record["code"], &record["reason"]), (&json!("4000"), &json!("bye now")));
    let me = dev.client("close", "/", &["-"]).await;
    let record = dev.disconnect_of(me["connectionId"].as_str().unwrap()).await;
    assert_eq!(
        (&record["code"], &record["reason"]),
        (&json!("1005"), &json!("Client-side close frame status not set"))
    );
    assert_eq!(record["routeKey"], "$disconnect");
}

#[tokio::test]
async fn an_idle_connection_closes_even_with_pings() {
    let dev = WsDev::test_app(&["--ws-idle-timeout", "1"]).await;
    let seen = dev.client("idle", "/", &[]).await;
    assert_eq!(seen["closed"], json!([1001, "Going away"]), "{seen}");
    let after = seen["after_s"].as_f64().unwrap();
    assert!((1.0..4.0).contains(&after), "closed after {after} s");
}

#[tokio::test]
async fn a_busy_connection_still_ends_at_the_maximum_duration() {
    let dev = WsDev::test_app(&["--ws-max-duration", "2", "--ws-idle-timeout", "1"]).await;
    let seen = dev.client("busy", "/", &[]).await;
    assert_eq!(seen["closed"], json!([1001, "Going away"]), "{seen}");
    let after = seen["after_s"].as_f64().unwrap();
    assert!(
        (2.0..5.0).contains(&after),
        "closed after {after} s: messages every 0.3 s keep it from idling"
    );
}

#[tokio::test]
async fn boto3_posts_gets_and_deletes_through_the_adapter() {
    let dev = WsDev::test_app(&[]).await;
    let url = dev.url("/");
    let port = dev.callback_port.to_string();
    let seen = dev.python("dev_management.py", &["boto3", &url, &port]).await;
    assert_eq!(seen["post"], 200, "{seen}");
    assert_eq!(seen["received"], "from boto3");
    assert_eq!(seen["get"]["status"], 200);
    assert_eq!(seen["get"]["sourceIp"], "127.0.0.1");
    assert_eq!(seen["get"]["userAgent"], "dev-ws-boto3/1");
    assert_eq!(seen["get"]["active_after_connect"], true);
    assert_eq!(seen["delete"], 204);
    assert_eq!(seen["closed"], json!([1000, "Connection Closed Normally"]));
    assert_eq!(seen["unknown"], "GoneException");
    assert_eq!(seen["deleted"], "GoneException");
    let record = dev.disconnect_of(seen["id"].as_str().unwrap()).await;
    assert_eq!(record["code"], "1000");
}

#[tokio::test]
async fn the_management_api_checks_every_signature() {
    let dev = WsDev::test_app(&[]).await;
    let endpoint = dev.management_endpoint();
    assert!(
        endpoint.starts_with("http://127.0.0.1:") && endpoint.ends_with("/dev"),
        "{endpoint}"
    );
    let seen = dev
        .python(
            "dev_management.py",
            &[
                "sign",
                &endpoint,
                FAKE_ACCESS_KEY_ID,
                FAKE_SECRET_ACCESS_KEY,
                FAKE_SESSION_TOKEN,
                "us-east-1",
            ],
        )
        .await;
    assert_eq!(
        seen["right"],
        json!([410, "GoneException"]),
        "botocore's signature is accepted: {seen}"
    );
    assert_eq!(seen["wrong_secret"], json!([403, "InvalidSignatureException"]));
    assert_eq!(seen["wrong_token"], json!([403, "InvalidSignatureException"]));
    assert_eq!(seen["unsigned"], json!([403, "MissingAuthenticationTokenException"]));
    assert_eq!(seen["too_large"], json!([413, "PayloadTooLargeException"]));
}

#[tokio::test]
async fn chromium_opens_the_example_page_and_sees_replies_and_pushes() {
    let dev = WsDev::start("examples/websocket/app.py", &[]).await;
    let page = format!("http://127.0.0.1:{}/?ws={}", dev.dev.port, dev.url("/"));
    let output = tokio::process::Command::new("node")
        .arg(repo_path("tests/browser/websocket.mjs"))
        .arg(&page)
        .output()
        .await
        .expect("node runs (scripts/test.sh installs it)");
    assert!(
        output.status.success(),
        "the browser test failed (scripts/test.sh installs chromium and playwright-core):\n{}\n--- dev:\n{}",
        String::from_utf8_lossy(&output.stderr),
        dev.dev.output()
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let items: Vec<&str> = report["items"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect();
    assert_eq!(
        items,
        [
            "connected (subprotocol chat)",
            "reply: you said: hello from chromium",
            "pushed tick 1",
            "pushed tick 2",
            "pushed tick 3",
            "reply: sent 3 ticks",
        ],
        "{}",
        dev.dev.output()
    );
}
