//! The front door: the local HTTP server that plays the event source (Function URL, API Gateway, ALB, VPC
//! Lattice).
//!
//! Each request is read whole (Lambda's invoke payload is at most 6 MB, so an event source buffers it too),
//! becomes the event its source sends (the source's [`Emulation`]), and is invoked through the embedded
//! emulator, one invocation at a time as in one Lambda execution environment; requests arriving meanwhile
//! wait their turn. The answer goes back as the source would give it: a buffered document decoded
//! ([`document::decode`]), or a stream forwarded chunk by chunk as it arrives (TCP_NODELAY, one write per chunk). A stream that fails mid-way is cut
//! without the terminating chunk, which is how a Function URL ends it, so the client sees an incomplete
//! response instead of a short but valid one.
//!
//! A request that arrives while the app starts waits for it, as in a Lambda cold start ([`cold_start`]).
//!
//! Failures answer with the source's own error response (its [`FailureAnswer`]): 502 for Function URL, REST API,
//! ALB and VPC Lattice, 500 for an HTTP API; the reason goes to the log line, never to the client, as in AWS.

pub(crate) mod cold_start;
pub(crate) mod request_body;
pub(crate) mod request_log;

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;

use crate::buffered::document::{self, Head};
use crate::context::now_ms;
use crate::dev::emulator::{Emulator, ErrorReport, InvokeError, Outcome, StreamItem, Streamed};
use crate::net::body::BoxError;
use crate::sources::emulate::{ClientRequest, RequestIds};
use crate::sources::{Emulation, FailureAnswer, Source, function_url};
use cold_start::ColdStart;
use request_body::{BodyError, read_body};
use request_log::RequestLog;

/// The body of every front-door response: whole, or streamed from the function.
pub(crate) type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// A future answering an upgrade request.
pub(crate) type UpgradeFuture = Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>>;

/// Takes `Upgrade: websocket` requests (API Gateway WebSocket APIs hold the socket and invoke the function
/// once per event). Implement this and pass it to [`FrontDoor::with_websocket`]; the handler owns the request
/// so it can call `hyper::upgrade::on` (connections are served `with_upgrades`).
pub(crate) trait WebSocketHandler: Send + Sync {
    fn upgrade(&self, request: Request<Incoming>, peer: SocketAddr) -> UpgradeFuture;
}

/// The server's settings and its way to the function.
pub(crate) struct FrontDoor {
    emulator: Arc<Emulator>,
    /// The source it plays: one `dev` emulates (a Function URL when given another).
    source: &'static Source,
    timeout: Duration,
    port: u16,
    websocket: Option<Arc<dyn WebSocketHandler>>,
    counter: AtomicU64,
    /// What a request arriving during init waits on; see [`FrontDoor::with_cold_start`].
    cold_start: Option<ColdStart>,
}

impl FrontDoor {
    pub(crate) fn new(emulator: Arc<Emulator>, source: &'static Source, timeout: Duration, port: u16) -> Self {
        let source = if source.emulation().is_some() {
            source
        } else {
            function_url::SOURCE
        };
        FrontDoor {
            emulator,
            source,
            timeout,
            port,
            websocket: None,
            counter: AtomicU64::new(0),
            cold_start: None,
        }
    }

    /// Serves before the function is ready: a request (WebSocket upgrades included) waits for init as in a
    /// Lambda cold start, or gets `503 Service Unavailable` with the reason as a one-line body when init
    /// cannot end in time ([`cold_start`]).
    pub(crate) fn with_cold_start(mut self, cold_start: ColdStart) -> Self {
        self.cold_start = Some(cold_start);
        self
    }

    /// Plugs in a WebSocket handler; without one, upgrade requests get 501.
    pub(crate) fn with_websocket(mut self, handler: Arc<dyn WebSocketHandler>) -> Self {
        self.websocket = Some(handler);
        self
    }

    /// Accepts connections on `listener` until the task is dropped.
    pub(crate) async fn serve(self: Arc<Self>, listener: TcpListener) {
        let cap = crate::net::serve::cap_with(self.emulator.concurrency());
        crate::net::serve::accept_loop_capped(listener, "front door", cap, move |request, peer| {
            let door = self.clone();
            async move { door.handle(request, peer).await }
        })
        .await;
    }

    async fn handle(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<ResponseBody> {
        let mut held = None;
        if let Some(cold_start) = &self.cold_start {
            let asked = std::time::Instant::now();
            if let Err(not_served) = cold_start.wait().await {
                let reason = not_served.to_string();
                let mut log = RequestLog::new(request.method(), request.uri());
                log.note(reason.clone());
                return log.finish(not_ready(&reason));
            }
            held = Some(asked.elapsed()).filter(|held| *held >= HELD_NOTE);
        }
        // `Upgrade: websocket` requests go to the WebSocket handler (`dev`'s API Gateway WebSocket API
        // emulation, `super::super::websocket`), when one is plugged in.
        if is_websocket_upgrade(&request) {
            return match &self.websocket {
                Some(handler) => handler.upgrade(request, peer).await,
                None => {
                    let mut log = RequestLog::new(request.method(), request.uri());
                    log.note("this front door has no WebSocket handler");
                    log.finish(simple(
                        StatusCode::NOT_IMPLEMENTED,
                        "text/plain",
                        "this front door serves HTTP only\n",
                    ))
                }
            };
        }
        // ────────────────────────────────────────────────────────────────────────────────────────────────
        let mut log = RequestLog::new(request.method(), request.uri());
        if let Some(held) = held {
            log.note(format!("waited {:.1} s for the app's cold start", held.as_secs_f64()));
        }
        let (parts, body) = request.into_parts();
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let limits = self.source.limits();
        let (request_limit, response_limit) = (limits.request, limits.answer);
        let body = match read_body(body, declared, request_limit).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                log.note(format!(
                    "the request body is over the {request_limit}-byte limit of {} events",
                    self.source.name()
                ));
                return log.finish(too_large());
            }
            Err(BodyError::Failed(error)) => {
                log.note(format!("the request body could not be read: {error}"));
                return log.finish(simple(StatusCode::BAD_REQUEST, "text/plain", "bad request body\n"));
            }
            Err(BodyError::Stalled) => {
                let idle = crate::net::serve::BODY_IDLE_TIMEOUT.as_secs();
                log.note(format!("the request body stalled: no byte for {idle} s"));
                return log.finish(simple(StatusCode::REQUEST_TIMEOUT, "text/plain", "request body timed out\n"));
            }
        };
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let ids = RequestIds {
            request_id: format!("dev-{:08x}-{n:06}", now_ms() & 0xffff_ffff),
            time_epoch_ms: now_ms(),
        };
        let client = ClientRequest {
            method: &parts.method,
            uri: &parts.uri,
            headers: &parts.headers,
            body: &body,
            source_ip: peer.ip(),
            port: self.port,
        };
        let event = Bytes::from(self.emulation().event(&client, &ids).to_string());
        if event.len() > MAX_EVENT {
            log.note(format!(
                "the event is {} bytes (base64 makes binary bodies a third larger), over Lambda's {MAX_EVENT}-byte limit",
                event.len()
            ));
            return log.finish(too_large());
        }
        match self.emulator.invoke(event, self.timeout).await {
            Ok(Outcome::Response(payload)) if payload.len() > response_limit => {
                log.note(format!(
                    "the function's response is {} bytes, over the {response_limit}-byte limit of {} responses",
                    payload.len(),
                    self.source.name()
                ));
                log.finish(self.failure())
            }
            Ok(Outcome::Response(payload)) => match document::decode(self.source.format().unwrap_or(function_url::FORMAT), &payload) {
                Ok(decoded) => log.finish(whole(decoded.head, decoded.body, parts.method == Method::HEAD)),
                Err(error) => {
                    log.note(format!(
                        "the function's response is not a valid {} response: {error}",
                        self.source.flag()
                    ));
                    log.finish(self.failure())
                }
            },
            Ok(Outcome::Streaming(streamed)) => match crate::stream::prelude::decode(&streamed.prelude) {
                Ok(head) => streaming(head, streamed, log),
                Err(error) => {
                    log.note(format!("the function's stream has an invalid prelude: {error}"));
                    log.finish(self.failure())
                }
            },
            Ok(Outcome::Error(report)) => {
                log.note(format!("function error {}", describe(&report)));
                if is_timeout(&report) {
                    log.note(format!("the function timed out after {} s (--timeout)", self.timeout.as_secs_f64()));
                }
                log.finish(self.failure())
            }
            Err(InvokeError::Timeout(after)) => {
                log.note(format!("the function timed out after {} s (--timeout)", after.as_secs_f64()));
                log.finish(self.failure())
            }
            Err(InvokeError::Closed) => {
                log.note("dev is shutting down".to_string());
                log.finish(self.failure())
            }
        }
    }

    fn emulation(&self) -> &Emulation {
        self.source.emulation().unwrap_or(&function_url::EMULATION)
    }

    /// What the source answers when the function fails or times out.
    fn failure(&self) -> Response<ResponseBody> {
        let FailureAnswer {
            status,
            content_type,
            body,
        } = self.emulation().failure();
        simple(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY), content_type, body)
    }
}

/// Whether the request asks to become a WebSocket.
pub(crate) fn is_websocket_upgrade<B>(request: &Request<B>) -> bool {
    let has_token = |name: header::HeaderName, token: &str| {
        request
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    has_token(header::UPGRADE, "websocket") && has_token(header::CONNECTION, "upgrade")
}

/// A request held this long by the cold start says so in its log line.
const HELD_NOTE: Duration = Duration::from_millis(100);

/// Lambda's limit on an invoke payload, which the event must fit whatever the source.
const MAX_EVENT: usize = crate::buffered::MAX_PAYLOAD;

fn simple(status: StatusCode, content_type: &'static str, body: &'static str) -> Response<ResponseBody> {
    let mut response = Response::new(full(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The answer when the function will not be ready (in time): 503 with the reason, and a hint to try again in
/// a second.
fn not_ready(reason: &str) -> Response<ResponseBody> {
    let mut response = Response::new(full(Bytes::from(format!("{reason}\n"))));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The Lambda Invoke API's answer to an oversized payload, which a Function URL passes on.
fn too_large() -> Response<ResponseBody> {
    simple(
        StatusCode::PAYLOAD_TOO_LARGE,
        "application/json",
        r#"{"Message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}"#,
    )
}

fn full(bytes: Bytes) -> ResponseBody {
    Full::new(bytes).map_err(|never| match never {}).boxed_unsync()
}

fn whole(head: Head, body: Bytes, head_request: bool) -> Response<ResponseBody> {
    let mut response = Response::new(full(body));
    *response.status_mut() = head.status;
    *response.headers_mut() = head.headers;
    if !head_request {
        // The body's own length frames the response; a stale value from the app would break the connection.
        response.headers_mut().remove(header::CONTENT_LENGTH);
    }
    response
}

/// Forwards a stream. The log line is written when the stream ends, fails, or the client goes away.
fn streaming(head: Head, streamed: Streamed, mut log: RequestLog) -> Response<ResponseBody> {
    log.stream_started(head.status);
    let frames = futures::stream::unfold((streamed, log, false), |(mut streamed, mut log, failed)| async move {
        if failed {
            return None;
        }
        match streamed.body.recv().await {
            Some(StreamItem::Data(bytes)) => {
                log.bytes = log.bytes.saturating_add(bytes.len() as u64);
                Some((Ok(Frame::data(bytes)), (streamed, log, false)))
            }
            Some(StreamItem::Error(report)) => {
                log.stream_cut(describe(&report));
                if is_timeout(&report) {
                    log.note("the function timed out (--timeout)");
                }
                let error: BoxError = describe(&report).into();
                Some((Err(error), (streamed, log, true)))
            }
            None => {
                log.stream_ended();
                None
            }
        }
    });
    let mut response = Response::new(StreamBody::new(frames.boxed()).boxed_unsync());
    *response.status_mut() = head.status;
    *response.headers_mut() = head.headers;
    // Chunked framing, so that a cut stream is visibly incomplete to the client.
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}

/// Whether the runtime reported its deadline (the adapter ends an invocation just before Lambda would), by
/// the report's `errorType`, a protocol value: the adapter's own, or Lambda's for a sandbox timeout.
fn is_timeout(report: &ErrorReport) -> bool {
    const LAMBDA_TIMEOUT: &str = "Sandbox.Timedout";
    report.error_type == crate::error::ErrorKind::DeadlineReached.error_type() || report.error_type == LAMBDA_TIMEOUT
}

fn describe(report: &ErrorReport) -> String {
    format!("{}: {}", report.error_type, report.message())
}

#[cfg(test)]
mod tests;
