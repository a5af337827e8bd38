//! The benchmark's app: the smallest hyper server that answers the three kinds of request the suite makes,
//! run as a child process (the bench binary re-executes itself with `--serve-app`).
//!
//! It is not the echo example on purpose: the floor must be the cost of HTTP on loopback, not of an app.
//! The 1 GiB stream is made of slices of one static buffer (no allocation, no copy per frame), and the
//! routes are fixed here, so a change to the examples cannot move the figures.
//!
//! | route | answer |
//! |---|---|
//! | `GET /health`, `GET /`, `POST /ws/message` | 200 `ok` |
//! | `GET /bytes?size=N&chunk=C` | N bytes of a fixed pattern, chunked, in frames of C bytes |
//! | `GET /sse?n=N&interval_ms=M` | N events `data: {"i":i,"sent_us":<epoch µs when written>}`, one frame each |

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full, StreamBody, combinators::UnsyncBoxBody};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::io::Write;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

type AppBody = UnsyncBoxBody<Bytes, Infallible>;

/// The largest frame `/bytes` sends.
const PATTERN_LEN: usize = 1 << 20;

fn pattern() -> &'static [u8] {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    PATTERN.get_or_init(|| (0..PATTERN_LEN).map(|i| (i % 251) as u8).collect())
}

/// 64 KiB exactly of JSON records numbered from `first`, padded with spaces: every chunk differs, so no
/// codec's window sees a repeat, and they compress like an API's answer.
fn json_chunk(first: u64) -> Bytes {
    let mut text = String::with_capacity(1 << 16);
    let mut i = first;
    while text.len() < (1 << 16) - 200 {
        text.push_str(&format!(
            "{{\"id\":{i},\"name\":\"item {i}\",\"price\":{}.{:02},\"tags\":[\"t{}\",\"u{}\"]}},\n",
            i * 7 % 1000,
            i % 100,
            i % 13,
            i % 29
        ));
        i += 1;
    }
    text.push_str(&" ".repeat((1 << 16) - 1 - text.len()));
    text.push('\n');
    Bytes::from(text)
}

/// Serves forever on a free loopback port, after printing the port on stdout.
pub fn serve() -> ! {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let result = runtime
        .map_err(|e| e.to_string())
        .and_then(|runtime| runtime.block_on(accept_loop()));
    if let Err(error) = result {
        eprintln!("bench app: {error}");
    }
    std::process::exit(1)
}

async fn accept_loop() -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{port}")
        .and_then(|()| stdout.flush())
        .map_err(|e| e.to_string())?;
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|request: Request<Incoming>| async move {
                // `/slow?ms=20`: an app that takes its time, for the concurrency figures.
                if request.uri().path() == "/slow" {
                    let ms = request
                        .uri()
                        .query()
                        .and_then(|q| q.strip_prefix("ms="))
                        .and_then(|ms| ms.parse().ok())
                        .unwrap_or(20);
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                }
                Ok::<_, Infallible>(route(&request))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn route(request: &Request<Incoming>) -> Response<AppBody> {
    let query = request.uri().query().unwrap_or("");
    let param = |name: &str, default: u64| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| value.parse().ok())
            .unwrap_or(default)
    };
    match request.uri().path() {
        "/" | "/health" | "/ws/message" | "/slow" => {
            reply(StatusCode::OK, "text/plain", Full::new(Bytes::from_static(b"ok")).boxed_unsync())
        }
        "/bytes" => {
            let chunk = (param("chunk", 65_536) as usize).clamp(1, PATTERN_LEN);
            let body = PatternBody {
                remaining: param("size", 1024),
                chunk,
            };
            reply(StatusCode::OK, "application/octet-stream", body.boxed_unsync())
        }
        "/sse" => reply(StatusCode::OK, "text/event-stream", sse(param("n", 5), param("interval_ms", 100))),
        // `/json?size=N`: N bytes (whole 64 KiB chunks) of compressible JSON lines, streamed.
        "/json" => {
            let frames = param("size", 1 << 16).div_ceil(1 << 16);
            let chunks = futures::stream::iter((0..frames).map(|n| Ok::<_, Infallible>(Frame::data(json_chunk(n * 2000)))));
            reply(StatusCode::OK, "application/x-ndjson", StreamBody::new(chunks).boxed_unsync())
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            "text/plain",
            Full::new(Bytes::from_static(b"not found")).boxed_unsync(),
        ),
    }
}

fn reply(status: StatusCode, content_type: &'static str, body: AppBody) -> Response<AppBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    response
}

/// `remaining` bytes of the pattern, `chunk` at a time, always ready: the app is never what waits.
struct PatternBody {
    remaining: u64,
    chunk: usize,
}

impl Body for PatternBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let len = self.chunk.min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        self.remaining -= len as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&pattern()[..len])))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        // Unknown length: the app streams chunked, as a streaming app would.
        SizeHint::default()
    }
}

fn sse(count: u64, interval_ms: u64) -> AppBody {
    let interval = Duration::from_millis(interval_ms);
    let events = futures::stream::unfold(1u64, move |i| async move {
        if i > count {
            return None;
        }
        if i > 1 {
            tokio::time::sleep(interval).await;
        }
        let event = format!("data: {{\"i\":{i},\"sent_us\":{}}}\n\n", now_us());
        Some((Ok::<_, Infallible>(Frame::data(Bytes::from(event))), i + 1))
    });
    StreamBody::new(events).boxed_unsync()
}

/// Microseconds since the Unix epoch: the stamp the app writes and the bench compares with.
pub fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}
