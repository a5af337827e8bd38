//! The measurements, each taken two ways: through an adapter (the invoker is the embedded Runtime API, as
//! Lambda's frontend would be) and directly (one HTTP/1.1 keep-alive connection from this process to the
//! app: the floor). Every function returns an error instead of panicking, so a failed invocation is reported.

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use lambda_adapter::dev::emulator::{Emulator, Outcome, StreamItem};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

use super::app::now_us;
use super::process::Mode;

const SMALL_TIMEOUT: Duration = Duration::from_secs(30);
const STREAM_TIMEOUT: Duration = Duration::from_secs(600);

/// A Function URL event (the real sample) asking for `path_and_query`.
pub fn event(path_and_query: &str) -> Bytes {
    let mut event: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/fixtures/events/example-lambda-function-url-request.json"))
            .expect("the fixture is JSON");
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    event["rawPath"] = path.into();
    event["rawQueryString"] = query.into();
    event["requestContext"]["http"]["path"] = path.into();
    Bytes::from(event.to_string())
}

/// An API Gateway WebSocket MESSAGE event (the sample), which the adapter posts to the app's `/ws/message`.
pub fn websocket_message() -> Bytes {
    Bytes::from_static(include_bytes!("../../tests/fixtures/events/example-apigw-websocket-message.json"))
}

/// One small invocation of `/health`; the time from invoke to the whole answer.
pub async fn invoke_small(emulator: &Emulator, event: &Bytes, mode: Mode) -> Result<Duration, String> {
    let started = Instant::now();
    let outcome = emulator
        .invoke(event.clone(), SMALL_TIMEOUT)
        .await
        .map_err(|e| format!("invocation timed out: {e:?}"))?;
    let (status, body) = match outcome {
        Outcome::Response(payload) => {
            let elapsed = started.elapsed();
            let document: serde_json::Value = serde_json::from_slice(&payload).map_err(|e| format!("invalid response document: {e}"))?;
            let body = document["body"].as_str().unwrap_or_default().as_bytes().to_vec();
            if mode == Mode::Streaming {
                return Err("a buffered answer in streaming mode".into());
            }
            return check(document["statusCode"].as_u64(), &body).map(|()| elapsed);
        }
        Outcome::Streaming(mut streamed) => {
            let mut body = Vec::new();
            while let Some(item) = streamed.body.recv().await {
                match item {
                    StreamItem::Data(data) => body.extend_from_slice(&data),
                    StreamItem::Error(report) => return Err(format!("the stream failed: {} {}", report.error_type, report.message())),
                }
            }
            let prelude: serde_json::Value = serde_json::from_slice(&streamed.prelude).map_err(|e| format!("invalid prelude: {e}"))?;
            (prelude["statusCode"].as_u64(), body)
        }
        Outcome::Error(report) => return Err(format!("invocation error: {} {}", report.error_type, report.message())),
    };
    let elapsed = started.elapsed();
    check(status, &body).map(|()| elapsed)
}

fn check(status: Option<u64>, body: &[u8]) -> Result<(), String> {
    if status == Some(200) && body == b"ok" {
        Ok(())
    } else {
        Err(format!(
            "unexpected answer: status {status:?}, body {:?}",
            String::from_utf8_lossy(body)
        ))
    }
}

/// One keep-alive connection to the app.
pub struct Direct {
    sender: SendRequest<Empty<Bytes>>,
    port: u16,
}

impl Direct {
    pub async fn connect(port: u16) -> Result<Direct, String> {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("cannot connect to the app: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        Ok(Direct { sender, port })
    }

    async fn get(&mut self, path_and_query: &str) -> Result<http::Response<Incoming>, String> {
        let request = Request::get(path_and_query)
            .header(http::header::HOST, format!("127.0.0.1:{}", self.port))
            .body(Empty::new())
            .map_err(|e| e.to_string())?;
        self.sender.ready().await.map_err(|e| e.to_string())?;
        self.sender
            .send_request(request)
            .await
            .map_err(|e| format!("GET {path_and_query}: {e}"))
    }

    /// `GET /health`, body read whole.
    pub async fn small(&mut self) -> Result<Duration, String> {
        let started = Instant::now();
        let response = self.get("/health").await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        let elapsed = started.elapsed();
        check(Some(u64::from(status)), &body).map(|()| elapsed)
    }
}

/// A stream read to its end.
pub struct StreamRead {
    pub bytes: u64,
    pub elapsed: Duration,
}

impl StreamRead {
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / self.elapsed.as_secs_f64() / 1e6
    }
}

/// Feeds each body piece of a streamed invocation of `path_and_query` to `each`, with the time since invoke.
async fn invoke_stream(emulator: &Emulator, path_and_query: &str, each: impl FnMut(&[u8], Duration)) -> Result<Duration, String> {
    invoke_event_stream(emulator, event(path_and_query), path_and_query, each).await
}

async fn invoke_event_stream(
    emulator: &Emulator,
    event: Bytes,
    path_and_query: &str,
    mut each: impl FnMut(&[u8], Duration),
) -> Result<Duration, String> {
    let started = Instant::now();
    let outcome = emulator
        .invoke(event, STREAM_TIMEOUT)
        .await
        .map_err(|e| format!("invocation timed out: {e:?}"))?;
    let mut streamed = match outcome {
        Outcome::Streaming(streamed) => streamed,
        Outcome::Response(_) => return Err(format!("{path_and_query}: a buffered answer in streaming mode")),
        Outcome::Error(report) => return Err(format!("{path_and_query}: {} {}", report.error_type, report.message())),
    };
    while let Some(item) = streamed.body.recv().await {
        match item {
            StreamItem::Data(data) => each(&data, started.elapsed()),
            StreamItem::Error(report) => return Err(format!("{path_and_query}: the stream failed: {}", report.message())),
        }
    }
    Ok(started.elapsed())
}

/// Reads `/bytes?size=..&chunk=..` through the adapter.
pub async fn stream_via(emulator: &Emulator, size: u64, chunk: usize) -> Result<StreamRead, String> {
    let mut bytes = 0u64;
    let elapsed = invoke_stream(emulator, &format!("/bytes?size={size}&chunk={chunk}"), |data, _| {
        bytes += data.len() as u64
    })
    .await?;
    expect_size(bytes, size).map(|()| StreamRead { bytes, elapsed })
}

/// Reads `/bytes?size=..&chunk=..` from the app directly.
pub async fn stream_direct(direct: &mut Direct, size: u64, chunk: usize) -> Result<StreamRead, String> {
    let started = Instant::now();
    let mut body = direct.get(&format!("/bytes?size={size}&chunk={chunk}")).await?.into_body();
    let mut bytes = 0u64;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.map_err(|e| e.to_string())?.into_data() {
            bytes += data.len() as u64;
        }
    }
    let elapsed = started.elapsed();
    expect_size(bytes, size).map(|()| StreamRead { bytes, elapsed })
}

fn expect_size(got: u64, want: u64) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("the stream carried {got} bytes, not {want}"))
    }
}

/// What one SSE response showed.
pub struct Sse {
    /// From the request to the first body byte.
    pub first_byte: Duration,
    /// For every event after the first (each written after an idle interval): received minus `sent_us`, µs.
    pub chunk_latency_us: Vec<f64>,
}

/// Collects SSE events from body pieces and stamps each with its arrival time.
#[derive(Default)]
struct SseReader {
    pending: Vec<u8>,
    first_byte: Option<Duration>,
    latencies: Vec<f64>,
    events: u64,
}

impl SseReader {
    fn push(&mut self, data: &[u8], since_start: Duration) {
        let received = now_us();
        self.first_byte.get_or_insert(since_start);
        self.pending.extend_from_slice(data);
        while let Some(end) = self.pending.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = self.pending.drain(..end + 2).collect();
            self.events += 1;
            let text = String::from_utf8_lossy(&event);
            let sent = text
                .split("\"sent_us\":")
                .nth(1)
                .and_then(|rest| rest.trim_end_matches(['}', '\n']).parse::<u64>().ok());
            if let (Some(sent), true) = (sent, self.events > 1) {
                self.latencies.push(received as f64 - sent as f64);
            }
        }
    }

    fn finish(self, count: u64) -> Result<Sse, String> {
        match self.first_byte {
            Some(first_byte) if self.events == count => Ok(Sse {
                first_byte,
                chunk_latency_us: self.latencies,
            }),
            _ => Err(format!("SSE: {} events arrived, not {count}", self.events)),
        }
    }
}

/// `/sse?n=..&interval_ms=..` through the adapter.
pub async fn sse_via(emulator: &Emulator, count: u64, interval_ms: u64) -> Result<Sse, String> {
    let mut reader = SseReader::default();
    invoke_stream(emulator, &format!("/sse?n={count}&interval_ms={interval_ms}"), |data, at| {
        reader.push(data, at)
    })
    .await?;
    reader.finish(count)
}

/// `/sse?n=..&interval_ms=..` from the app directly.
pub async fn sse_direct(direct: &mut Direct, count: u64, interval_ms: u64) -> Result<Sse, String> {
    let mut reader = SseReader::default();
    let started = Instant::now();
    let mut body = direct.get(&format!("/sse?n={count}&interval_ms={interval_ms}")).await?.into_body();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.map_err(|e| e.to_string())?.into_data() {
            reader.push(&data, started.elapsed());
        }
    }
    reader.finish(count)
}

/// One cold start: the adapter starts before the app; the app begins to listen 200 ms later. Returns the time
/// from then to the adapter's first `invocation/next`, and from the app's first accepted connection to it.
pub async fn cold_start(program: &super::process::Program) -> Result<(Duration, Duration), String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut adapter = super::process::Adapter::spawn(program, Mode::Buffered, port, 1).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let listening = Instant::now();
    let first_accept = std::sync::Arc::new(std::sync::OnceLock::new());
    let accepted = first_accept.clone();
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = accepted.set(Instant::now());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_| async {
                    Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let polled = adapter.wait_polling(program).await;
    let (elapsed, now) = (listening.elapsed(), Instant::now());
    server.abort();
    polled?;
    let since_accept = first_accept.get().map_or(elapsed, |at| now.saturating_duration_since(*at));
    Ok((elapsed, since_accept))
}

/// A Function URL event for `path_and_query` whose client accepts `coding`.
fn event_accepting(path_and_query: &str, coding: &str) -> Bytes {
    let mut event: serde_json::Value = serde_json::from_slice(&event(path_and_query)).unwrap_or_default();
    event["headers"]["accept-encoding"] = coding.into();
    Bytes::from(event.to_string())
}

/// A streaming decoder for `coding`: compressed pieces in, the decoded bytes so far out.
enum Decoder {
    Gzip(Box<flate2::write::GzDecoder<Vec<u8>>>),
    Brotli(Box<brotli::DecompressorWriter<Vec<u8>>>),
    Zstd(Box<zstd::stream::write::Decoder<'static, Vec<u8>>>),
}

impl Decoder {
    fn new(coding: &str) -> Result<Decoder, String> {
        Ok(match coding {
            "gzip" => Decoder::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new()))),
            "br" => Decoder::Brotli(Box::new(brotli::DecompressorWriter::new(Vec::new(), 4096))),
            "zstd" => Decoder::Zstd(Box::new(zstd::stream::write::Decoder::new(Vec::new()).map_err(|e| e.to_string())?)),
            other => return Err(format!("no decoder for {other}")),
        })
    }

    /// Decodes `data`; returns what came out of it and drops it from the buffer.
    fn feed(&mut self, data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        fn write<W: Write>(writer: &mut W, data: &[u8]) {
            let _ = writer.write_all(data);
            let _ = writer.flush();
        }
        match self {
            Decoder::Gzip(d) => {
                write(d, data);
                std::mem::take(d.get_mut())
            }
            Decoder::Brotli(d) => {
                write(d, data);
                std::mem::take(d.get_mut())
            }
            Decoder::Zstd(d) => {
                write(d, data);
                std::mem::take(d.get_mut())
            }
        }
    }
}

/// A compressed stream: how many bytes went out for the app's, and how long it took.
pub struct Compressed {
    pub input: u64,
    pub output: u64,
    pub elapsed: Duration,
}

/// `/json?size=..` through the adapter with compression on, the client accepting `coding`; the decoded
/// stream is checked to be the app's size.
pub async fn compressed_via(emulator: &Emulator, coding: &str, size: u64) -> Result<Compressed, String> {
    let path = format!("/json?size={size}");
    let mut decoder = Decoder::new(coding)?;
    let (mut input, mut output) = (0u64, 0u64);
    let elapsed = invoke_event_stream(emulator, event_accepting(&path, coding), &path, |data, _| {
        output += data.len() as u64;
        input += decoder.feed(data).len() as u64;
    })
    .await?;
    let whole = size.div_ceil(1 << 16) * (1 << 16);
    if input != whole {
        return Err(format!("{coding}: {input} bytes decoded, not {whole}"));
    }
    Ok(Compressed { input, output, elapsed })
}

/// `/sse?n=..&interval_ms=..` through the adapter, compressed in `coding` and decoded as it arrives.
pub async fn sse_compressed(emulator: &Emulator, coding: &str, count: u64, interval_ms: u64) -> Result<Sse, String> {
    let path = format!("/sse?n={count}&interval_ms={interval_ms}");
    let mut decoder = Decoder::new(coding)?;
    let mut reader = SseReader::default();
    invoke_event_stream(emulator, event_accepting(&path, coding), &path, |data, at| {
        let decoded = decoder.feed(data);
        reader.push(&decoded, at)
    })
    .await?;
    reader.finish(count)
}
