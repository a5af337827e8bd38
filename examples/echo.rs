//! The echo app: the HTTP app the adapter's end-to-end tests put behind it.
//!
//! Every route exists to make one behaviour of the adapter observable from the client side: `/echo` shows
//! exactly what the app received (raw path and query, every header value in order, the body bytes), the
//! others produce what the adapter must carry back (status codes, several `Set-Cookie` and repeated headers,
//! large chunked or sized bodies, events spread in time, a body that fails halfway, a slow answer).
//!
//! Run it with `PORT=8080 cargo run --example echo`; the routes are listed in [`handle`].

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use common::pattern::{ALPHABET, PATTERN, cyclic_body, cyclic_chunk};
use common::{
    BadRequest, BoxError, Handled, Query, Response, empty, full, method_not_allowed, not_found, now_us, streamed, text, with_type,
};
use futures::StreamExt;
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_LENGTH, HeaderValue, SET_COOKIE};
use hyper::{Method, Request, StatusCode};
use serde_json::{Map, Value, json};
use std::time::Duration;

const OCTET_STREAM: &str = "application/octet-stream";
/// Caps on sizes that are held in memory at once (one frame, one `/die` prefix), so no query can exhaust it.
const MAX_CHUNK: usize = 16 << 20;
const MAX_DIE_PREFIX: usize = 64 << 20;

fn main() {
    common::run("echo app", handle);
}

/// Routes (anything else is a 404 `not found`):
///
/// | route | answer |
/// |---|---|
/// | `GET /health` | 200 `ok` |
/// | `GET /` | 200 `lambda-adapter echo app` |
/// | any method, `/echo…` | 200 JSON: method, raw path, raw query, headers, body |
/// | `/status/{code}` | that status, `status {code}` (no body for 204, 304, HEAD) |
/// | `/cookies?n=3` | n `Set-Cookie` headers, `c3` with `HttpOnly` |
/// | `/headers` | two `x-multi` lines and `cache-control: no-store` |
/// | `/bytes?size=1024&chunk=65536&length=0` | the binary pattern, streamed |
/// | `POST /binary-echo` | the request body, streamed back |
/// | `/sse?n=5&interval_ms=100` | n server-sent events, one frame each |
/// | `/die?after=1024` | that many pattern bytes, then the body fails |
/// | `/slow?ms=1000` | `slow` after that many milliseconds |
/// | `POST /events` | `{"passthrough": true, "event": <body as JSON or null>}` |
/// | `/large-text?size=1048576` | `a`..`z` repeating, streamed in 64 KiB frames |
async fn handle(request: Request<Incoming>) -> Response {
    let path = request.uri().path().to_string();
    let result = match path.as_str() {
        "/health" => Ok(text(StatusCode::OK, "ok")),
        "/" => Ok(text(StatusCode::OK, "lambda-adapter echo app")),
        "/cookies" => cookies(&request),
        "/headers" => Ok(headers()),
        "/bytes" => bytes(&request),
        "/binary-echo" => Ok(binary_echo(request)),
        "/sse" => sse(&request),
        "/die" => die(&request),
        "/slow" => slow(&request).await,
        "/events" => Ok(events(request).await),
        "/large-text" => large_text(&request),
        _ if path.starts_with("/echo") => Ok(echo(request).await),
        _ => match path.strip_prefix("/status/") {
            Some(code) => status(&request, code),
            None => Ok(not_found()),
        },
    };
    result.unwrap_or_else(BadRequest::into_response)
}

/// What the app received, as exactly as hyper lets us see it: the path and query come straight from the
/// request line, and every value of every header is listed, in the order it arrived.
async fn echo(request: Request<Incoming>) -> Response {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => return BadRequest(format!("cannot read the request body: {error}")).into_response(),
    };
    let mut headers = Map::new();
    for name in parts.headers.keys() {
        let values = parts
            .headers
            .get_all(name)
            .iter()
            .map(|value| Value::from(String::from_utf8_lossy(value.as_bytes())))
            .collect();
        headers.insert(name.as_str().to_string(), Value::Array(values));
    }
    let document = json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers,
        "body_base64": BASE64.encode(&body),
        "body_len": body.len(),
    });
    with_type(StatusCode::OK, "application/json", full(document.to_string()))
}

fn status(request: &Request<Incoming>, code: &str) -> Handled {
    let status = code
        .parse::<u16>()
        .ok()
        .filter(|code| (200..=599).contains(code))
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| BadRequest(format!("status code must be a number from 200 to 599, got {code:?}")))?;
    let no_body = matches!(status, StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED) || request.method() == Method::HEAD;
    let body = if no_body {
        empty()
    } else {
        full(format!("status {}", status.as_u16()))
    };
    Ok(with_type(status, "text/plain", body))
}

fn cookies(request: &Request<Incoming>) -> Handled {
    let count = Query::of(request).bounded("n", 3u32, 0, 1000)?;
    let mut response = text(StatusCode::OK, "cookies");
    for i in 1..=count {
        let cookie = if i == 3 {
            "c3=3; Path=/; HttpOnly".to_string()
        } else {
            format!("c{i}={i}; Path=/")
        };
        if let Ok(value) = HeaderValue::try_from(cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    Ok(response)
}

fn headers() -> Response {
    let mut response = text(StatusCode::OK, "headers");
    let headers = response.headers_mut();
    headers.append("x-multi", HeaderValue::from_static("a"));
    headers.append("x-multi", HeaderValue::from_static("b"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn bytes(request: &Request<Incoming>) -> Handled {
    let query = Query::of(request);
    let size = query.parse("size", 1024u64)?;
    let chunk = query.bounded("chunk", 65536usize, 1, MAX_CHUNK)?;
    let sized = query.get("length").is_some_and(|flag| flag == "1" || flag == "true");
    let mut response = with_type(StatusCode::OK, OCTET_STREAM, cyclic_body(&PATTERN, size, chunk));
    if sized {
        response.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(size));
    }
    Ok(response)
}

/// The request body goes back frame by frame as it arrives; with a `Content-Length` on the request, hyper
/// sees the exact size hint and answers with the same length, otherwise chunked.
fn binary_echo(request: Request<Incoming>) -> Response {
    if request.method() != Method::POST {
        return method_not_allowed("POST");
    }
    let body = request.into_body().map_err(BoxError::from).boxed_unsync();
    with_type(StatusCode::OK, OCTET_STREAM, body)
}

/// `n` events, each its own frame, timestamped when it is produced, so a client can tell whether they
/// arrived spread out (streamed) or together (buffered somewhere on the way).
fn sse(request: &Request<Incoming>) -> Handled {
    let query = Query::of(request);
    let count = query.parse("n", 5u64)?;
    let interval = Duration::from_millis(query.bounded("interval_ms", 100u64, 0, 3_600_000)?);
    let events = futures::stream::unfold(1u64, move |i| async move {
        if i > count {
            return None;
        }
        if i > 1 {
            tokio::time::sleep(interval).await;
        }
        let event = format!("id: {i}\ndata: {{\"i\":{i},\"sent_us\":{}}}\n\n", now_us());
        Some((Ok::<_, BoxError>(Frame::data(Bytes::from(event))), i + 1))
    });
    let mut response = with_type(StatusCode::OK, "text/event-stream", streamed(events));
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// A chunked body that breaks: hyper sees the error, stops writing and closes the connection without the
/// terminating zero-length chunk, which is what a crashing app looks like to the adapter.
fn die(request: &Request<Incoming>) -> Handled {
    let after = Query::of(request).bounded("after", 1024usize, 0, MAX_DIE_PREFIX)?;
    let prefix = (after > 0).then(|| Ok::<_, BoxError>(Frame::data(cyclic_chunk(&PATTERN, 0, after))));
    let failure = futures::stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err::<Frame<Bytes>, BoxError>("the echo app's /die route failed its body on purpose".into())
    });
    Ok(with_type(
        StatusCode::OK,
        OCTET_STREAM,
        streamed(futures::stream::iter(prefix).chain(failure)),
    ))
}

async fn slow(request: &Request<Incoming>) -> Handled {
    let millis = Query::of(request).bounded("ms", 1000u64, 0, 3_600_000)?;
    tokio::time::sleep(Duration::from_millis(millis)).await;
    Ok(text(StatusCode::OK, "slow"))
}

/// Where the adapter posts events that are not HTTP requests; answers with the event so tests can compare.
async fn events(request: Request<Incoming>) -> Response {
    if request.method() != Method::POST {
        return method_not_allowed("POST");
    }
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => return BadRequest(format!("cannot read the request body: {error}")).into_response(),
    };
    let event = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    with_type(
        StatusCode::OK,
        "application/json",
        full(json!({"passthrough": true, "event": event}).to_string()),
    )
}

fn large_text(request: &Request<Incoming>) -> Handled {
    let size = Query::of(request).parse("size", 1u64 << 20)?;
    Ok(with_type(StatusCode::OK, "text/plain", cyclic_body(ALPHABET, size, 64 << 10)))
}
