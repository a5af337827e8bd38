//! `lambda-adapter dev` against an emulator nobody here wrote: the same requests through dev's front door and
//! through cargo-lambda's Function URL (`cargo lambda watch`, each with the echo example and the real adapter
//! behind it) must get the same answers, in both invoke modes.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::dev::{BINARY, Dev, Reply, send};
use serde_json::Value;

/// What of an answer's body must agree.
#[derive(Clone, Copy, Debug)]
enum Compare {
    /// `/echo`: what the app received of the client's request (method, path, query, body, and the headers the
    /// client sent: `cookie`, `content-type`, `x-test`).
    Echoed,
    /// Server-sent events, without their timestamps.
    Events,
    /// Every byte.
    Exact,
}

/// A request whose answer must not depend on which emulator runs the adapter.
struct Sent {
    method: &'static str,
    target: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: Vec<u8>,
    compare: Compare,
}

fn sent(method: &'static str, target: &'static str, headers: &[(&'static str, &'static str)], body: &[u8], compare: Compare) -> Sent {
    Sent {
        method,
        target,
        headers: headers.to_vec(),
        body: body.to_vec(),
        compare,
    }
}

fn differential_requests() -> Vec<Sent> {
    use Compare::*;
    let binary: Vec<u8> = (0..65536u32).map(|i| (i * 7 % 256) as u8).collect();
    let echo_headers = [
        ("cookie", "a=1; b=2"),
        ("content-type", "application/octet-stream"),
        ("x-test", "yes"),
    ];
    let json = [("content-type", "application/json")];
    vec![
        sent(
            "POST",
            "/echo/a%20b/caf%C3%A9?tag=x&tag=y%26z&q=a%20b",
            &echo_headers,
            BINARY,
            Echoed,
        ),
        sent("PUT", "/echo/json", &json, br#"{"a":[1,2]}"#, Echoed),
        sent("GET", "/cookies?n=3", &[], b"", Exact),
        sent("GET", "/headers", &[], b"", Exact),
        sent("GET", "/status/418", &[], b"", Exact),
        sent("GET", "/status/204", &[], b"", Exact),
        sent("GET", "/nowhere", &[], b"", Exact),
        sent("GET", "/bytes?size=100000", &[], b"", Exact),
        sent("GET", "/large-text?size=200000", &[], b"", Exact),
        sent(
            "POST",
            "/binary-echo",
            &[("content-type", "application/octet-stream")],
            &binary,
            Exact,
        ),
        sent("GET", "/sse?n=3&interval_ms=20", &[], b"", Events),
    ]
}

/// What must agree: status, the headers the app chose, and the body as `compare` says.
fn comparable(compare: Compare, reply: &Reply) -> Value {
    let headers: serde_json::Map<String, Value> = ["content-type", "set-cookie", "x-multi", "cache-control"]
        .iter()
        .map(|name| (name.to_string(), Value::from(reply.all(name))))
        .collect();
    let body = match compare {
        Compare::Echoed => {
            let mut seen: Value = serde_json::from_slice(&reply.body).unwrap();
            let received = &seen["headers"];
            let kept =
                serde_json::json!({"cookie": received["cookie"], "content-type": received["content-type"], "x-test": received["x-test"]});
            seen["headers"] = kept;
            seen
        }
        Compare::Events => {
            let text = reply.text();
            Value::from(
                text.lines()
                    .map(|line| line.split(",\"sent_us\"").next().unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        }
        Compare::Exact => Value::from(BASE64.encode(&reply.body)),
    };
    serde_json::json!({"status": reply.status, "headers": headers, "body": body})
}

/// An invoke mode, and how the two disagree in it on purpose.
struct Mode {
    invoke_mode: &'static str,
    /// A response body failing midway (`/die?after=10`): the statuses of dev and of cargo-lambda, where they
    /// are known. Buffered, AWS answers 502 with a generic body (the error stays in the log), cargo-lambda 500
    /// with the function's error document. Streaming, dev cuts the stream and cargo-lambda leaves it open until
    /// the client gives up: nothing to compare.
    failing_body: Option<(u16, u16)>,
}

const BUFFERED: Mode = Mode {
    invoke_mode: "buffered",
    failing_body: Some((502, 500)),
};

const STREAMING: Mode = Mode {
    invoke_mode: "response_stream",
    failing_body: None,
};

async fn differential(mode: &Mode) {
    let invoke_mode = mode.invoke_mode;
    let theirs = common::cargo_lambda::start(&[("LWA_INVOKE_MODE", invoke_mode)]);
    let url = |target: &str| format!("/lambda-url/_{target}");
    let ours = Dev::start(&[], &[("LWA_INVOKE_MODE", invoke_mode)]).await;
    for Sent {
        method,
        target,
        headers,
        body,
        compare,
    } in differential_requests()
    {
        let expected = comparable(compare, &send(theirs.port, method, &url(target), &headers, body.clone()).await);
        let actual = comparable(compare, &ours.send(method, target, &headers, body).await);
        assert_eq!(
            actual, expected,
            "{invoke_mode}: {method} {target}: dev (left) and cargo-lambda (right) disagree"
        );
    }
    if let Some((dev_status, cargo_lambda_status)) = mode.failing_body {
        let failed = ours.send("GET", "/die?after=10", &[], vec![]).await;
        assert_eq!(failed.status, dev_status);
        assert!(!failed.text().contains("AppBodyError"), "the error's details leaked to the client");
        let theirs = send(theirs.port, "GET", &url("/die?after=10"), &[], vec![]).await;
        assert_eq!(theirs.status, cargo_lambda_status);
    }
}

#[tokio::test]
async fn same_answers_as_cargo_lambda_buffered() {
    differential(&BUFFERED).await;
}

#[tokio::test]
async fn same_answers_as_cargo_lambda_streaming() {
    differential(&STREAMING).await;
}
