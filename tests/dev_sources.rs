//! `lambda-adapter dev` per event source: the same requests through every `--event`, each source's limits,
//! and request framing the app relies on, with the echo example app behind the real binary.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::dev::*;
use serde_json::Value;

/// What one event source makes of the same request and responses: the data [`round_trip`] checks against.
struct Source {
    /// dev's `--event`.
    event: &'static str,
    /// The query string the app receives for `?tag=x&tag=y%26z&q=a%20b`.
    query: &'static str,
    /// The `Set-Cookie` values the client gets for the app's three cookies.
    cookies: &'static [&'static str],
    /// The `x-multi` values the client gets for the app's two `x-multi` lines.
    x_multi: &'static [&'static str],
}

const QUERY: &str = "tag=x&tag=y%26z&q=a%20b";
/// A single-value ALB target group keeps the last value of a repeated query key (ALB docs).
const QUERY_LAST_VALUE: &str = "tag=y%26z&q=a%20b";
const THREE_COOKIES: &[&str] = &["c1=1; Path=/", "c2=2; Path=/", "c3=3; Path=/; HttpOnly"];
/// One value per header (ALB single-value, Lattice): the last `Set-Cookie`.
const LAST_COOKIE: &[&str] = &["c3=3; Path=/; HttpOnly"];
/// Multi-value headers (REST API, ALB multi-value) keep each line.
const EACH_LINE: &[&str] = &["a", "b"];
/// Single-value headers join repeated lines with commas.
const JOINED: &[&str] = &["a,b"];

const FUNCTION_URL: Source = Source {
    event: "function-url",
    query: QUERY,
    cookies: THREE_COOKIES,
    x_multi: JOINED,
};
const APIGW_HTTP: Source = Source {
    event: "apigw-http",
    query: QUERY,
    cookies: THREE_COOKIES,
    x_multi: JOINED,
};
const APIGW_REST: Source = Source {
    event: "apigw-rest",
    query: QUERY,
    cookies: THREE_COOKIES,
    x_multi: EACH_LINE,
};
const ALB: Source = Source {
    event: "alb",
    query: QUERY_LAST_VALUE,
    cookies: LAST_COOKIE,
    x_multi: JOINED,
};
const ALB_MULTI: Source = Source {
    event: "alb-multi",
    query: QUERY,
    cookies: THREE_COOKIES,
    x_multi: EACH_LINE,
};
const VPC_LATTICE: Source = Source {
    event: "vpc-lattice",
    query: QUERY,
    cookies: LAST_COOKIE,
    x_multi: JOINED,
};

/// The same request through an event source: what the app receives and what the client gets back.
async fn round_trip(source: &Source) {
    let event = source.event;
    let dev = Dev::start(&["--event", event], &[]).await;
    let echo = dev
        .send(
            "POST",
            &format!("/echo/a%20b/caf%C3%A9?{QUERY}"),
            &[
                ("cookie", "a=1; b=2"),
                ("content-type", "application/octet-stream"),
                ("x-test", "yes"),
            ],
            BINARY.to_vec(),
        )
        .await;
    assert_eq!(echo.status, 200, "{event}: {}", echo.text());
    let seen: Value = serde_json::from_slice(&echo.body).unwrap();
    assert_eq!(seen["method"], "POST", "{event}");
    assert_eq!(seen["path"], "/echo/a%20b/caf%C3%A9", "{event}");
    assert_eq!(seen["query"], source.query, "{event}");
    assert_eq!(seen["headers"]["cookie"][0], "a=1; b=2", "{event}");
    assert_eq!(seen["headers"]["x-test"][0], "yes", "{event}");
    assert_eq!(BASE64.decode(seen["body_base64"].as_str().unwrap()).unwrap(), BINARY, "{event}");

    let cookies = dev.send("GET", "/cookies?n=3", &[], vec![]).await;
    assert_eq!(cookies.all("set-cookie"), source.cookies, "{event}");

    let headers = dev.send("GET", "/headers", &[], vec![]).await;
    assert_eq!(headers.all("x-multi"), source.x_multi, "{event}");
    assert_eq!(headers.all("cache-control"), ["no-store"], "{event}");

    let status = dev.send("GET", "/status/418", &[], vec![]).await;
    assert_eq!((status.status, status.text().as_str()), (418, "status 418"), "{event}");

    let bytes = dev.send("GET", "/bytes?size=300000", &[], vec![]).await;
    assert_eq!(bytes.body.len(), 300_000, "{event}");
    assert_eq!(bytes.all("content-type"), ["application/octet-stream"], "{event}");
}

#[tokio::test]
async fn function_url_round_trip() {
    round_trip(&FUNCTION_URL).await;
}

#[tokio::test]
async fn apigw_http_round_trip() {
    round_trip(&APIGW_HTTP).await;
}

#[tokio::test]
async fn apigw_rest_round_trip() {
    round_trip(&APIGW_REST).await;
}

#[tokio::test]
async fn alb_round_trip() {
    round_trip(&ALB).await;
}

#[tokio::test]
async fn alb_multi_value_round_trip() {
    round_trip(&ALB_MULTI).await;
}

#[tokio::test]
async fn vpc_lattice_round_trip() {
    round_trip(&VPC_LATTICE).await;
}

#[tokio::test]
async fn alb_limits_requests_and_responses_to_1_mb() {
    const MB: usize = 1024 * 1024;
    let dev = Dev::start(&["--event", "alb-multi"], &[]).await;
    let response = dev
        .send("POST", "/echo", &[("content-type", "text/plain")], vec![b'a'; MB + 1])
        .await;
    assert_eq!(response.status, 413, "ALB refuses a request body over 1 MB for a Lambda target");
    let response = dev.send("GET", "/large-text?size=1100000", &[], vec![]).await;
    assert_eq!(response.status, 502, "ALB answers 502 when the function's response is over 1 MB");
    assert!(
        dev.output().contains("over the 1048576-byte limit of ALB responses"),
        "{}",
        dev.output()
    );
    let response = dev.send("GET", "/large-text?size=900000", &[], vec![]).await;
    assert_eq!((response.status, response.body.len()), (200, 900_000));

    let dev = Dev::start(&["--event", "function-url"], &[]).await;
    let response = dev.send("GET", "/large-text?size=2000000", &[], vec![]).await;
    assert_eq!(
        (response.status, response.body.len()),
        (200, 2_000_000),
        "a Function URL takes up to 6 MB"
    );
}

#[tokio::test]
async fn an_empty_post_says_content_length_0_and_a_get_says_nothing() {
    for event in ["function-url", "apigw-rest", "alb"] {
        let dev = Dev::start(&["--event", event], &[]).await;
        for method in ["POST", "PUT", "PATCH"] {
            let echo = dev.send(method, "/echo", &[], vec![]).await;
            let seen: Value = serde_json::from_slice(&echo.body).unwrap();
            assert_eq!(seen["headers"]["content-length"][0], "0", "{event} {method}: {seen}");
        }
        for method in ["GET", "DELETE"] {
            let echo = dev.send(method, "/echo", &[], vec![]).await;
            let seen: Value = serde_json::from_slice(&echo.body).unwrap();
            assert!(seen["headers"].get("content-length").is_none(), "{event} {method}: {seen}");
        }
    }
}
