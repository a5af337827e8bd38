//! Work after the response ("wait until") end to end: the real adapter, the embedded Runtime API emulator,
//! and the example app (`examples/wait-until/app.py`, Python's standard library), which answers at once and
//! writes after its answer, holding the invocation at `x-lambda-wait-until`. Also through `lambda-adapter dev`.

mod common;

use common::dev::Dev;
use common::*;
use lambda_adapter::dev::emulator::{Emulator, FunctionInfo, Outcome};
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

/// The example app on a free port, writing its orders into `dir`, each after `work` seconds.
fn start_example(dir: &TempDir, work: &str) -> (Process, u16) {
    let port = free_port();
    let mut command = Command::new("python3");
    command
        .arg(repo_path("examples/wait-until/app.py"))
        .env("PORT", port.to_string())
        .env("ORDERS_FILE", dir.path("orders.jsonl"))
        .env("WORK_SECONDS", work);
    let app = Process::spawn(command, "wait-until-app");
    wait_for_port(port, Duration::from_secs(10));
    (app, port)
}

struct Rig {
    emulator: Emulator,
    adapter: Process,
    _app: Process,
    _dir: TempDir,
}

impl Rig {
    async fn start(work: &str, concurrency: usize, env: &[(&str, &str)]) -> Rig {
        let dir = TempDir::new("wait-until");
        let (app, port) = start_example(&dir, work);
        let function = FunctionInfo {
            concurrency,
            ..FunctionInfo::default()
        };
        let emulator = Emulator::start(([127, 0, 0, 1], 0).into(), function).await.unwrap();
        let mut command = adapter_command(&emulator.runtime_api(), port, env);
        command.env("LWA_WS_CALLBACK_PORT", free_port().to_string());
        let adapter = Process::spawn(command, "adapter");
        tokio::time::timeout(Duration::from_secs(20), emulator.wait_polling())
            .await
            .unwrap_or_else(|_| panic!("the adapter never polled; its log:\n{}", adapter.output()));
        Rig {
            emulator,
            adapter,
            _app: app,
            _dir: dir,
        }
    }

    /// Invokes a Function URL request with an invocation timeout of `timeout`; returns the answer's
    /// document and when it came.
    async fn call(&self, method: &str, path: &str, body: &str, timeout: Duration) -> (Value, Instant) {
        let mut event = function_url(method, path, "");
        event["body"] = body.into();
        match self.emulator.invoke(bytes(&event), timeout).await {
            Ok(Outcome::Response(payload)) => (serde_json::from_slice(&payload).unwrap(), Instant::now()),
            Ok(outcome @ Outcome::Streaming(_)) => {
                // The prelude's status and the whole body, as a buffered document would carry them.
                let received = receive(outcome).await;
                let body = String::from_utf8(received.body()).unwrap();
                (
                    serde_json::json!({"statusCode": received.prelude["statusCode"], "body": body}),
                    Instant::now(),
                )
            }
            Ok(outcome) => panic!("{}; log:\n{}", describe(&outcome), self.adapter.output()),
            Err(error) => panic!("{error:?}; log:\n{}", self.adapter.output()),
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);

fn orders(doc: &Value) -> Vec<String> {
    let list: Value = serde_json::from_str(doc["body"].as_str().unwrap()).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|o| o["order"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_answer_goes_at_once_and_the_next_invocation_waits_for_the_release() {
    answer_at_once_next_after_release(&[]).await;
}

#[tokio::test]
async fn a_streamed_answer_goes_at_once_too() {
    answer_at_once_next_after_release(&STREAM).await;
}

async fn answer_at_once_next_after_release(env: &[(&str, &str)]) {
    let rig = Rig::start("1.5", 1, env).await;
    let started = Instant::now();
    let (doc, answered) = rig.call("POST", "/orders", "pizza", MINUTE).await;
    assert_eq!(doc["statusCode"], 202, "{doc}");
    let answer_took = answered - started;
    assert!(
        answer_took < Duration::from_millis(1000),
        "the answer waited for the work: {answer_took:?}"
    );
    // The next invocation runs only once the write is done: it sees the order, and came after the work.
    let (doc, listed) = rig.call("GET", "/orders", "", MINUTE).await;
    assert_eq!(orders(&doc), ["pizza"], "{doc}");
    assert!(
        listed - started >= Duration::from_millis(1400),
        "the next invocation ran before the release"
    );
}

#[tokio::test]
async fn a_hold_past_the_deadline_is_cut_with_a_warning_and_then_ends() {
    let rig = Rig::start("1", 1, &[]).await;
    let started = Instant::now();
    let (doc, answered) = rig.call("POST", "/hold-forever", "", Duration::from_secs(2)).await;
    assert_eq!(doc["statusCode"], 202, "{doc}");
    assert!(answered - started < Duration::from_millis(1500), "the answer waited for the hold");
    wait_for_output(&rig.adapter, "wait-until holds still open", Duration::from_secs(10)).await;
    let held: Value = serde_json::from_str(doc["body"].as_str().unwrap()).unwrap();
    let url = held["held"].as_str().unwrap().to_string();
    let request_id = url.split("/invocations/").nth(1).unwrap().split('/').next().unwrap();
    let log = rig.adapter.output();
    let warning = log.lines().find(|l| l.contains("wait-until holds still open")).unwrap();
    assert!(warning.contains(request_id), "the warning names the invocation: {warning}");
    // The next invocation is served, and the cut invocation is over: its URL answers 410.
    let (doc, _) = rig.call("GET", "/orders", "", MINUTE).await;
    assert_eq!(doc["statusCode"], 200);
    let (status, _, body) = common::ws::call("POST", &url, "").await;
    assert_eq!(status, 410, "{body}");
}

#[tokio::test]
async fn a_client_cannot_send_the_header_and_an_ended_invocation_takes_no_hold() {
    let rig = Rig::start("0.1", 1, &[]).await;
    let mut event = function_url("GET", "/echo", "");
    event["headers"]["x-lambda-wait-until"] = "http://127.0.0.2:1/forged".into();
    event["headers"]["x_lambda_wait_until"] = "http://127.0.0.2:1/forged".into();
    let Ok(Outcome::Response(payload)) = rig.emulator.invoke(bytes(&event), MINUTE).await else {
        panic!()
    };
    let doc: Value = serde_json::from_slice(&payload).unwrap();
    let seen: Value = serde_json::from_str(doc["body"].as_str().unwrap()).unwrap();
    let url = seen["x-lambda-wait-until"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/wait-until"), "{url}");
    assert!(!seen.to_string().contains("forged"), "{seen}");
    // Once the next invocation has run, that one is surely over: a hold on it is refused.
    rig.call("GET", "/orders", "", MINUTE).await;
    let (status, _, body) = common::ws::call("POST", url, "").await;
    assert_eq!(status, 410, "{body}");
}

#[tokio::test]
async fn under_managed_instances_only_the_held_invocation_waits() {
    let rig = Rig::start("3", 2, &[("AWS_LAMBDA_MAX_CONCURRENCY", "2")]).await;
    let (doc, _) = rig.call("POST", "/orders", "slow-write", MINUTE).await;
    assert_eq!(doc["statusCode"], 202);
    // One poller waits for the write; the other serves at once, before the write is done.
    let started = Instant::now();
    let (doc, listed) = rig.call("GET", "/orders", "", MINUTE).await;
    assert!(listed - started < Duration::from_millis(1500), "the other poller waited too");
    assert!(orders(&doc).is_empty(), "{doc}");
}

#[tokio::test]
async fn dev_answers_at_once_and_queues_the_next_request_behind_the_hold() {
    let dir = TempDir::new("wait-until-dev");
    let orders_file = dir.path("orders.jsonl");
    let env = [("ORDERS_FILE", orders_file.to_str().unwrap()), ("WORK_SECONDS", "1.5")];
    let app = ["python3", &repo_path("examples/wait-until/app.py")];
    let dev = Dev::start_app(&app, &[], &env).await;
    let started = Instant::now();
    let reply = dev.send("POST", "/orders", &[], b"soup".to_vec()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert!(started.elapsed() < Duration::from_millis(1000), "dev's answer waited for the work");
    let reply = dev.send("GET", "/orders", &[], Vec::new()).await;
    assert!(
        reply.text().contains("soup"),
        "the next request ran before the release: {}",
        reply.text()
    );
    assert!(started.elapsed() >= Duration::from_millis(1400));
}
