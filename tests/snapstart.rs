//! SnapStart end to end: the real adapter with `AWS_LAMBDA_INITIALIZATION_TYPE=snap-start` against the
//! embedded Runtime API (which answers `restore/next` as a restore would), an app that records every
//! request with the connection it came on, and `lambda-adapter dev --snapstart` with the echo app.

mod common;

use common::dev::Dev;
use common::*;
use lambda_adapter::dev::emulator::{Emulator, Outcome};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `(connection number, method and path)` of every request the app got, in order.
type Seen = Arc<Mutex<Vec<(usize, String)>>>;

/// An app that answers every request with 200 `ok`, keeping connections alive, except `fail_path`
/// (answered 500); it records what it got on which connection.
async fn recording_app(fail_path: &'static str) -> (u16, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let record = seen.clone();
    tokio::spawn(async move {
        let mut connections = 0;
        while let Ok((mut stream, _)) = listener.accept().await {
            connections += 1;
            let (connection, record) = (connections, record.clone());
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 65536];
                while let Ok(n) = stream.read(&mut buffer).await {
                    if n == 0 {
                        return;
                    }
                    let text = String::from_utf8_lossy(&buffer[..n]).to_string();
                    let line: Vec<&str> = text.lines().next().unwrap_or("").split(' ').take(2).collect();
                    let line = line.join(" ");
                    let status = if line.ends_with(fail_path) {
                        "500 Internal Server Error"
                    } else {
                        "200 OK"
                    };
                    record.lock().unwrap().push((connection, line));
                    let answer = format!("HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok");
                    if stream.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, seen)
}

const HOOKS: [(&str, &str); 3] = [
    ("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start"),
    ("LWA_SNAPSTART_BEFORE_CHECKPOINT_PATH", "/hooks/before"),
    ("AWS_LWA_SNAPSTART_AFTER_RESTORE_PATH", "/hooks/after"),
];

#[tokio::test]
async fn both_hooks_run_in_order_and_no_connection_from_before_the_snapshot_is_reused() {
    let (port, seen) = recording_app("/never").await;
    let emulator = Emulator::start(([127, 0, 0, 1], 0).into(), Default::default()).await.unwrap();
    let adapter = Process::spawn(adapter_command(&emulator.runtime_api(), port, &HOOKS), "adapter");
    tokio::time::timeout(Duration::from_secs(20), emulator.wait_polling())
        .await
        .unwrap_or_else(|_| panic!("{}", adapter.output()));
    assert_eq!(emulator.restores(), 1, "the adapter waited on restore/next once");
    let before: Vec<(usize, String)> = seen.lock().unwrap().clone();
    let paths: Vec<&str> = before
        .iter()
        .map(|(_, line)| line.as_str())
        .filter(|l| l.starts_with("POST"))
        .collect();
    assert_eq!(paths, ["POST /hooks/before", "POST /hooks/after"], "{before:?}");
    let checkpoint_at = before.iter().position(|(_, l)| l == "POST /hooks/before").unwrap();
    let restore_at = before.iter().position(|(_, l)| l == "POST /hooks/after").unwrap();
    assert!(
        before[checkpoint_at + 1..restore_at].iter().any(|(_, l)| l == "GET /"),
        "readiness is checked again after the restore: {before:?}"
    );
    let log = adapter.output();
    let snapshot = log.find("waiting for the restore").unwrap();
    assert!(
        log.find("POST /hooks/before").unwrap() < snapshot && snapshot < log.find("POST /hooks/after").unwrap(),
        "{log}"
    );

    let outcome = emulator
        .invoke(bytes(&function_url("GET", "/work", "")), Duration::from_secs(10))
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Response(_)), "{}", describe(&outcome));
    let after = seen.lock().unwrap().clone();
    let (connection, _) = after.iter().find(|(_, l)| l == "GET /work").unwrap();
    let from_before_restore: Vec<usize> = before[..restore_at].iter().map(|(c, _)| *c).collect();
    assert!(
        !from_before_restore.contains(connection),
        "GET /work reused a connection from before the snapshot"
    );

    // A client asking for a hook gets 403; the app never sees it.
    for path in ["/hooks/before", "/hooks/after"] {
        let outcome = emulator
            .invoke(bytes(&function_url("POST", path, "")), Duration::from_secs(10))
            .await
            .unwrap();
        let Outcome::Response(payload) = outcome else {
            panic!("{}", describe(&outcome))
        };
        let doc: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(doc["statusCode"], 403, "{path}: {doc}");
    }
    let hooks_called = seen.lock().unwrap().iter().filter(|(_, l)| l.contains("/hooks/")).count();
    assert_eq!(hooks_called, 2, "each hook reached the app once, from the adapter");
}

#[tokio::test]
async fn a_failing_restore_hook_is_a_restore_error_and_the_adapter_exits() {
    let (port, _) = recording_app("/hooks/after").await;
    let emulator = Emulator::start(([127, 0, 0, 1], 0).into(), Default::default()).await.unwrap();
    let mut adapter = Process::spawn(adapter_command(&emulator.runtime_api(), port, &HOOKS), "adapter");
    let report = tokio::time::timeout(Duration::from_secs(10), emulator.wait_init_error())
        .await
        .unwrap_or_else(|_| panic!("no restore error; log:\n{}", adapter.output()));
    assert_eq!(report.error_type, "LambdaAdapter.SnapStartHookFailed");
    assert!(
        report.message().contains("/hooks/after") && report.message().contains("500"),
        "{}",
        report.message()
    );
    let status = adapter.wait_exit(Duration::from_secs(5)).expect("the adapter exits");
    assert!(!status.success());
}

#[tokio::test]
async fn dev_snapstart_runs_the_lifecycle_locally() {
    let env = [
        ("LWA_SNAPSTART_BEFORE_CHECKPOINT_PATH", "/echo/before"),
        ("LWA_SNAPSTART_AFTER_RESTORE_PATH", "/echo/after"),
    ];
    let dev = Dev::start(&["--snapstart"], &env).await;
    let log = dev.output();
    let order = [
        "SnapStart hook POST /echo/before → 200",
        "snapshot taken; restoring",
        "SnapStart: restored",
        "SnapStart hook POST /echo/after → 200",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|line| log.find(line).unwrap_or_else(|| panic!("`{line}` missing:\n{log}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "out of order:\n{log}");
    assert_eq!(dev.send("GET", "/echo/work", &[], vec![]).await.status, 200);
    assert_eq!(dev.send("POST", "/echo/before", &[], vec![]).await.status, 403);
}
