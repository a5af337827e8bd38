//! `dev`'s WebSocket front door: a real `ws://` that behaves like an API Gateway WebSocket API.
//!
//! An `Upgrade: websocket` request becomes a `CONNECT` invocation before the handshake is answered: a 2xx
//! accepts (101, echoing the app's `Sec-WebSocket-Protocol`), any other status is the handshake's answer, and
//! a failed invocation answers 500. Each text message then becomes a `MESSAGE` invocation routed by
//! `$request.body.action` over `--ws-routes`, and the function's response `body` goes back as a frame (as if
//! every route had a route response); the close becomes a best-effort `DISCONNECT` with the client's code and
//! reason. API Gateway's limits apply, because meeting them first in production is the surprise `dev`
//! exists to prevent: binary frames close with 1003, a frame over 32 KB or a message over 128 KB with 1009,
//! 10 minutes without a message either way (pings do not count) or 2 hours in all with 1001.
//!
//! Each socket is owned by one task that reads frames, writes what others queue for it
//! (`connections`), and keeps the timers. Invocations for one connection run in order in a
//! second task, so the socket keeps reading (and a push made by the app during a message reaches the client
//! before the reply). Every invocation runs in a task of its own: it is never dropped half-way, which would
//! leave the emulator's single invocation slot taken.

mod answers;
pub(crate) mod connections;
pub(crate) mod events;
pub mod management;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, handshake::derive_accept_key};

use crate::context::now_ms;
use crate::dev::cli::WsOptions;
use crate::dev::emulator::{Emulator, InvokeError, Outcome};
use crate::dev::front_door::request_log::RequestLog;
use crate::dev::front_door::{ResponseBody, UpgradeFuture, WebSocketHandler};
use crate::sources::emulate::{ClientRequest, RequestIds};
use answers::{AnswerError, connect_answer, reply_frame};
use connections::{Connection, Connections, Outgoing};
use events::{ConnectionFacts, new_id};

/// API Gateway's largest frame and largest message.
pub(crate) const MAX_FRAME: usize = 32 * 1024;
pub(crate) const MAX_MESSAGE: usize = 128 * 1024;
/// API Gateway stops waiting for the integration after 29 s.
const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(29);
/// How long to wait for the client's close frame after sending ours.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// The reason API Gateway reports when a close frame carried no status.
pub(crate) const NO_STATUS_REASON: &str = "Client-side close frame status not set";

/// The WebSocket handler plugged into the front door.
#[derive(Clone)]
pub(crate) struct WsFront {
    inner: Arc<Inner>,
}

struct Inner {
    emulator: Arc<Emulator>,
    connections: Arc<Connections>,
    options: WsOptions,
    /// The function timeout (`--timeout`).
    timeout: Duration,
    /// The front door's port, for `X-Forwarded-Port`.
    port: u16,
}

/// Work for a connection's invocation task, in arrival order.
enum Job {
    Message(String),
    Disconnect { code: u16, reason: String },
}

impl WsFront {
    pub(crate) fn new(emulator: Arc<Emulator>, connections: Arc<Connections>, options: WsOptions, timeout: Duration, port: u16) -> Self {
        WsFront {
            inner: Arc::new(Inner {
                emulator,
                connections,
                options,
                timeout,
                port,
            }),
        }
    }
}

impl WebSocketHandler for WsFront {
    fn upgrade(&self, request: Request<Incoming>, peer: SocketAddr) -> UpgradeFuture {
        let inner = self.inner.clone();
        Box::pin(async move { inner.handshake(request, peer).await })
    }
}

/// The `Sec-WebSocket-Accept` value, or the answer to a request that is not a valid handshake.
fn check_handshake<B>(request: &Request<B>) -> Result<String, (StatusCode, &'static str)> {
    if request.method() != http::Method::GET {
        return Err((StatusCode::BAD_REQUEST, "a WebSocket handshake is a GET"));
    }
    let version = request.headers().get(header::SEC_WEBSOCKET_VERSION).map(HeaderValue::as_bytes);
    if version != Some(b"13") {
        return Err((StatusCode::UPGRADE_REQUIRED, "only WebSocket version 13 is spoken"));
    }
    match request.headers().get(header::SEC_WEBSOCKET_KEY) {
        Some(key) if !key.is_empty() => Ok(derive_accept_key(key.as_bytes())),
        _ => Err((StatusCode::BAD_REQUEST, "the handshake has no Sec-WebSocket-Key")),
    }
}

fn plain(status: StatusCode, body: String) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed_unsync());
    *response.status_mut() = status;
    if status == StatusCode::UPGRADE_REQUIRED {
        response
            .headers_mut()
            .insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
    }
    response
}

impl Inner {
    async fn handshake(self: Arc<Self>, mut request: Request<Incoming>, peer: SocketAddr) -> Response<ResponseBody> {
        let mut log = RequestLog::new(request.method(), request.uri());
        let accept = match check_handshake(&request) {
            Ok(accept) => accept,
            Err((status, why)) => {
                log.note(format!("not a WebSocket handshake: {why}"));
                return log.finish(plain(status, format!("{why}\n")));
            }
        };
        let facts = ConnectionFacts {
            connection_id: new_id(),
            connected_at_ms: now_ms(),
            source_ip: peer.ip(),
            user_agent: request
                .headers()
                .get(header::USER_AGENT)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        };
        let ids = RequestIds {
            request_id: new_id(),
            time_epoch_ms: facts.connected_at_ms,
        };
        let client = ClientRequest {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
            body: b"",
            source_ip: peer.ip(),
            port: self.port,
        };
        let event = events::connect(&facts, &client, &ids);
        let id = facts.connection_id.clone();
        let (connection, outgoing) = Connection::new(facts);
        self.connections.insert(connection.clone());
        let answer = self.invoke(event).await.and_then(|document| connect_answer(&document));
        let answer = match answer {
            Ok(answer) if (200..300).contains(&answer.status) => answer,
            Ok(answer) => {
                self.connections.remove(&id);
                log.note(format!("$connect of {id}: the function rejected the connection"));
                let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::FORBIDDEN);
                return log.finish(plain(status, String::new()));
            }
            Err(why) => {
                self.connections.remove(&id);
                log.note(format!("$connect of {id} failed: {why}"));
                let body = events::internal_error(&id, &ids.request_id);
                return log.finish(plain(StatusCode::INTERNAL_SERVER_ERROR, body));
            }
        };
        let upgrade = hyper::upgrade::on(&mut request);
        let mut response = plain(StatusCode::SWITCHING_PROTOCOLS, String::new());
        let headers = response.headers_mut();
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        if let Ok(accept) = HeaderValue::from_str(&accept) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        if let Some(protocol) = answer.protocol {
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
        }
        connection.set_open();
        log.note(format!("WebSocket connection {id} open"));
        tokio::spawn(async move {
            match upgrade.await {
                Ok(upgraded) => self.serve(upgraded, connection, outgoing).await,
                Err(error) => {
                    self.connections.remove(&id);
                    tracing::warn!("WebSocket {id}: the upgrade failed: {error}");
                }
            }
        });
        log.finish(response)
    }

    /// Runs one invocation to its end in its own task, waiting at most API Gateway's integration timeout.
    async fn invoke(&self, event: Value) -> Result<Bytes, AnswerError> {
        let (emulator, timeout) = (self.emulator.clone(), self.timeout);
        let payload = Bytes::from(event.to_string());
        let task = tokio::spawn(async move { emulator.invoke(payload, timeout).await });
        match tokio::time::timeout(INTEGRATION_TIMEOUT, task).await {
            Err(_) => Err(AnswerError::IntegrationTimeout),
            Ok(Err(join)) => Err(AnswerError::Task(join)),
            Ok(Ok(Err(InvokeError::Timeout(after)))) => Err(AnswerError::FunctionTimeout(after)),
            Ok(Ok(Err(InvokeError::Closed))) => Err(AnswerError::ShuttingDown),
            Ok(Ok(Ok(Outcome::Response(document)))) => Ok(document),
            Ok(Ok(Ok(Outcome::Error(report)))) => Err(AnswerError::Function(report)),
            Ok(Ok(Ok(Outcome::Streaming(_)))) => Err(AnswerError::Streamed),
        }
    }

    /// Owns the socket: frames in, queued frames out, timers; then the `DISCONNECT`.
    async fn serve(self: Arc<Self>, upgraded: Upgraded, connection: Arc<Connection>, mut outgoing: mpsc::UnboundedReceiver<Outgoing>) {
        let config = WebSocketConfig::default()
            .max_frame_size(Some(MAX_FRAME))
            .max_message_size(Some(MAX_MESSAGE));
        let mut ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
        let (jobs, jobs_rx) = mpsc::unbounded_channel();
        tokio::spawn(self.clone().invocations(connection.clone(), jobs_rx));
        let (idle, started) = (self.options.idle_timeout, Instant::now());
        let ends_at = started.checked_add(self.options.max_duration).unwrap_or(started);
        let mut idle_at = started.checked_add(idle).unwrap_or(started);
        let (code, reason) = loop {
            tokio::select! {
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        connection.touch();
                        idle_at = crate::context::instant_after(idle);
                        let _ = jobs.send(Job::Message(text.as_str().to_string()));
                    }
                    Some(Ok(Message::Binary(_))) => break close(&mut ws, 1003, "Binary frames are not supported").await,
                    Some(Ok(Message::Close(frame))) => {
                        let _ = ws.close(None).await;
                        break frame.map_or((1005, NO_STATUS_REASON.to_string()), |f| (u16::from(f.code), f.reason.as_str().to_string()));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(WsError::Capacity(_))) => break close(&mut ws, 1009, "Message too big").await,
                    Some(Err(WsError::Utf8(_))) => break close(&mut ws, 1007, "Invalid UTF-8 in a text message").await,
                    Some(Err(WsError::Protocol(error))) => break close(&mut ws, 1002, &error.to_string()).await,
                    Some(Err(_)) | None => break (1006, String::new()),
                },
                Some(frame) = outgoing.recv() => {
                    let message = match frame {
                        Outgoing::Text(text) => Message::text(text),
                        Outgoing::Binary(bytes) => Message::binary(bytes),
                        Outgoing::Close { code, reason } => break close(&mut ws, code, &reason).await,
                    };
                    if ws.send(message).await.is_err() {
                        break (1006, String::new());
                    }
                    connection.touch();
                    idle_at = crate::context::instant_after(idle);
                }
                _ = tokio::time::sleep_until(idle_at) => break close(&mut ws, 1001, "Going away").await,
                _ = tokio::time::sleep_until(ends_at) => break close(&mut ws, 1001, "Going away").await,
            }
        };
        drop(outgoing);
        self.connections.remove(connection.id());
        tracing::info!(
            "WebSocket {} closed ({code}{}{reason})",
            connection.id(),
            if reason.is_empty() { "" } else { " " }
        );
        let _ = jobs.send(Job::Disconnect { code, reason });
    }

    /// Invokes the function for one connection's messages, then its disconnect, in order.
    async fn invocations(self: Arc<Self>, connection: Arc<Connection>, mut jobs: mpsc::UnboundedReceiver<Job>) {
        while let Some(job) = jobs.recv().await {
            let ids = RequestIds {
                request_id: new_id(),
                time_epoch_ms: now_ms(),
            };
            let started = std::time::Instant::now();
            let id = connection.id();
            match job {
                Job::Message(text) => {
                    let Some(route) = events::select_route(&text, &self.options.routes) else {
                        connection.send(Outgoing::Text(events::forbidden(id, &ids.request_id)));
                        tracing::warn!(
                            "WebSocket {id}: no route for the message (--ws-routes {}, no $default): Forbidden",
                            self.options.routes.join(",")
                        );
                        continue;
                    };
                    let event = events::message(&connection.facts, &route, &new_id(), &text, &ids);
                    let ms = || started.elapsed().as_secs_f64() * 1000.0;
                    match self.invoke(event).await.and_then(|document| reply_frame(&document)) {
                        Ok(Some(reply)) => {
                            connection.send(reply);
                            tracing::info!("WebSocket {id} {route} → reply ({:.0} ms)", ms());
                        }
                        Ok(None) => tracing::info!("WebSocket {id} {route} → no reply ({:.0} ms)", ms()),
                        Err(why) => {
                            connection.send(Outgoing::Text(events::internal_error(id, &ids.request_id)));
                            tracing::warn!("WebSocket {id} {route} → Internal server error ({:.0} ms): {why}", ms());
                        }
                    }
                }
                Job::Disconnect { code, reason } => {
                    let event = events::disconnect(&connection.facts, code, &reason, &ids);
                    if let Err(why) = self.invoke(event).await {
                        tracing::warn!("WebSocket {id} $disconnect failed (best effort, as in API Gateway): {why}");
                    }
                }
            }
        }
    }
}

/// Sends a close frame, waits a little for the client's, and returns what the `DISCONNECT` reports.
async fn close(ws: &mut WebSocketStream<TokioIo<Upgraded>>, code: u16, reason: &str) -> (u16, String) {
    let frame = CloseFrame {
        code: code.into(),
        reason: reason.into(),
    };
    if ws.close(Some(frame)).await.is_ok() {
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            while let Some(Ok(message)) = ws.next().await {
                if message.is_close() {
                    break;
                }
            }
        })
        .await;
    }
    (code, reason.to_string())
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
