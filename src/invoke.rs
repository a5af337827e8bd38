//! One invocation, from event to posted response, and nothing else: translate (`sources`), call the app
//! (`net::app_client`, which owns retries and failure classes), pass the response through the layers
//! (`response::Layers`, built from the configuration), make the answer in the mode the source takes
//! (decided once per invocation, [`response_mode`]), and post it (`Adapter::post`, the one place the
//! invocation's WebSocket pushes are settled).
//!
//! Every failure ends as a Runtime API error call with a precise message, and the loop goes on to the next
//! invocation: nothing here can take the process down.

use http_body_util::BodyExt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::{Instant, Sleep};
use tracing::Instrument;

use crate::buffered;
use crate::config::{Config, InvokeMode};
use crate::context::instant_after;
use crate::error::{AdapterError, ErrorKind};
use crate::net::app_client::AppClient;
use crate::net::body::{self, Body};
use crate::readiness::{NotReady, Readiness};
use crate::response::{Layers, RequestHead};
use crate::runtime_api::{Invocation, RuntimeClient};
use crate::sources::websocket::{WsEvent, answer};
use crate::sources::{self, Source, TranslateOptions};
use crate::stream;
use crate::ws;

/// Time kept before Lambda's deadline to end a stream cleanly or report an error.
pub(crate) const DEADLINE_MARGIN: Duration = Duration::from_millis(200);

/// How an event source takes its response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResponseMode {
    Buffered,
    /// Streamed; `multi_value` adds `multiValueHeaders` to the prelude (REST API streaming).
    Streaming {
        multi_value: bool,
    },
}

/// Decides, per invocation, whether a response can stream: in `response_stream` mode, when the source can
/// take a stream ([`Source::streaming`]). Everything else answers buffered, whatever the invoke mode.
pub(crate) fn response_mode(config: &Config, kind: &Source) -> ResponseMode {
    match (config.invoke_mode, kind.streaming(config.apigw_rest_streaming)) {
        (InvokeMode::ResponseStream, Some(streaming)) => ResponseMode::Streaming {
            multi_value: streaming.multi_value,
        },
        _ => ResponseMode::Buffered,
    }
}

/// An invocation's answer, ready to post in the mode its source takes.
enum Answer {
    /// One document: a buffered answer, a WebSocket event's, or a pass-through event's body.
    Document(bytes::Bytes),
    /// Lambda's streaming format: prelude, separator, the app's body as it comes.
    Stream(Body),
}

/// What failed: the invocation (reported to Lambda) or the Runtime API itself (only logged).
enum Failed {
    Invocation(AdapterError),
    Runtime(crate::runtime_api::RuntimeError),
}

/// One timer per poller, moved to each invocation's deadline and never awaited: it keeps tokio's time driver
/// from waking itself once per invocation.
///
/// tokio wakes its driver (an `eventfd` write, then an `epoll_wait` that returns only that) whenever a timer is
/// registered earlier than every timer that was pending when the driver last parked. Between invocations nothing
/// else is pending, so each invocation's first deadline timer paid that wake-up. This one stays registered at the
/// previous deadline while the poller waits for `next`; the next invocation's deadline is later, so its timers
/// register without a wake-up, and moving this one later only extends it in place. A deadline that passes while
/// idle just expires it, with no task to wake. strace, sequential invocations: 13 system calls each before, 12
/// after, as many as the bare protocol loop.
pub(crate) struct DeadlineAnchor(Pin<Box<Sleep>>);

impl DeadlineAnchor {
    pub(crate) fn new() -> Self {
        // Not registered until the first invocation sets it.
        Self(Box::pin(tokio::time::sleep_until(Instant::now())))
    }
}

/// The adapter's invocation handler.
pub(crate) struct Adapter {
    config: Config,
    runtime: RuntimeClient,
    app: AppClient,
    options: TranslateOptions,
    readiness: Readiness,
    ready: AtomicBool,
    /// Layers over the app's response, before either mode encodes it.
    layers: Layers,
    /// The WebSocket bridge: the invocations in progress and their pushes.
    ws: Arc<ws::Bridge>,
}

impl Adapter {
    /// An adapter for an app not yet known to be ready: [`Adapter::wait_ready`] checks, and otherwise the first
    /// invocation waits for it.
    pub(crate) fn new(config: Config, runtime: RuntimeClient, options: TranslateOptions) -> Self {
        Adapter {
            readiness: Readiness::new(&config),
            app: AppClient::new(&config),
            ws: ws::Bridge::new(config.ws.clone()),
            layers: Layers::from_config(&config),
            config,
            runtime,
            options,
            ready: AtomicBool::new(false),
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// Waits for the app until `until` (or for ever), and remembers when it is ready.
    pub(crate) async fn wait_ready(&self, until: Option<Instant>) -> Result<(), NotReady> {
        self.readiness.wait(until).await?;
        self.ready.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// The WebSocket bridge, whose `@connections` server [`ws::callback::start`] serves.
    pub(crate) fn ws(&self) -> &Arc<ws::Bridge> {
        &self.ws
    }

    /// Handles one invocation, whatever happens.
    pub(crate) async fn handle(&self, invocation: Invocation, anchor: &mut DeadlineAnchor) {
        let span = tracing::info_span!("invoke", request_id = %invocation.context.request_id);
        async {
            let started = std::time::Instant::now();
            let ctx = &invocation.context;
            let deadline = instant_after(ctx.remaining().saturating_sub(DEADLINE_MARGIN));
            anchor.0.as_mut().reset(deadline);
            let (outcome, pushes) = match self.prepare(&invocation, deadline).await {
                Ok(app_request) => {
                    // Pushes the app makes for this invocation hold its completion, and no other's.
                    let pushes = self.ws.begin(&ctx.request_id, app_request.websocket.as_ref());
                    let answer = self.process(&invocation, app_request, &pushes, deadline).await;
                    let outcome = self.post(ctx, answer, &pushes, deadline).await;
                    (outcome, Some(pushes))
                }
                Err(error) => (Err(Failed::Invocation(error)), None),
            };
            match outcome {
                Ok(()) => tracing::debug!(elapsed_us = started.elapsed().as_micros() as u64, "invocation done"),
                // Lambda gave up on the invocation (it timed out, or the post is stale), or the client of a stream
                // went away: nothing to retry, and the next invocation is served.
                Err(Failed::Runtime(error)) if error.status == Some(http::StatusCode::GONE) => tracing::warn!(
                    "Lambda no longer takes this invocation's answer (410 Gone: timed out, stale, or its client left): {error}"
                ),
                Err(Failed::Runtime(error)) => tracing::error!("{error}"),
                Err(Failed::Invocation(error)) => {
                    tracing::error!("invocation failed: {error}");
                    match self.runtime.error(ctx, &error.diagnostic()).await {
                        Ok(()) => {}
                        Err(post) if post.status == Some(http::StatusCode::GONE) => {
                            tracing::warn!("Lambda no longer takes this invocation's error (410 Gone: timed out or stale): {post}")
                        }
                        Err(post) => tracing::error!("could not report the failure: {post}"),
                    }
                }
            }
            // The answer is Lambda's; the app's work after it (wait-until holds) keeps the next `next` back.
            if let Some(pushes) = pushes {
                pushes.release_holds(deadline).await;
            }
        }
        .instrument(span)
        .await
    }

    /// Waits for the app when init did not, and translates the event.
    async fn prepare(&self, invocation: &Invocation, deadline: Instant) -> Result<sources::AppRequest, AdapterError> {
        if !self.ready.load(Ordering::Relaxed) {
            self.wait_until_ready(deadline).await?;
        }
        sources::translate(&invocation.event, &invocation.context, &self.options)
    }

    /// Posts the answer, or reports the failure. The one place an invocation's pushes are settled: before a
    /// document or an error (Lambda may freeze the sandbox as soon as it has either), after a stream (which
    /// they must not hold back).
    async fn post(
        &self,
        ctx: &crate::context::InvocationContext,
        answer: Result<Answer, AdapterError>,
        pushes: &ws::InvocationPushes,
        deadline: Instant,
    ) -> Result<(), Failed> {
        match answer {
            Ok(Answer::Document(payload)) => {
                pushes.settle(deadline).await;
                self.runtime.respond(ctx, payload).await.map_err(Failed::Runtime)
            }
            Ok(Answer::Stream(body)) => {
                let posted = self.runtime.respond_streaming(ctx, body).await.map_err(Failed::Runtime);
                pushes.settle(deadline).await;
                posted
            }
            Err(error) => {
                pushes.settle(deadline).await;
                Err(Failed::Invocation(error))
            }
        }
    }

    /// Calls the app and makes its answer, in the mode the source takes (decided once, here). `invocation`
    /// is what `app_request` was translated from, translated again only if the request must be sent again.
    async fn process(
        &self,
        invocation: &Invocation,
        app_request: sources::AppRequest,
        pushes: &ws::InvocationPushes,
        deadline: Instant,
    ) -> Result<Answer, AdapterError> {
        let sources::AppRequest { kind, request, websocket } = app_request;
        let mode = response_mode(&self.config, kind);
        let method = request.method().clone();
        let target = [method.as_str(), request.uri().path()].join(" ");
        // Layers shape HTTP answers; a WebSocket event's answer becomes a frame or a handshake answer instead.
        let head = (!self.layers.is_empty() && websocket.is_none()).then(|| RequestHead {
            method: method.clone(),
            headers: request.headers().clone(),
            streaming: matches!(mode, ResponseMode::Streaming { .. }),
        });
        let hooks = &self.config.snapstart_hooks;
        if request
            .uri()
            .path_and_query()
            .is_some_and(|pq| crate::snapstart::is_hook(hooks, pq.as_str()))
        {
            // The SnapStart hooks are the adapter's to call; a client asking for one never reaches the app.
            tracing::warn!("refused {target}: a SnapStart hook path (403)");
            let mut forbidden = http::Response::new(body::full("Forbidden"));
            *forbidden.status_mut() = http::StatusCode::FORBIDDEN;
            return answer(mode, kind, &method, forbidden, deadline).await;
        }
        // Translation is a function of the event, its context and the settings: it makes the same request.
        let again = || {
            sources::translate(&invocation.event, &invocation.context, &self.options)
                .ok()
                .map(|translated| translated.request)
        };
        let response = match tokio::time::timeout_at(deadline, self.app.send(request, &target, again)).await {
            Err(_) => {
                return Err(AdapterError::new(
                    ErrorKind::DeadlineReached,
                    format!("the app did not answer {target} before the invocation's deadline"),
                ));
            }
            Ok(result) => result?,
        };
        let response = match &head {
            Some(head) => self.layers.apply(head, response),
            None => response,
        };
        let status = response.status().as_u16();
        tracing::debug!(kind = kind.name(), status, "{target}");
        if let Some(event) = &websocket {
            return self
                .websocket_answer(event, &target, response, pushes, deadline)
                .await
                .map(Answer::Document);
        }
        if self.config.error_status_codes.as_ref().is_some_and(|codes| codes.contains(status)) {
            let why = "listed in ERROR_STATUS_CODES";
            return Err(failing_status(&target, status, why, response).await);
        }
        if !kind.is_http() && !(200..300).contains(&status) && !self.config.pass_through_any_status {
            // A queue or stream deletes a message whose invocation succeeded: the app's failure must be
            // the invocation's, so the source retries it and its dead-letter queue sees it.
            let why = "outside 2xx for a non-HTTP event, which fails it so its source retries \
                       (LWA_PASS_THROUGH_ANY_STATUS=true posts such answers as results)";
            return Err(failing_status(&target, status, why, response).await);
        }
        answer(mode, kind, &method, response, deadline).await
    }

    /// The Lambda document for a WebSocket event's answer, after posting its reply when configured to.
    /// `ERROR_STATUS_CODES` does not apply: a rejected `$connect` is an answer, not a failure.
    async fn websocket_answer(
        &self,
        event: &WsEvent,
        target: &str,
        response: http::Response<Body>,
        pushes: &ws::InvocationPushes,
        deadline: Instant,
    ) -> Result<bytes::Bytes, AdapterError> {
        let (parts, body) = response.into_parts();
        let body = buffered::collect(body, deadline, &format!("answer to {target}")).await?;
        let decision = answer::decide(event, self.config.ws.reply, target, parts.status.as_u16(), &parts.headers, body)?;
        for warning in &decision.warnings {
            tracing::warn!("{warning}");
        }
        if let Some(data) = decision.post {
            ws::reply::post_reply(pushes, event, data).await?;
        }
        Ok(decision.document)
    }

    /// With async init the app may still be starting when the first invocation comes.
    async fn wait_until_ready(&self, deadline: Instant) -> Result<(), AdapterError> {
        self.wait_ready(Some(deadline)).await.map_err(|not_ready| {
            AdapterError::new(
                ErrorKind::AppNotReady,
                format!(
                    "the app was still not ready when the invocation's deadline came ({} → {})",
                    not_ready.target, not_ready.last
                ),
            )
        })
    }
}

/// `response` as the answer in `mode`: the source's document, or a stream.
async fn answer(
    mode: ResponseMode,
    kind: &Source,
    method: &http::Method,
    response: http::Response<Body>,
    deadline: Instant,
) -> Result<Answer, AdapterError> {
    match mode {
        ResponseMode::Buffered => buffered::encode_response(kind.format(), method, response, deadline)
            .await
            .map(Answer::Document),
        ResponseMode::Streaming { multi_value } => Ok(Answer::Stream(stream::response_body(response, multi_value, deadline))),
    }
}

/// How much of a failing answer's body goes into the error message, and how long it is waited for.
const EXCERPT_BYTES: usize = 4096;
const EXCERPT_WAIT: Duration = Duration::from_millis(100);

/// The invocation fails with the app's status (`why` it fails) and a short excerpt of its body: at most
/// [`EXCERPT_BYTES`] are read, however much the app sends.
async fn failing_status(target: &str, status: u16, why: &str, response: http::Response<Body>) -> AdapterError {
    let body = body_start(response.into_body(), EXCERPT_BYTES, EXCERPT_WAIT).await;
    let excerpt: String = String::from_utf8_lossy(&body).chars().take(200).collect();
    let failed = format!("the app answered {target} with status {status}, {why}");
    let message = if excerpt.trim().is_empty() {
        failed
    } else {
        format!("{failed}: {excerpt}")
    };
    AdapterError::new(ErrorKind::AppErrorStatus, message)
}

/// The first `limit` bytes of `body`, or fewer if it ends, fails or `wait` passes first.
async fn body_start(mut body: Body, limit: usize, wait: Duration) -> Vec<u8> {
    let until = instant_after(wait);
    let mut start = Vec::new();
    while start.len() < limit {
        match tokio::time::timeout_at(until, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let room = limit.saturating_sub(start.len());
                    start.extend_from_slice(data.get(..room).unwrap_or(data));
                }
            }
            _ => break,
        }
    }
    start
}

#[cfg(test)]
#[path = "invoke_tests.rs"]
mod tests;
