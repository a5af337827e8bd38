//! Plumbing shared by the example apps: the accept loop, query parameters, response helpers and the
//! deterministic byte patterns.
//!
//! The examples are what the adapter sits in front of, so they behave like a well-mannered production app:
//! `HOST`/`PORT` from the environment (as the adapter's readiness check expects), TCP_NODELAY so small
//! streamed frames are not held back by Nagle, HTTP/1.1 keep-alive (the adapter reuses one connection across
//! invocations), one task per connection, and bodies streamed frame by frame. No header-read timer is set:
//! Lambda freezes the sandbox between invocations, and an idle keep-alive connection must survive that.
//!
//! Each example uses only part of this module, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod pattern;

use bytes::Bytes;
use futures::Stream;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;
use tokio::net::TcpListener;

/// The error a streamed response body may yield; hyper aborts the connection when it sees one.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Every response body in the examples: a fixed buffer, nothing, or a stream of frames.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;
/// A response as the handlers return it.
pub type Response = hyper::Response<Body>;

/// Runs `handler` for every request on `HOST:PORT` (defaults `127.0.0.1:8080`) until the process is killed.
/// `name` starts the one start-up log line, `{name} listening on http://{address}`; with `PORT=0` the line
/// carries the port the system picked, which is what tests read.
pub fn run<F, Fut>(name: &'static str, handler: F)
where
    F: Fn(Request<Incoming>) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{name}: cannot start the async runtime: {error}");
            std::process::exit(1);
        }
    };
    if let Err(message) = runtime.block_on(serve(name, handler)) {
        eprintln!("{name}: {message}");
        std::process::exit(1);
    }
}

async fn serve<F, Fut>(name: &'static str, handler: F) -> Result<(), String>
where
    F: Fn(Request<Incoming>) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let host = std::env::var("HOST")
        .ok()
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "127.0.0.1".to_string());
    let port = match std::env::var("PORT") {
        Ok(value) => value
            .trim()
            .parse::<u16>()
            .map_err(|_| format!("PORT={value:?} is not a port number (0-65535)"))?,
        Err(_) => 8080,
    };
    let listener = TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|error| format!("cannot listen on {host}:{port}: {error}"))?;
    let address = listener
        .local_addr()
        .map_err(|error| format!("cannot read the listening address: {error}"))?;
    eprintln!("{name} listening on http://{address}");

    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Usually out of file descriptors: back off instead of spinning, keep serving the others.
                eprintln!("{name}: accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if let Err(error) = stream.set_nodelay(true) {
            eprintln!("{name}: cannot set TCP_NODELAY for {peer}: {error}");
        }
        tokio::spawn(async move {
            let service = service_fn(move |request| async move { Ok::<_, Infallible>(handler(request).await) });
            if let Err(error) = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                let cause = std::error::Error::source(&error)
                    .map(|cause| format!(": {cause}"))
                    .unwrap_or_default();
                eprintln!("{name}: connection from {peer} ended with an error: {error}{cause}");
            }
        });
    }
}

/// The raw query string of a request, read one parameter at a time. Values are not percent-decoded: every
/// parameter the examples take is a number or a flag.
pub struct Query<'a>(&'a str);

impl<'a> Query<'a> {
    pub fn of<B>(request: &'a Request<B>) -> Self {
        Query(request.uri().query().unwrap_or(""))
    }

    /// The first value of `name` (`""` for a bare `name` without `=`), if present.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.0.split('&').find_map(|pair| match pair.split_once('=') {
            Some((key, value)) if key == name => Some(value),
            None if pair == name => Some(""),
            _ => None,
        })
    }

    /// `name` parsed as a `T`, `default` when absent, or a [`BadRequest`] naming the parameter when malformed.
    pub fn parse<T: FromStr>(&self, name: &str, default: T) -> Result<T, BadRequest> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|_| BadRequest(format!("invalid value for query parameter `{name}`: {raw:?}"))),
        }
    }

    /// Like [`Query::parse`], and also a [`BadRequest`] when the value is outside `min..=max`.
    pub fn bounded<T: FromStr + PartialOrd + std::fmt::Display>(&self, name: &str, default: T, min: T, max: T) -> Result<T, BadRequest> {
        let value = self.parse(name, default)?;
        if value < min || value > max {
            return Err(BadRequest(format!(
                "query parameter `{name}` must be between {min} and {max}, got {value}"
            )));
        }
        Ok(value)
    }
}

/// A body holding `bytes` in one frame.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

/// A body with no bytes at all.
pub fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// A body that sends each item of `frames` as it is produced, so nothing larger than one frame is held.
pub fn streamed<S>(frames: S) -> Body
where
    S: Stream<Item = Result<Frame<Bytes>, BoxError>> + Send + 'static,
{
    StreamBody::new(frames).boxed_unsync()
}

/// A response with `body` and the given content type.
pub fn with_type(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A `text/plain` response.
pub fn text(status: StatusCode, body: impl Into<Bytes>) -> Response {
    with_type(status, "text/plain", full(body))
}

/// Why a request is refused: bad input never panics, it gets a 400 whose body names the problem.
#[derive(Debug)]
pub struct BadRequest(pub String);

impl BadRequest {
    pub fn into_response(self) -> Response {
        text(StatusCode::BAD_REQUEST, format!("bad request: {}\n", self.0))
    }
}

/// What a route that reads its input returns; [`BadRequest::into_response`] turns the refusal into a 400.
pub type Handled = Result<Response, BadRequest>;

/// A 404 `not found`.
pub fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "not found")
}

/// A 405 naming the one method the route takes.
pub fn method_not_allowed(allowed: &'static str) -> Response {
    let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    response
        .headers_mut()
        .insert(hyper::header::ALLOW, HeaderValue::from_static(allowed));
    response
}

/// Microseconds since the UNIX epoch, for timestamps that let a client measure how spread out frames are.
pub fn now_us() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_micros())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(uri: &str) -> Request<()> {
        Request::builder().uri(uri).body(()).unwrap()
    }

    #[test]
    fn query_parameters_are_found_raw_and_first_wins() {
        let request = query("/x?size=10&flag&chunk=%31&size=20");
        let params = Query::of(&request);
        assert_eq!(params.get("size"), Some("10"));
        assert_eq!(params.get("flag"), Some(""));
        assert_eq!(params.get("chunk"), Some("%31"));
        assert_eq!(params.get("missing"), None);
    }

    #[test]
    fn parse_defaults_and_rejects() {
        let request = query("/x?n=7&bad=x&big=99");
        let params = Query::of(&request);
        assert_eq!(params.parse("n", 3u32).ok(), Some(7));
        assert_eq!(params.parse("absent", 3u32).ok(), Some(3));
        assert!(params.parse("bad", 3u32).is_err_and(|refusal| refusal.0.contains("`bad`")));
        let refusal = params.bounded("big", 1u32, 1, 10).unwrap_err();
        assert_eq!(refusal.into_response().status(), StatusCode::BAD_REQUEST);
        let no_query = query("/x");
        assert_eq!(Query::of(&no_query).get("n"), None);
    }
}
