//! Each Runtime API and Extensions API call as a small value that becomes an `http::Request`.
//!
//! Building requests is kept apart from sending them so the whole API surface can be read, and tested, in
//! one place without a socket. Paths follow "Using the Lambda runtime API for custom runtimes" and the
//! Extensions API reference; the streaming headers follow the custom-runtime response streaming guide.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, Uri, header};

use super::Endpoint;
use crate::error::Diagnostic;

pub(crate) const RUNTIME: &str = "/2018-06-01/runtime";
pub(crate) const EXTENSION: &str = "/2020-01-01/extension";

/// The extension's name; Lambda requires it to match the file name in `/opt/extensions`.
pub(crate) const EXTENSION_NAME: &str = "lambda-adapter";

pub(crate) const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";
/// Echoed on an invocation's `/response` and `/error` when `next` carried it.
pub(crate) const INVOCATION_ID_HEADER: &str = "lambda-runtime-invocation-id";
pub(crate) const ERROR_BODY_TRAILER: &str = "lambda-runtime-function-error-body";
pub(crate) const STREAMING_CONTENT_TYPE: &str = "application/vnd.awslambda.http-integration-response";

const INVOCATION_ID: HeaderName = HeaderName::from_static(INVOCATION_ID_HEADER);
const ERROR_TYPE: HeaderName = HeaderName::from_static(ERROR_TYPE_HEADER);
const RESPONSE_MODE: HeaderName = HeaderName::from_static("lambda-runtime-function-response-mode");
const EXTENSION_NAME_HEADER: HeaderName = HeaderName::from_static("lambda-extension-name");
const EXTENSION_ID_HEADER: HeaderName = HeaderName::from_static("lambda-extension-identifier");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A call as built: the endpoint was checked at start-up and request ids are percent-encoded, so an error
/// here means a value slipped past those checks; it fails the call with a message instead of the process.
pub(crate) type Built = Result<Request<Bytes>, http::Error>;

/// A request head: method and URI. Requests are built in place rather than through `http::request::Builder`,
/// which moves the whole head through a `Result` at every step (some 3,000 instructions for each
/// invocation's post, callgrind).
fn head(method: Method, url: String) -> Result<Request<()>, http::Error> {
    let uri = Uri::try_from(url)?;
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    Ok(request)
}

/// Adds a header to a head.
fn with(mut request: Request<()>, name: HeaderName, value: HeaderValue) -> Request<()> {
    request.headers_mut().insert(name, value);
    request
}

/// Which invocation a post is about: its request id, and the invocation id `next` gave with it, if any.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PostTarget<'a> {
    pub request_id: &'a str,
    pub invocation_id: Option<&'a str>,
}

impl PostTarget<'_> {
    /// `POST /runtime/invocation/{request id}/{what}`, with the invocation id when there is one.
    fn post(&self, endpoint: &Endpoint, what: &str) -> Result<Request<()>, http::Error> {
        let url = endpoint.url(&[RUNTIME, "/invocation/", &segment(self.request_id), "/", what].concat());
        let request = head(Method::POST, url)?;
        Ok(match self.invocation_id {
            Some(id) => with(request, INVOCATION_ID, HeaderValue::try_from(id)?),
            None => request,
        })
    }
}

/// `GET /runtime/invocation/next`.
pub(crate) fn next_invocation(endpoint: &Endpoint) -> Built {
    Ok(head(Method::GET, endpoint.url(&format!("{RUNTIME}/invocation/next")))?.map(|()| Bytes::new()))
}

/// The URI of `next`, the same for every call: the client parses it once ([`next_invocation_at`]) instead of
/// formatting and parsing it for every invocation (some 5,000 instructions each, callgrind).
pub(crate) fn next_invocation_uri(endpoint: &Endpoint) -> Result<Uri, http::uri::InvalidUri> {
    endpoint.url(&format!("{RUNTIME}/invocation/next")).parse()
}

/// `GET /runtime/invocation/next` at a URI from [`next_invocation_uri`]; cloning it copies nothing.
pub(crate) fn next_invocation_at(uri: &Uri) -> Built {
    let mut request = Request::new(Bytes::new());
    *request.uri_mut() = uri.clone();
    Ok(request)
}

/// `POST /runtime/invocation/{id}/response` with a whole (buffered) payload.
pub(crate) fn invocation_response(endpoint: &Endpoint, invocation: PostTarget, payload: Bytes) -> Built {
    let request = invocation.post(endpoint, "response")?;
    Ok(with(request, header::CONTENT_TYPE, JSON).map(|()| payload))
}

/// The head of a streamed `POST /runtime/invocation/{id}/response`: the body (prelude, separator, chunks,
/// trailers) is attached by the caller.
pub(crate) fn streaming_response_head(endpoint: &Endpoint, invocation: PostTarget) -> Result<Request<()>, http::Error> {
    let mut request = invocation.post(endpoint, "response")?;
    let headers = request.headers_mut();
    headers.insert(RESPONSE_MODE, HeaderValue::from_static("streaming"));
    headers.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(STREAMING_CONTENT_TYPE));
    headers.insert(
        header::TRAILER,
        HeaderValue::from_static("Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"),
    );
    Ok(request)
}

fn error_request(head: Result<Request<()>, http::Error>, diagnostic: &Diagnostic) -> Built {
    let body = serde_json::json!({
        "errorType": diagnostic.error_type,
        "errorMessage": diagnostic.error_message,
        "stackTrace": [],
    });
    let request = with(head?, ERROR_TYPE, HeaderValue::try_from(header_safe(&diagnostic.error_type))?);
    Ok(with(request, header::CONTENT_TYPE, JSON).map(|()| Bytes::from(body.to_string())))
}

/// `POST /runtime/invocation/{id}/error`.
pub(crate) fn invocation_error(endpoint: &Endpoint, invocation: PostTarget, diagnostic: &Diagnostic) -> Built {
    error_request(invocation.post(endpoint, "error"), diagnostic)
}

/// `GET /runtime/restore/next` (SnapStart): answers once the environment is restored from its snapshot.
pub(crate) fn restore_next(endpoint: &Endpoint) -> Built {
    Ok(head(Method::GET, endpoint.url(&format!("{RUNTIME}/restore/next")))?.map(|()| Bytes::new()))
}

/// `POST /runtime/restore/error` (SnapStart): the restore failed.
pub(crate) fn restore_error(endpoint: &Endpoint, diagnostic: &Diagnostic) -> Built {
    error_request(head(Method::POST, endpoint.url(&format!("{RUNTIME}/restore/error"))), diagnostic)
}

/// `POST /runtime/init/error`.
pub(crate) fn init_error(endpoint: &Endpoint, diagnostic: &Diagnostic) -> Built {
    error_request(head(Method::POST, endpoint.url(&format!("{RUNTIME}/init/error"))), diagnostic)
}

/// `POST /extension/register`, for the `SHUTDOWN` event only: registering for `INVOKE` would make every
/// invocation wait for the extension to ask for its next event.
pub(crate) fn extension_register(endpoint: &Endpoint) -> Built {
    let request = head(Method::POST, endpoint.url(&format!("{EXTENSION}/register")))?;
    let request = with(request, EXTENSION_NAME_HEADER, HeaderValue::from_static(EXTENSION_NAME));
    Ok(with(request, header::CONTENT_TYPE, JSON).map(|()| Bytes::from_static(br#"{"events":["SHUTDOWN"]}"#)))
}

/// `GET /extension/event/next`.
pub(crate) fn extension_next(endpoint: &Endpoint, extension_id: &str) -> Built {
    let request = head(Method::GET, endpoint.url(&format!("{EXTENSION}/event/next")))?;
    let id = HeaderValue::try_from(header_safe(extension_id))?;
    Ok(with(request, EXTENSION_ID_HEADER, id).map(|()| Bytes::new()))
}

/// A request id as one path segment: Lambda's are UUIDs, but an id from another Runtime API with a space or
/// a slash in it must give a valid URL, not a request that cannot be built.
fn segment(id: &str) -> String {
    crate::net::uri::component(id)
}

/// Drops what a header value cannot carry, so an odd string never fails a request build.
fn header_safe(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint::parse("http://127.0.0.1:9000/.rt").unwrap()
    }

    fn plain(request_id: &str) -> PostTarget<'_> {
        PostTarget {
            request_id,
            invocation_id: None,
        }
    }

    #[test]
    fn streaming_head_declares_trailers() {
        let req = streaming_response_head(&endpoint(), plain("id-1")).unwrap();
        assert_eq!(req.uri(), "http://127.0.0.1:9000/.rt/2018-06-01/runtime/invocation/id-1/response");
        assert_eq!(req.headers()["lambda-runtime-function-response-mode"], "streaming");
        assert_eq!(req.headers()["transfer-encoding"], "chunked");
        assert_eq!(req.headers()["content-type"], STREAMING_CONTENT_TYPE);
        let trailer = req.headers()["trailer"].to_str().unwrap().to_ascii_lowercase();
        assert!(trailer.contains(ERROR_TYPE_HEADER) && trailer.contains(ERROR_BODY_TRAILER));
    }

    #[test]
    fn error_carries_type_header_and_json() {
        let diagnostic = Diagnostic {
            error_type: "LambdaAdapter.InvalidEvent".into(),
            error_message: "bad \"json\"".into(),
        };
        let req = invocation_error(&endpoint(), plain("id-2"), &diagnostic).unwrap();
        assert_eq!(req.method(), Method::POST);
        assert!(req.uri().path().ends_with("/invocation/id-2/error"));
        assert_eq!(req.headers()[ERROR_TYPE_HEADER], "LambdaAdapter.InvalidEvent");
        let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(body["errorMessage"], "bad \"json\"");
        assert_eq!(body["stackTrace"], serde_json::json!([]));
    }

    #[test]
    fn odd_request_ids_still_make_valid_urls() {
        let diagnostic = Diagnostic {
            error_type: "T".into(),
            error_message: "m".into(),
        };
        let req = invocation_error(&endpoint(), plain("a b/c?d"), &diagnostic).unwrap();
        assert!(req.uri().path().ends_with("/invocation/a%20b%2Fc%3Fd/error"), "{}", req.uri());
        let req = invocation_response(&endpoint(), plain("8476a536-e9f4-11e8-9739-2dfe598c3fcd"), Bytes::new()).unwrap();
        assert!(
            req.uri()
                .path()
                .ends_with("/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response")
        );
    }

    #[test]
    fn the_invocation_id_is_echoed_only_when_next_gave_one() {
        let with = PostTarget {
            request_id: "r",
            invocation_id: Some("inv-7"),
        };
        let diagnostic = Diagnostic {
            error_type: "T".into(),
            error_message: "m".into(),
        };
        let response = invocation_response(&endpoint(), with, Bytes::new()).unwrap();
        assert_eq!(response.headers()[INVOCATION_ID_HEADER], "inv-7");
        let error = invocation_error(&endpoint(), with, &diagnostic).unwrap();
        assert_eq!(error.headers()[INVOCATION_ID_HEADER], "inv-7");
        let stream = streaming_response_head(&endpoint(), with).unwrap();
        assert_eq!(stream.headers()[INVOCATION_ID_HEADER], "inv-7");
        let without = invocation_response(&endpoint(), plain("r"), Bytes::new()).unwrap();
        assert!(!without.headers().contains_key(INVOCATION_ID_HEADER));
        let hostile = PostTarget {
            request_id: "r",
            invocation_id: Some("a\nb"),
        };
        assert!(
            invocation_response(&endpoint(), hostile, Bytes::new()).is_err(),
            "an error, not a panic"
        );
    }

    #[test]
    fn next_at_the_parsed_uri_is_the_same_request() {
        let built = next_invocation(&endpoint()).unwrap();
        let at = next_invocation_at(&next_invocation_uri(&endpoint()).unwrap()).unwrap();
        assert_eq!(
            (at.method(), at.uri(), at.headers()),
            (built.method(), built.uri(), built.headers())
        );
        assert_eq!(at.uri(), "http://127.0.0.1:9000/.rt/2018-06-01/runtime/invocation/next");
    }

    #[test]
    fn register_names_the_extension_and_asks_for_shutdown_only() {
        let req = extension_register(&endpoint()).unwrap();
        assert_eq!(req.uri(), "http://127.0.0.1:9000/.rt/2020-01-01/extension/register");
        assert_eq!(req.headers()["lambda-extension-name"], "lambda-adapter");
        assert_eq!(req.body().as_ref(), br#"{"events":["SHUTDOWN"]}"#);
    }
}
