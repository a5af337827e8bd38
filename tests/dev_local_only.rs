//! Who can call `lambda-adapter dev`'s own APIs, end to end with the real binary: its Runtime API and
//! `@connections` API answer only loopback `Host` names without an `Origin`, so a web page using DNS
//! rebinding cannot take an invocation, nor answer one.

mod common;

use common::dev::*;
use common::free_port;
use std::time::Duration;

/// A page that rebinds its own name to 127.0.0.1 reaches the Runtime API with its name in `Host` (and no
/// `Origin`: to the browser it is a same-origin request). It must get nothing: not the invocation waiting in
/// the queue, with the visitor's cookie in it, nor the chance to answer it.
#[tokio::test]
async fn a_rebinding_page_cannot_take_an_invocation_from_the_runtime_api() {
    let dev = Dev::start(&[], &[]).await;
    let runtime = dev.runtime_api_port();
    let next = "/2018-06-01/runtime/invocation/next";
    // The adapter is busy with a slow request, so the page's `next` would be first in line for the next one.
    let (slow, page, victim) = tokio::join!(
        dev.send("GET", "/slow?ms=1500", &[], vec![]),
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            raw_get(runtime, next, &format!("rebound.example:{runtime}"), "").await
        },
        async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            let victim = dev.send("GET", "/echo/account", &[("cookie", "session=victim-secret")], vec![]);
            tokio::time::timeout(Duration::from_secs(15), victim).await
        }
    );
    assert_eq!(slow.status, 200, "{}", dev.output());
    let (status, answer) = page;
    assert_eq!(status, 421, "the page was answered:\n{answer}");
    assert!(!answer.contains("victim-secret"), "{answer}");
    assert!(answer.contains("only Host 127.0.0.1, localhost or [::1]"), "{answer}");
    let victim = victim.unwrap_or_else(|_| panic!("the victim's request hung: its invocation was taken\n{}", dev.output()));
    assert_eq!(victim.status, 200, "{}", dev.output());
    assert!(
        victim.text().contains("victim-secret"),
        "the app did not see its own request: {}",
        victim.text()
    );

    // Misdirected: another name, another port, no port, no Host. Forbidden: any Origin.
    for host in [
        format!("evil.example:{runtime}"),
        format!("127.0.0.1:{}", free_port()),
        "localhost".to_string(),
    ] {
        assert_eq!(raw_get(runtime, "/nothing", &host, "").await.0, 421, "Host {host}");
    }
    let no_host = "GET /nothing HTTP/1.1\r\nConnection: close\r\n\r\n";
    assert_eq!(raw(runtime, no_host).await.0, 421);
    let page_origin = format!("Origin: http://127.0.0.1:{}\r\n", dev.port);
    let (status, answer) = raw_get(runtime, next, &format!("127.0.0.1:{runtime}"), &page_origin).await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("requests from web pages"), "{answer}");
    // Every loopback name the adapter, an SDK or curl may use still reaches it (404: no such route).
    for host in [
        format!("127.0.0.1:{runtime}"),
        format!("localhost:{runtime}"),
        format!("[::1]:{runtime}"),
    ] {
        assert_eq!(raw_get(runtime, "/nothing", &host, "").await.0, 404, "Host {host}");
    }
    // Refusals are logged without the values the client sent.
    let output = dev.output();
    assert!(output.contains("Runtime API: a GET request was refused with 421"), "{output}");
    assert!(!output.contains("rebound.example") && !output.contains("evil.example"), "{output}");
    // The adapter, which names 127.0.0.1, was never refused.
    assert_eq!(dev.send("GET", "/health", &[], vec![]).await.status, 200);
}

#[tokio::test]
async fn the_connections_api_answers_only_loopback_hosts_without_an_origin() {
    let dev = Dev::start(&[], &[]).await;
    let port = dev.management_port();
    let target = "/dev/@connections/abc";
    let (status, answer) = raw_get(port, target, &format!("rebound.example:{port}"), "").await;
    assert_eq!(status, 421, "{answer}");
    let origin = "Origin: http://rebound.example\r\n";
    let (status, answer) = raw_get(port, target, &format!("127.0.0.1:{port}"), origin).await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("requests from web pages"), "{answer}");
    // From loopback without an Origin, the call reaches the API, which wants a signature as API Gateway does.
    let (status, answer) = raw_get(port, target, &format!("localhost:{port}"), "").await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("MissingAuthenticationTokenException"), "{answer}");
}
