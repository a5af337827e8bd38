//! The "wait until" protocol on the adapter's loopback server: every request to the app carries
//! `x-lambda-wait-until: http://127.0.0.1:{callback port}/invocations/{request id}/wait-until`.
//!
//! - `POST` that URL (empty body) before the response is complete: `201 Created`, `Location` naming a new
//!   hold; `410 Gone` once the invocation is over.
//! - `DELETE` the hold's URL when the work is done: `204 No Content`; `404` for a hold that is not open;
//!   `410` once the invocation is over (its deadline cut the hold).
//!
//! The answer goes to Lambda at once either way; the next invocation waits for the release
//! ([`super::holds`]).

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};
use http_body_util::Full;
use percent_encoding::percent_decode_str;

use super::{Bridge, HoldError};
use crate::sources::websocket::{WAIT_UNTIL_SEGMENT as SEGMENT, wait_until_url as url};

/// What a path names: `/invocations/{id}/wait-until` (`None` hold) or `/invocations/{id}/wait-until/{hold}`.
/// `None` for any other path.
pub(crate) fn route(path: &str) -> Option<(String, Option<&str>)> {
    let rest = path.strip_prefix("/invocations/")?;
    let (encoded, rest) = rest.split_once('/')?;
    let hold = match rest.strip_prefix(SEGMENT)? {
        "" | "/" => None,
        tail => Some(tail.strip_prefix('/')?),
    };
    let id = percent_decode_str(encoded).decode_utf8().ok()?.into_owned();
    Some((id, hold))
}

/// Answers a wait-until call to `request_id` (and `hold`, for a release) on the server at `port`.
pub(crate) fn handle(bridge: &Bridge, method: &Method, request_id: &str, hold: Option<&str>, port: u16) -> Response<Full<Bytes>> {
    match (method, hold) {
        (&Method::POST, None) => match bridge.open_hold(request_id) {
            Ok(hold) => {
                let location = format!("{}/{hold}", url(port, request_id));
                let mut response = answer(StatusCode::CREATED, "");
                if let Ok(value) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
                response
            }
            Err(_) => ended(request_id),
        },
        (&Method::DELETE, Some(hold)) => match hold
            .parse::<u64>()
            .map_err(|_| HoldError::Unknown)
            .and_then(|id| bridge.release_hold(request_id, id))
        {
            Ok(()) => answer(StatusCode::NO_CONTENT, ""),
            Err(HoldError::Ended) => ended(request_id),
            Err(HoldError::Unknown) => answer(StatusCode::NOT_FOUND, &format!("invocation {request_id} has no open hold {hold}")),
        },
        (_, None) => not_allowed("POST", "POST opens a hold on the invocation"),
        (_, Some(_)) => not_allowed("DELETE", "DELETE releases the hold"),
    }
}

fn ended(request_id: &str) -> Response<Full<Bytes>> {
    let message = format!("invocation {request_id} is over: work after its response can no longer hold it");
    answer(StatusCode::GONE, &message)
}

fn not_allowed(allow: &'static str, what: &str) -> Response<Full<Bytes>> {
    let mut response = answer(StatusCode::METHOD_NOT_ALLOWED, what);
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

fn answer(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = if message.is_empty() {
        Bytes::new()
    } else {
        Bytes::from(serde_json::json!({ "message": message }).to_string())
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    if !message.is_empty() {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/invocations/a%2Fb/wait-until"), Some(("a/b".into(), None)));
        assert_eq!(route("/invocations/r-1/wait-until/"), Some(("r-1".into(), None)));
        assert_eq!(route("/invocations/r-1/wait-until/7"), Some(("r-1".into(), Some("7"))));
        for other in [
            "/invocations/r-1/@connections/x",
            "/invocations/r-1/wait-untilx",
            "/wait-until",
            "/invocations/r-1",
        ] {
            assert_eq!(route(other), None, "{other}");
        }
        assert_eq!(url(9002, "a b"), "http://127.0.0.1:9002/invocations/a%20b/wait-until");
    }
}
