//! The emulator's HTTP side: one handler per Runtime API and Extensions API route, and the parsing of
//! streamed responses (prelude, body, trailers) into what [`super::Emulator::invoke`] hands its caller.

use super::*;

fn reply(status: StatusCode, body: impl Into<Bytes>) -> ServerResponse {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    response
}

fn error_reply(status: StatusCode, error_type: &str, message: &str) -> ServerResponse {
    reply(status, json!({"errorType": error_type, "errorMessage": message}).to_string())
}

fn accepted() -> ServerResponse {
    reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

pub(super) async fn route(shared: &Arc<Shared>, request: Request<Incoming>) -> ServerResponse {
    if let Err(refused) = crate::dev::loopback::check(request.uri(), request.headers(), shared.port) {
        let status = refused.status();
        tracing::warn!(
            "Runtime API: a {} request was refused with {status}: {}",
            request.method(),
            refused.reason()
        );
        return error_reply(status, "Runtime.Refused", refused.reason());
    }
    let path = request.uri().path().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (request.method(), segments.as_slice()) {
        (&Method::GET, ["2018-06-01", "runtime", "invocation", "next"]) => next(shared).await,
        (&Method::POST, ["2018-06-01", "runtime", "invocation", id, "response"]) => {
            let id = id.to_string();
            response(shared, &id, request).await
        }
        (&Method::POST, ["2018-06-01", "runtime", "invocation", id, "error"]) => {
            let id = id.to_string();
            if let Some(stale) = check_invocation_id(shared, &id, request.headers()) {
                return stale;
            }
            let report = read_error(request).await;
            match take(shared, &id) {
                Some(in_flight) => {
                    let _ = in_flight.outcome.send(Outcome::Error(report));
                    lock(&shared.stream_slots).remove(&id);
                    accepted()
                }
                None => unknown_id(&id),
            }
        }
        (&Method::GET, ["2018-06-01", "runtime", "restore", "next"]) => {
            // SnapStart: the runtime's init is over; a real environment is snapshotted here and restored later.
            tracing::info!("SnapStart: init done, snapshot taken; restoring (simulated)");
            shared.restores.fetch_add(1, Ordering::Relaxed);
            reply(StatusCode::OK, "")
        }
        (&Method::POST, ["2018-06-01", "runtime", "restore", "error"]) => {
            let report = read_error(request).await;
            shared.init_error.send_replace(Some(report));
            accepted()
        }
        (&Method::POST, ["2018-06-01", "runtime", "init", "error"]) => {
            let report = read_error(request).await;
            shared.init_error.send_replace(Some(report));
            accepted()
        }
        (&Method::POST, ["2020-01-01", "extension", "register"]) => {
            let name = request
                .headers()
                .get("lambda-extension-name")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            if name.is_empty() {
                return error_reply(
                    StatusCode::BAD_REQUEST,
                    "Extension.InvalidName",
                    "missing Lambda-Extension-Name header",
                );
            }
            let id = request_id(shared.counter.fetch_add(1, Ordering::Relaxed));
            lock(&shared.extensions).push(id.clone());
            let mut response = reply(
                StatusCode::OK,
                json!({"functionName": shared.function.name, "functionVersion": "$LATEST", "handler": name}).to_string(),
            );
            if let Ok(id) = http::HeaderValue::from_str(&id) {
                response.headers_mut().insert("lambda-extension-identifier", id);
            }
            response
        }
        (&Method::GET, ["2020-01-01", "extension", "event", "next"]) => {
            let mut shutdown = shared.shutdown.subscribe();
            let reason = shutdown
                .wait_for(Option::is_some)
                .await
                .map(|r| r.clone().unwrap_or_default())
                .unwrap_or_default();
            reply(
                StatusCode::OK,
                json!({"eventType": "SHUTDOWN", "shutdownReason": reason, "deadlineMs": now_ms().saturating_add(2000)}).to_string(),
            )
        }
        (&Method::POST, ["2020-01-01", "extension", "init" | "exit", "error"]) => accepted(),
        _ => error_reply(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("no such Runtime API route: {} {path}", request.method()),
        ),
    }
}

/// A post for an invocation that was given an invocation id must echo it: anything else is a stale post
/// (from an invocation that timed out, whose request id came back), refused with 410 as Lambda does. The
/// refusal, if any.
fn check_invocation_id(shared: &Shared, id: &str, headers: &http::HeaderMap) -> Option<ServerResponse> {
    let in_flight = lock(&shared.in_flight);
    let expected = in_flight.get(id).and_then(|f| f.invocation_id.as_deref())?;
    let echoed = headers.get(INVOCATION_ID_HEADER).and_then(|v| v.to_str().ok());
    if echoed == Some(expected) {
        return None;
    }
    let message = match echoed {
        Some(other) => format!("Lambda-Runtime-Invocation-Id {other:?} is not invocation {id}'s ({expected:?})"),
        None => format!("the post for invocation {id} does not echo its Lambda-Runtime-Invocation-Id"),
    };
    Some(error_reply(StatusCode::GONE, "ErrorRuntimeInvokeTimeout", &message))
}

fn take(shared: &Shared, id: &str) -> Option<InFlight> {
    lock(&shared.in_flight).remove(id)
}

fn unknown_id(id: &str) -> ServerResponse {
    error_reply(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        &format!("no invocation {id} is in flight (answered already, or timed out)"),
    )
}

async fn next(shared: &Arc<Shared>) -> ServerResponse {
    shared.polling.send_replace(true);
    let mut queue = shared.queue_rx.lock().await;
    loop {
        let Some(pending) = queue.recv().await else {
            return error_reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Emulator.Closed",
                "the emulator is shutting down",
            );
        };
        if pending.deadline <= Instant::now() || !lock(&shared.in_flight).contains_key(&pending.request_id) {
            continue;
        }
        let mut response = reply(StatusCode::OK, pending.event);
        let headers = response.headers_mut();
        let trace = pending.trace.unwrap_or_else(|| default_trace(&pending.request_id));
        for (name, value) in [
            ("lambda-runtime-aws-request-id", pending.request_id.clone()),
            ("lambda-runtime-deadline-ms", pending.deadline_ms.to_string()),
            ("lambda-runtime-invoked-function-arn", shared.function.arn.clone()),
            ("lambda-runtime-trace-id", trace),
        ]
        .into_iter()
        .chain(pending.invocation_id.map(|id| (INVOCATION_ID_HEADER, id)))
        {
            if let Ok(value) = http::HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        return response;
    }
}

/// A trace header as Lambda sends it without active tracing: a root from the time and the request id, the
/// request id's next 16 hex digits as the parent span, not sampled.
fn default_trace(request_id: &str) -> String {
    let hex: String = request_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .chain(std::iter::repeat('1'))
        .take(40)
        .collect();
    let (random, parent) = hex.split_at(24);
    format!("Root=1-{:08x}-{random};Parent={parent};Sampled=0", now_ms() / 1000)
}

async fn read_error(request: Request<Incoming>) -> ErrorReport {
    let error_type = request
        .headers()
        .get(ERROR_TYPE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Unhandled")
        .to_string();
    let body = Limited::new(request.into_body(), MAX_PAYLOAD)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    ErrorReport { error_type, body }
}

async fn response(shared: &Arc<Shared>, id: &str, request: Request<Incoming>) -> ServerResponse {
    let streaming = request
        .headers()
        .get("lambda-runtime-function-response-mode")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"streaming"));
    if let Some(stale) = check_invocation_id(shared, id, request.headers()) {
        return stale;
    }
    let Some(in_flight) = take(shared, id) else { return unknown_id(id) };
    if streaming {
        let slot = lock(&shared.stream_slots).remove(id);
        return stream(in_flight, slot, request.into_body()).await;
    }
    let result = Limited::new(request.into_body(), MAX_PAYLOAD).collect().await;
    // The runtime has answered: the slot is free whether or not the caller still waits.
    lock(&shared.stream_slots).remove(id);
    match result {
        Ok(body) => {
            let _ = in_flight.outcome.send(Outcome::Response(body.to_bytes()));
            accepted()
        }
        Err(error) => {
            let message = if error.is::<http_body_util::LengthLimitError>() {
                format!("Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes).")
            } else {
                format!("the response body failed: {error}")
            };
            let _ = in_flight
                .outcome
                .send(Outcome::Error(ErrorReport::new("Function.ResponseSizeTooLarge", &message)));
            error_reply(StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge", &message)
        }
    }
}

async fn stream(in_flight: InFlight, slot: Option<OwnedSemaphorePermit>, mut body: Incoming) -> ServerResponse {
    let deadline = in_flight.deadline;
    let mut parser = PreludeParser::default();
    let timed_out = || {
        ErrorReport::new(
            "Sandbox.Timedout",
            "Task timed out: the invocation's deadline passed while the response was streaming",
        )
    };
    // The prelude.
    let (prelude, rest) = loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return stream_failed(in_flight, timed_out()),
            Ok(None) => {
                let message = format!(
                    "the streamed response ended after {} bytes, before its prelude was complete",
                    parser.seen()
                );
                return stream_failed(in_flight, ErrorReport::new("Runtime.InvalidStreamingResponse", &message));
            }
            Ok(Some(Err(error))) => return stream_failed(in_flight, ErrorReport::new("Runtime.StreamBroken", &error.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        match frame.into_data() {
            Ok(data) => match parser.push(&data) {
                Ok(Parsed::NeedMore) => continue,
                Ok(Parsed::Done { prelude, rest }) => break (prelude, rest),
                Err(too_long) => {
                    return stream_failed(
                        in_flight,
                        ErrorReport::new("Runtime.InvalidStreamingResponse", &too_long.to_string()),
                    );
                }
            },
            Err(frame) => {
                let report = frame.into_trailers().ok().and_then(|t| trailer_error(&t));
                return stream_failed(
                    in_flight,
                    report.unwrap_or_else(|| ErrorReport::new("Runtime.InvalidStreamingResponse", "trailers before the prelude")),
                );
            }
        }
    };
    let (tx, rx) = mpsc::channel(4);
    let Some(slot) = slot else {
        return error_reply(StatusCode::BAD_REQUEST, "InvalidRequestID", "the invocation is no longer waiting");
    };
    if in_flight
        .outcome
        .send(Outcome::Streaming(Streamed {
            prelude,
            body: rx,
            _slot: slot,
        }))
        .is_err()
    {
        return error_reply(StatusCode::GONE, "ClientGone", "the invoker went away");
    }
    if !rest.is_empty() && tx.send(StreamItem::Data(rest)).await.is_err() {
        return client_gone();
    }
    // The body.
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                let _ = tx.send(StreamItem::Error(timed_out())).await;
                return error_reply(StatusCode::GONE, "Sandbox.Timedout", "the invocation's deadline passed");
            }
            Ok(None) => return accepted(),
            Ok(Some(Err(error))) => {
                let _ = tx
                    .send(StreamItem::Error(ErrorReport::new("Runtime.StreamBroken", &error.to_string())))
                    .await;
                return accepted();
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let item = match frame.into_data() {
            Ok(data) if data.is_empty() => continue,
            Ok(data) => StreamItem::Data(data),
            Err(frame) => match frame.into_trailers().ok().and_then(|t| trailer_error(&t)) {
                Some(report) => StreamItem::Error(report),
                None => continue,
            },
        };
        if tx.send(item).await.is_err() {
            return client_gone();
        }
    }
}

/// The client stopped reading: answering now (with the body unread) makes hyper close the runtime's
/// connection, which is how the runtime learns to stop.
fn client_gone() -> ServerResponse {
    error_reply(
        StatusCode::GONE,
        "ClientDisconnected",
        "the client went away before the stream ended",
    )
}

fn stream_failed(in_flight: InFlight, report: ErrorReport) -> ServerResponse {
    let _ = in_flight.outcome.send(Outcome::Error(report));
    accepted()
}

fn trailer_error(trailers: &http::HeaderMap) -> Option<ErrorReport> {
    let error_type = trailers.get(ERROR_TYPE_HEADER)?.to_str().ok()?.to_string();
    let body = trailers
        .get(ERROR_BODY_TRAILER)
        .and_then(|v| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, v.as_bytes()).ok())
        .unwrap_or_default();
    Some(ErrorReport {
        error_type,
        body: Bytes::from(body),
    })
}
