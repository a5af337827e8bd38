//! Events written by an attacker: forged adapter-owned headers and paths that try to move the request to
//! another host or port, for every event source (issue 10, items 1 and 2).

use super::tests::{ctx, fixture, options};
use super::*;

/// One sample per event source, with the field its path is read from.
const SOURCES: [(&str, &Source, &str); 8] = [
    ("example-lambda-function-url-request.json", function_url::SOURCE, "rawPath"),
    ("example-apigw-v2-request-iam.json", http_api::SOURCE, "rawPath"),
    ("example-apigw-request.json", rest_api::SOURCE, "path"),
    ("example-apigw-console-test-request.json", rest_api::SOURCE, "path"),
    ("example-alb-lambda-target-request-headers-only.json", alb::SINGLE_VALUE, "path"),
    (
        "example-alb-lambda-target-request-multivalue-headers.json",
        alb::MULTI_VALUE,
        "path",
    ),
    ("example-apigw-websocket-request.json", websocket::SOURCE, "path"),
    ("example-sqs-event.json", pass_through::SOURCE, "path"),
];

const FORGED: [&str; 7] = [
    "x-amzn-request-context",
    "X-Amzn-Lambda-Context",
    "x-amz-tenant-id",
    "x-amzn-trace-id",
    "x-ws-callback",
    "X-WS-Connection-Id",
    "x-ws-anything-new",
];
const MARK: &str = "forged-by-the-client";

fn event(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// Adds every forged header in each header form the event carries (both, for REST events).
fn forge(event: &mut Value) {
    for name in FORGED {
        if let Some(headers) = event["headers"].as_object_mut() {
            headers.insert(name.into(), MARK.into());
        }
        if let Some(headers) = event["multiValueHeaders"].as_object_mut().filter(|m| !m.is_empty()) {
            headers.insert(name.into(), serde_json::json!([MARK]));
        }
    }
}

fn translated(event: &Value) -> AppRequest {
    translate(event.to_string().as_bytes(), &ctx(), &options()).unwrap()
}

#[test]
fn no_source_lets_a_client_set_an_adapter_owned_header() {
    for (name, kind, _) in SOURCES {
        let mut event = event(name);
        forge(&mut event);
        let app = translated(&event);
        assert_eq!(app.kind, kind, "{name}");
        for (header, value) in app.request.headers() {
            assert_ne!(value, MARK, "{name}: the client's {header} reached the app");
        }
        if kind != pass_through::SOURCE {
            assert!(
                app.request.headers().contains_key(LAMBDA_CONTEXT),
                "{name}: the adapter's own is there"
            );
        }
    }
}

#[test]
fn no_path_moves_the_request_to_another_address() {
    let app = options().app;
    for (name, kind, field) in SOURCES {
        for path in ["@127.0.0.2:9/x", ".x", "//127.0.0.3:1/x", "http://127.0.0.4:1/x", "x?y#z", ""] {
            let mut event = event(name);
            event[field] = path.into();
            if kind == http_api::SOURCE || kind == function_url::SOURCE {
                event["requestContext"]["http"]["path"] = path.into();
            }
            let request = translated(&event).request;
            let uri = request.uri();
            assert_eq!(uri.authority(), Some(&app), "{name} with {field}={path:?}: {uri}");
            assert_eq!(uri.scheme_str(), Some("http"));
            assert!(uri.path().starts_with('/'), "{name} with {field}={path:?}: {uri}");
        }
    }
}

#[test]
fn a_path_without_its_slash_still_reaches_the_app_at_that_path() {
    let mut function_url = event("example-lambda-function-url-request.json");
    function_url["rawPath"] = "@127.0.0.2:9/x".into();
    assert_eq!(translated(&function_url).request.uri().path(), "/@127.0.0.2:9/x");
    let mut rest = event("example-apigw-request.json");
    rest["path"] = "users/1".into();
    assert_eq!(translated(&rest).request.uri().path(), "/users/1");
}

/// Bytes that are not UTF-8 in an HTTP source's event are refused with where they are, for every source; a
/// pass-through event with them reaches the app byte for byte.
#[test]
fn events_that_are_not_utf8_are_refused_or_passed_as_they_are() {
    for (name, kind, _) in SOURCES {
        let mut bytes = serde_json::to_vec(&event(name)).unwrap();
        let at = bytes.len() - 1;
        bytes.splice(at..at, *b",\"odd\":\"\xff\"");
        let result = translate(&bytes, &ctx(), &options());
        if kind == pass_through::SOURCE {
            assert_eq!(result.unwrap().request.body().as_ref(), &bytes[..], "{name}");
        } else {
            let error = result.unwrap_err().to_string();
            assert!(
                error.contains("is not UTF-8") && error.contains(&format!("byte {}", at + 8)),
                "{name}: {error}"
            );
        }
    }
}
