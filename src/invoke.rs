//! One invocation, from event to posted response: translate, call the app, answer in the mode the event
//! source can take.
//!
//! Every failure ends as a Runtime API error call with a precise message, and the loop goes on to the next
//! invocation: nothing here can take the process down.

use http_body_util::BodyExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::Instant;
use tracing::Instrument;

use crate::buffered;
use crate::config::{Config, InvokeMode};
use crate::context::instant_after;
use crate::error::{AdapterError, ErrorKind, chain};
use crate::http_client::{self, HttpClient};
use crate::readiness::Readiness;
use crate::runtime_api::{Invocation, RuntimeClient};
use crate::stream;
use crate::translate::{self, EventKind, TranslateOptions};
use crate::ws;

/// Time kept before Lambda's deadline to end a stream cleanly or report an error.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(200);

/// How an event source takes its response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseMode {
    Buffered,
    /// Streamed; `multi_value` adds `multiValueHeaders` to the prelude (REST API streaming).
    Streaming {
        multi_value: bool,
    },
}

/// Decides, per invocation, whether a response can stream: only Function URLs, and REST APIs when the user
/// says their integration streams. Everything else answers buffered, whatever the invoke mode.
pub fn response_mode(config: &Config, kind: EventKind) -> ResponseMode {
    match (config.invoke_mode, kind) {
        (InvokeMode::ResponseStream, EventKind::FunctionUrl) => ResponseMode::Streaming { multi_value: false },
        (InvokeMode::ResponseStream, EventKind::RestApi) if config.apigw_rest_streaming => ResponseMode::Streaming { multi_value: true },
        _ => ResponseMode::Buffered,
    }
}

/// What failed: the invocation (reported to Lambda) or the Runtime API itself (only logged).
enum Failure {
    Invocation(AdapterError),
    Runtime(crate::runtime_api::RuntimeError),
}

impl From<AdapterError> for Failure {
    fn from(error: AdapterError) -> Self {
        Failure::Invocation(error)
    }
}

/// The adapter's invocation handler.
pub struct Adapter {
    config: Config,
    runtime: RuntimeClient,
    app: HttpClient,
    options: TranslateOptions,
    readiness: Readiness,
    ready: AtomicBool,
    /// The WebSocket bridge: its last-seen API and the pushes in flight.
    ws: Arc<ws::Bridge>,
}

impl Adapter {
    pub fn new(config: Config, runtime: RuntimeClient, options: TranslateOptions, ready: bool) -> Self {
        Adapter {
            readiness: Readiness::new(&config),
            app: http_client::app_client(),
            ws: ws::Bridge::new(config.ws.clone()),
            config,
            runtime,
            options,
            ready: AtomicBool::new(ready),
        }
    }

    /// The WebSocket bridge, whose `@connections` server [`ws::callback::start`] serves.
    pub fn ws(&self) -> &Arc<ws::Bridge> {
        &self.ws
    }

    /// Handles one invocation, whatever happens.
    pub async fn handle(&self, invocation: Invocation) {
        let span = tracing::info_span!("invoke", request_id = %invocation.context.request_id);
        async {
            let started = std::time::Instant::now();
            match self.process(&invocation).await {
                Ok(()) => tracing::debug!(elapsed_us = started.elapsed().as_micros() as u64, "invocation done"),
                // A client that disconnects mid-stream is normal: the Runtime API ends the post early.
                Err(Failure::Runtime(error)) if error.status == Some(http::StatusCode::GONE) => {
                    tracing::info!("the client went away before the response ended ({error})")
                }
                Err(Failure::Runtime(error)) => tracing::error!("{error}"),
                Err(Failure::Invocation(error)) => {
                    tracing::error!("invocation failed: {error}");
                    self.ws.settle(instant_after(invocation.context.remaining())).await;
                    if let Err(post) = self.runtime.error(&invocation.context.request_id, &error.diagnostic()).await {
                        tracing::error!("could not report the failure: {post}");
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    async fn process(&self, invocation: &Invocation) -> Result<(), Failure> {
        let ctx = &invocation.context;
        let deadline = instant_after(ctx.remaining().saturating_sub(DEADLINE_MARGIN));
        if !self.ready.load(Ordering::Relaxed) {
            self.wait_until_ready(deadline).await?;
        }
        let app_request = translate::translate(&invocation.event, ctx, &self.options)?;
        let kind = app_request.kind;
        let ws_event = app_request.request.extensions().get::<ws::WsEvent>().cloned();
        if let Some(event) = &ws_event {
            self.ws.observe(event);
        }
        let method = app_request.request.method().clone();
        let target = format!("{} {}", method, app_request.request.uri().path());
        let request = app_request.request.map(http_client::full);
        let response = match tokio::time::timeout_at(deadline, self.app.request(request)).await {
            Err(_) => {
                return Err(AdapterError::new(
                    ErrorKind::DeadlineReached,
                    format!("the app did not answer {target} before the invocation's deadline"),
                )
                .into());
            }
            Ok(Err(error)) => return Err(app_failed(&self.options.app, &target, &error).into()),
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        tracing::debug!(kind = kind.name(), status, "{target}");
        if self.config.error_status_codes.as_ref().is_some_and(|codes| codes.contains(status)) {
            let body = tokio::time::timeout(Duration::from_millis(100), response.into_body().collect()).await;
            let excerpt = match body {
                Ok(Ok(body)) => String::from_utf8_lossy(&body.to_bytes()[..]).chars().take(200).collect::<String>(),
                _ => String::new(),
            };
            let message = format!("the app answered {target} with status {status}, listed in ERROR_STATUS_CODES: {excerpt}");
            return Err(AdapterError::new(ErrorKind::AppErrorStatus, message.trim_end_matches([' ', ':'])).into());
        }
        let request_id = &ctx.request_id;
        // Pushes the app started during the invocation finish before it completes (ws::inflight).
        if let Some(event) = &ws_event {
            let payload = ws::reply::answer(&self.ws, event, &target, response, deadline).await?;
            self.ws.settle(deadline).await;
            return self.runtime.respond(request_id, payload).await.map_err(Failure::Runtime);
        }
        match response_mode(&self.config, kind) {
            ResponseMode::Buffered => {
                let payload = buffered::encode_response(kind, &method, response, deadline).await?;
                self.ws.settle(deadline).await;
                self.runtime.respond(request_id, payload).await.map_err(Failure::Runtime)
            }
            ResponseMode::Streaming { multi_value } => {
                let body = stream::response_body(response, multi_value, deadline);
                let posted = self.runtime.respond_streaming(request_id, body).await.map_err(Failure::Runtime);
                self.ws.settle(deadline).await;
                posted
            }
        }
    }

    /// With async init the app may still be starting when the first invocation comes.
    async fn wait_until_ready(&self, deadline: Instant) -> Result<(), AdapterError> {
        match self.readiness.wait(Some(deadline)).await {
            Ok(()) => {
                self.ready.store(true, Ordering::Relaxed);
                Ok(())
            }
            Err(not_ready) => Err(AdapterError::new(
                ErrorKind::AppNotReady,
                format!(
                    "the app was still not ready when the invocation's deadline came ({} → {})",
                    not_ready.target, not_ready.last
                ),
            )),
        }
    }
}

/// The app's request failed before a response head: it could not be reached, or what it sent was not an
/// HTTP/1.1 response head the adapter will read (garbage, or more than [`http_client::MAX_APP_HEADERS`]
/// header lines). Told apart by hyper's error kinds, not by message text.
fn app_failed(app: &http::uri::Authority, target: &str, error: &hyper_util::client::legacy::Error) -> AdapterError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut parse = None;
    while let Some(current) = source {
        if let Some(hyper) = current.downcast_ref::<hyper::Error>()
            && (hyper.is_parse() || hyper.is_parse_too_large() || hyper.is_parse_status())
        {
            parse = Some(hyper.is_parse_too_large());
        }
        source = current.source();
    }
    match parse {
        Some(too_large) => {
            let limit = if too_large {
                format!(" (at most {} header lines are read)", http_client::MAX_APP_HEADERS)
            } else {
                String::new()
            };
            AdapterError::new(
                ErrorKind::InvalidResponse,
                format!(
                    "the app at http://{app} answered {target} with an invalid HTTP response head{limit}: {}",
                    chain(error)
                ),
            )
        }
        None => AdapterError::new(
            ErrorKind::AppUnreachable,
            format!("the app at http://{app} did not answer {target}: {}", chain(error)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn config(mode: &str, rest: bool) -> Config {
        let rest = rest.to_string();
        let mut settings = Settings::new(move |name: &str| match name {
            "LWA_INVOKE_MODE" => Some(mode.to_string()),
            "LWA_APIGW_REST_STREAMING" => Some(rest.clone()),
            _ => None,
        });
        Config::from_settings(&mut settings).unwrap()
    }

    #[test]
    fn only_function_urls_and_opted_in_rest_apis_stream() {
        let streaming = config("response_stream", false);
        assert_eq!(
            response_mode(&streaming, EventKind::FunctionUrl),
            ResponseMode::Streaming { multi_value: false }
        );
        for kind in [
            EventKind::HttpApi,
            EventKind::RestApi,
            EventKind::Alb { multi_value: true },
            EventKind::PassThrough,
            EventKind::WebSocket,
        ] {
            assert_eq!(response_mode(&streaming, kind), ResponseMode::Buffered, "{kind:?}");
        }
        assert_eq!(
            response_mode(&config("response_stream", true), EventKind::RestApi),
            ResponseMode::Streaming { multi_value: true }
        );
        assert_eq!(
            response_mode(&config("buffered", true), EventKind::FunctionUrl),
            ResponseMode::Buffered
        );
    }
}
