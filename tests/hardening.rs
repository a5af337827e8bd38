//! End to end, the findings of the second independent review (issue 19), each against the real binary:
//! hook paths spelled the way routers read them, owned headers spelled with `_`, a WebSocket event aiming
//! signed pushes elsewhere, a failing answer's unbounded body, secrets in the log, settings that silently
//! became defaults, response heads forwarded too faithfully, and pass-through events whose failure was
//! reported as a success. Every test here failed before the fixes.

mod common;

use bytes::Bytes;
use common::raw_app::{Raw, Rig};
use common::ws::{Harness, SESSION_TOKEN, message};
use common::*;
use lambda_adapter::dev::emulator::{Emulator, FunctionInfo, Outcome};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Finding 1: the hook refusal compared raw bytes, so `%62efore`, `//`, `%2F`, a trailing `/`, case and
/// `;x` reached an app whose router takes them to the hook.
#[tokio::test]
async fn no_spelling_of_a_snapstart_hook_reaches_the_app() {
    let rig = Rig::start(&[], &[("LWA_SNAPSTART_BEFORE_CHECKPOINT_PATH", "/snapstart/before")]).await;
    let spellings = [
        "/snapstart/before",
        "/snapstart/%62efore",
        "//snapstart/before",
        "/snapstart%2Fbefore",
        "/snapstart/before/",
        "/SNAPSTART/before",
        "/snapstart/before;x",
        "/snapstart/./before",
        "/a/../snapstart/before",
    ];
    for spelling in spellings {
        let doc = rig.document(&function_url("POST", spelling, "")).await;
        assert_eq!(doc["statusCode"], 403, "{spelling}: {doc}");
    }
    let reached: Vec<String> = rig
        .app
        .heads
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h.to_lowercase().contains("snapstart"))
        .cloned()
        .collect();
    assert!(reached.is_empty(), "hook spellings reached the app: {reached:?}");
    let doc = rig.document(&function_url("POST", "/snapstart/beforehand", "")).await;
    assert_eq!(doc["statusCode"], 200, "a path that only starts like the hook is the app's: {doc}");
}

/// Finding 2: `x_ws_callback` and friends reached the app, which a CGI-style server reads as the owned header.
#[tokio::test]
async fn owned_headers_spelled_with_underscores_never_reach_the_app() {
    let rig = Rig::start(&[], &[]).await;
    let forged = [
        "x_ws_callback",
        "x_ws_connection_id",
        "x_amzn_request_context",
        "X_Amzn_Trace_Id",
        "x-amz_tenant-id",
    ];
    let mut event = function_url("GET", "/who", "");
    for name in forged {
        event["headers"][name] = "forged".into();
    }
    let doc = rig.document(&event).await;
    assert_eq!(doc["statusCode"], 200, "{doc}");
    let head = rig.app.heads_for("/who").pop().unwrap();
    assert!(!head.contains("forged"), "a forged header reached the app:\n{head}");
    assert!(
        head.to_lowercase().contains("x-amzn-request-context:"),
        "the adapter's own context is there:\n{head}"
    );

    let h = Harness::start(&[]).await.ready().await;
    let mut event = message(json!({"action": "echo", "text": "hi"}));
    event["headers"]["x_ws_callback"] = "http://127.0.0.1:1/@connections/victim".into();
    event["multiValueHeaders"]["x_ws_callback"] = json!(["http://127.0.0.1:1/@connections/victim"]);
    assert_eq!(h.invoke(&event).await["statusCode"], 200);
    let seen = h.app.requests().pop().unwrap();
    assert!(seen.headers.get("x_ws_callback").is_none(), "{:?}", seen.headers);
}

/// Finding 3: an event's `apiId` chose the host that signed pushes (and the session token) were sent to.
#[tokio::test]
async fn a_websocket_event_cannot_aim_signed_pushes_at_another_host() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    // No LWA_WS_ENDPOINT: pushes go to the event's own API.
    let h = Harness::start(&[("LWA_WS_ENDPOINT", "")]).await.ready().await;
    for (field, forged) in [("apiId", format!("127.0.0.1:{port}/")), ("stage", format!("x@127.0.0.1:{port}"))] {
        let mut event = message(json!({"action": "push"}));
        event["requestContext"][field] = forged.clone().into();
        let Outcome::Error(report) = h.invoke_outcome(&event).await else {
            panic!("{field} {forged:?} was accepted; log:\n{}", h.adapter_log());
        };
        assert_eq!(report.error_type, "LambdaAdapter.InvalidEvent", "{}", report.message());
        assert!(
            report.message().contains(&format!("requestContext.{field}")),
            "{}",
            report.message()
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a push went to the forged host; log:\n{}",
        h.adapter_log()
    );
    // The next, valid event is served.
    let doc = h.invoke(&message(json!({"action": "echo", "text": "after"}))).await;
    assert_eq!(doc["statusCode"], 200);
}

/// Finding 4: `ERROR_STATUS_CODES` read a failing answer's body unbounded for 100 ms (100 MB of RSS).
#[tokio::test]
async fn a_listed_status_reads_a_few_kib_of_a_huge_body() {
    let rig = Rig::start(&[("/huge-error", Raw::EndlessError)], &[("LWA_ERROR_STATUS_CODES", "500")]).await;
    let report = rig.fails(&function_url("GET", "/huge-error", "")).await;
    assert_eq!(report.error_type, "LambdaAdapter.AppErrorStatus");
    assert!(
        report.message().starts_with("the app answered GET /huge-error with status 500"),
        "{}",
        report.message()
    );
    let peak_mib = rig.adapter.peak_rss_kib() / 1024;
    assert!(peak_mib < 40, "the adapter peaked at {peak_mib} MiB reading a failing body");
    assert_eq!(rig.document(&function_url("GET", "/next", "")).await["statusCode"], 200);
}

/// Finding 5: at TRACE, aws-sigv4 logged the canonical request with the session token; an invalid header
/// value was echoed into the log and the Lambda error.
#[tokio::test]
async fn no_secret_reaches_the_log_or_an_error() {
    let h = Harness::start(&[("LWA_LOG", "trace")]).await.ready().await;
    let doc = h.invoke(&message(json!({"action": "push"}))).await;
    assert_eq!(doc["body"], "pushed:200", "{}", h.adapter_log());
    let mut event = message(json!({"action": "echo", "text": "hi"}));
    event["headers"]["Authorization"] = "Bearer SUPERSECRET\u{1}".into();
    event["multiValueHeaders"]["Authorization"] = json!(["Bearer SUPERSECRET\u{1}"]);
    let Outcome::Error(report) = h.invoke_outcome(&event).await else {
        panic!("an invalid header was accepted")
    };
    assert_eq!(report.error_type, "LambdaAdapter.InvalidEvent");
    assert!(
        report.message().to_lowercase().contains("`authorization`"),
        "the header is named: {}",
        report.message()
    );
    let log = h.adapter_log();
    for secret in [SESSION_TOKEN, "SUPERSECRET"] {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
        assert!(!report.message().contains(secret), "{secret} is in the error");
    }
    assert!(
        !log.contains("canonical_request"),
        "the signature's canonical request is in the log:\n{log}"
    );
}

/// Finding 7: a value that is not UTF-8 counted as unset, an out-of-range port in a URL was dropped, and
/// an invalid log filter fell back to `info`, each without a word.
#[tokio::test]
async fn settings_never_silently_become_defaults() {
    use std::os::unix::ffi::OsStrExt;
    let emulator = Emulator::start(([127, 0, 0, 1], 0).into(), FunctionInfo::default()).await.unwrap();
    let mut command = adapter_command(&emulator.runtime_api(), free_port(), &[]);
    command.env("LWA_PORT", std::ffi::OsStr::from_bytes(b"\xff\xfe"));
    let mut adapter = Process::spawn(command, "adapter");
    let report = tokio::time::timeout(Duration::from_secs(10), emulator.wait_init_error())
        .await
        .unwrap_or_else(|_| panic!("no init error; log:\n{}", adapter.output()));
    assert_eq!(report.error_type, "LambdaAdapter.InvalidConfig");
    assert!(
        report.message().contains("LWA_PORT") && report.message().contains("not UTF-8"),
        "{}",
        report.message()
    );
    assert!(!adapter.wait_exit(Duration::from_secs(5)).expect("it exits").success());

    assert_invalid_setting("LWA_WS_ENDPOINT", "https://127.0.0.1:99999/stage", "99999").await;
    assert_invalid_setting("LWA_LOG", "debug,lambda_adapter=loud", "log filter").await;
}

/// Finding 8, the response head: a length beside chunked framing, headers that `Connection` names, statuses
/// HTTP has not got, an unrequested 101, and Latin-1 bytes.
#[tokio::test]
async fn response_heads_are_forwarded_as_a_careful_proxy_would() {
    let rig = Rig::start(
        &[
            (
                "/both-framings",
                Raw::Bytes(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
            ),
            (
                "/nominated",
                Raw::Bytes(b"HTTP/1.1 200 OK\r\nconnection: close, X-Secret\r\nx-secret: internal\r\ncontent-length: 2\r\n\r\nok"),
            ),
            ("/status-600", Raw::Bytes(b"HTTP/1.1 600 Weird\r\ncontent-length: 0\r\n\r\n")),
            ("/status-999", Raw::Bytes(b"HTTP/1.1 999 Weird\r\ncontent-length: 0\r\n\r\n")),
            (
                "/switch",
                Raw::Bytes(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n"),
            ),
            (
                "/latin1",
                Raw::Bytes(
                    b"HTTP/1.1 200 OK\r\ncontent-disposition: attachment; filename=\"r\xe9sum\xe9.pdf\"\r\ncontent-length: 2\r\n\r\nok",
                ),
            ),
        ],
        &[],
    )
    .await;
    let doc = rig.document(&function_url("GET", "/both-framings", "")).await;
    assert_eq!(doc["body"], "hello", "{doc}");
    assert!(
        doc["headers"].get("content-length").is_none(),
        "the conflicting length was kept: {doc}"
    );

    let doc = rig.document(&function_url("GET", "/nominated", "")).await;
    assert!(
        doc["headers"].get("x-secret").is_none(),
        "a header named by Connection was forwarded: {doc}"
    );

    for (path, status) in [("/status-600", "600"), ("/status-999", "999"), ("/switch", "101")] {
        let report = rig.fails(&function_url("GET", path, "")).await;
        assert_eq!(report.error_type, "LambdaAdapter.InvalidResponse", "{path}: {}", report.message());
        assert!(report.message().contains(&format!("status {status}")), "{}", report.message());
    }

    let doc = rig.document(&function_url("GET", "/latin1", "")).await;
    assert_eq!(
        doc["headers"]["content-disposition"], "attachment; filename=\"résumé.pdf\"",
        "{doc}"
    );

    // The request way: what the client's `Connection` names stays with the client.
    let mut event = function_url("GET", "/echo-head", "");
    event["headers"]["connection"] = "x-hop".into();
    event["headers"]["x-hop"] = "for-the-proxy".into();
    rig.document(&event).await;
    let head = rig.app.heads_for("/echo-head").pop().unwrap();
    assert!(!head.contains("for-the-proxy"), "{head}");
}

/// Finding 8, the event: `CONNECT` was sent as `CONNECT 127.0.0.1:PORT` with the path dropped.
#[tokio::test]
async fn a_connect_event_is_an_invalid_event() {
    let rig = Rig::start(&[], &[]).await;
    let mut event = function_url("CONNECT", "/tunnel", "");
    event["requestContext"]["http"]["method"] = "CONNECT".into();
    let report = rig.fails(&event).await;
    assert_eq!(report.error_type, "LambdaAdapter.InvalidEvent", "{}", report.message());
    assert!(report.message().contains("CONNECT"), "{}", report.message());
    let mut rest = rest_api("CONNECT", "/tunnel", &[]);
    rest["httpMethod"] = "CONNECT".into();
    assert_eq!(rig.fails(&rest).await.error_type, "LambdaAdapter.InvalidEvent");
    assert!(rig.app.heads.lock().unwrap().iter().all(|h| !h.starts_with("CONNECT")));
}

/// Finding 9: an SQS message the app answered 500 was posted as a success, so SQS deleted it.
#[tokio::test]
async fn a_non_http_event_the_app_fails_fails_the_invocation() {
    let routes = [(
        "/events",
        Raw::Bytes(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 16\r\n\r\ndatabase is down"),
    )];
    let sqs = fixture("example-sqs-event.json");
    let rig = Rig::start(&routes, &[]).await;
    let report = rig.fails(&sqs).await;
    assert_eq!(report.error_type, "LambdaAdapter.AppErrorStatus");
    assert!(
        report.message().contains("status 500") && report.message().contains("database is down"),
        "{}",
        report.message()
    );
    // The next invocation is served, and a 2xx answer is still the result.
    let rig_ok = Rig::start(&[], &[("LWA_PASS_THROUGH_PATH", "/fine")]).await;
    assert!(matches!(rig_ok.invoke(&sqs).await, Outcome::Response(_)));
    // The reference adapter's behaviour, for those who depend on it.
    let reference = Rig::start(&routes, &[("LWA_PASS_THROUGH_ANY_STATUS", "true")]).await;
    let Outcome::Response(payload) = reference.invoke(&sqs).await else {
        panic!("expected a response")
    };
    assert_eq!(payload, Bytes::from_static(b"database is down"));
}
