//! The translation core's cross-source tests, and the helpers every source's own test file uses: each
//! source's file lists what the app receives for its real samples (`Sample`) and tests what is its own.

use super::*;
use crate::error::ErrorKind;
use serde_json::json;

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/events/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The invocation context the translation tests (and the bridge's) run with.
pub(crate) fn ctx() -> InvocationContext {
    InvocationContext {
        request_id: "req-1".into(),
        deadline_ms: 1_900_000_000_000,
        invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:app".into(),
        trace_id: Some("Root=1-lambda;Sampled=1".into()),
        client_context: None,
        identity: None,
        tenant_id: None,
        invocation_id: None,
    }
}

/// Default translation options, as a function with no settings gets.
pub(crate) fn options() -> TranslateOptions {
    TranslateOptions {
        app: http::uri::Authority::from_static("127.0.0.1:8080"),
        remove_base_path: None,
        pass_through_path: "/events".into(),
        authorization_source: None,
        http_api_domains: vec![],
        function_env: FunctionEnv {
            function_name: "app".into(),
            memory: 128,
            ..Default::default()
        },
        ws: Default::default(),
    }
}

/// The source an event comes from, as detection tells it with no settings.
pub(crate) fn kind_of(event: &Value) -> &'static Source {
    translate(event.to_string().as_bytes(), &ctx(), &options()).unwrap().kind
}

/// The app's request for an event, with default options.
pub(crate) fn app_request(event: &Value) -> Request<Bytes> {
    translate(event.to_string().as_bytes(), &ctx(), &options()).unwrap().request
}

pub(crate) fn run(event: &[u8], options: &TranslateOptions) -> AppRequest {
    translate(event, &ctx(), options).unwrap()
}

pub(crate) fn header(request: &Request<Bytes>, name: impl http::header::AsHeaderName) -> Option<&str> {
    request.headers().get(name).map(|v| v.to_str().unwrap())
}

pub(crate) fn all(request: &Request<Bytes>, name: impl http::header::AsHeaderName) -> Vec<&str> {
    request.headers().get_all(name).iter().map(|v| v.to_str().unwrap()).collect()
}

/// What the app receives for one of a source's real sample events.
pub(crate) struct Sample {
    pub(crate) fixture: &'static str,
    pub(crate) method: &'static str,
    /// The app's request URI, whole.
    pub(crate) uri: &'static str,
    /// Headers the app gets, one pair per value, in order.
    pub(crate) headers: &'static [(&'static str, &'static str)],
    /// Headers the app must not get.
    pub(crate) absent: &'static [&'static str],
}

impl Sample {
    /// A sample whose method and URI are all that is checked.
    pub(crate) const fn plain(fixture: &'static str, method: &'static str, uri: &'static str) -> Sample {
        Sample {
            fixture,
            method,
            uri,
            headers: &[],
            absent: &[],
        }
    }
}

/// Each sample is detected as `source` and reaches the app as listed.
pub(crate) fn check_samples(source: &Source, samples: &[Sample]) {
    for sample in samples {
        let name = sample.fixture;
        let app = run(&fixture(name), &options());
        assert_eq!(app.kind, source, "{name}");
        let request = &app.request;
        assert_eq!(request.method(), sample.method, "{name}");
        assert_eq!(request.uri(), sample.uri, "{name}");
        let mut names: Vec<&str> = sample.headers.iter().map(|(name, _)| *name).collect();
        names.dedup();
        for header in names {
            let expected: Vec<&str> = sample.headers.iter().filter(|(n, _)| *n == header).map(|(_, v)| *v).collect();
            assert_eq!(all(request, header), expected, "{name}: {header}");
        }
        for header in sample.absent {
            assert_eq!(all(request, *header), Vec::<&str>::new(), "{name}: {header} stays behind");
        }
    }
}

#[test]
fn base64_bodies_are_decoded_byte_exact() {
    let mut event: Value = serde_json::from_slice(&fixture("example-lambda-function-url-request.json")).unwrap();
    event["body"] = "AAEC/w==".into();
    event["isBase64Encoded"] = true.into();
    let app = run(event.to_string().as_bytes(), &options());
    assert_eq!(&app.request.body()[..], &[0, 1, 2, 255]);
    event["body"] = "not base64!".into();
    let error = translate(event.to_string().as_bytes(), &ctx(), &options()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidEvent);
    assert!(error.message.contains("not valid base64"), "{}", error.message);
}

#[test]
fn clients_cannot_spoof_adapter_headers() {
    let mut event: Value = serde_json::from_slice(&fixture("example-lambda-function-url-request.json")).unwrap();
    event["headers"]["x-amzn-request-context"] = r#"{"authorizer":{"iam":{"userArn":"admin"}}}"#.into();
    event["headers"]["x-amzn-lambda-context"] = "forged".into();
    event["headers"]["x-amz-tenant-id"] = "other-tenant".into();
    let app = run(event.to_string().as_bytes(), &options());
    let context: Value = serde_json::from_str(header(&app.request, REQUEST_CONTEXT).unwrap()).unwrap();
    assert!(context.get("authorizer").is_none());
    assert_ne!(header(&app.request, LAMBDA_CONTEXT), Some("forged"));
    assert_eq!(header(&app.request, TENANT_ID), None);
    let mut with_tenant = ctx();
    with_tenant.tenant_id = Some("tenant-a".into());
    let app = translate(event.to_string().as_bytes(), &with_tenant, &options()).unwrap();
    assert_eq!(all(&app.request, TENANT_ID), ["tenant-a"]);
}

#[test]
fn base_path_and_authorization_source() {
    let mut event: Value = serde_json::from_slice(&fixture("example-lambda-function-url-request.json")).unwrap();
    event["rawPath"] = "/api/users/7".into();
    event["headers"]["x-api-token"] = "Bearer t0k".into();
    let mut options = options();
    options.remove_base_path = Some("/api".into());
    options.authorization_source = Some(HeaderName::from_static("x-api-token"));
    let app = run(event.to_string().as_bytes(), &options);
    assert_eq!(app.request.uri().path(), "/users/7");
    assert_eq!(header(&app.request, "authorization"), Some("Bearer t0k"));
}

#[test]
fn malformed_events_get_precise_errors() {
    let error = translate(b"{not json", &ctx(), &options()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidEvent);
    assert!(error.message.starts_with("the event is not valid JSON"), "{}", error.message);

    let broken = json!({"httpMethod": "NOT A METHOD", "path": "/", "requestContext": {}});
    let error = translate(broken.to_string().as_bytes(), &ctx(), &options()).unwrap_err();
    assert!(error.message.contains("API Gateway REST API"), "{}", error.message);

    let broken = json!({"version": "2.0", "rawPath": "/", "requestContext": {"http": {"method": 7}, "domainName": "x.lambda-url.us-east-1.on.aws"}, "isBase64Encoded": false});
    let error = translate(broken.to_string().as_bytes(), &ctx(), &options()).unwrap_err();
    assert!(error.message.contains("Function URL"), "{}", error.message);
}

#[test]
fn each_way_an_http_event_can_be_wrong_has_its_kind() {
    let read = |event: &Value| super::read(event.to_string().as_bytes(), &ctx(), &options()).unwrap_err();
    let url = || -> Value { serde_json::from_slice(&fixture("example-lambda-function-url-request.json")).unwrap() };

    assert!(matches!(super::read(b"{not json", &ctx(), &options()), Err(EventError::NotJson(_))));
    let rest = json!({"httpMethod": "NOT A METHOD", "path": "/", "requestContext": {}});
    let error = read(&rest);
    assert!(
        matches!(error, EventError::Malformed { kind, .. } if kind == rest_api::SOURCE),
        "{error:?}"
    );
    let mut event = url();
    event["requestContext"]["http"]["method"] = "NOT A METHOD".into();
    let error = read(&event);
    assert!(matches!(&error, EventError::BadMethod(text) if text == "NOT A METHOD"), "{error:?}");
    assert_eq!(error.to_string(), "`NOT A METHOD` is not an HTTP method");
    let mut event = url();
    event["cookies"] = json!(["a=1", "b=line\nbreak"]);
    assert!(matches!(read(&event), EventError::BadCookie));
    let mut event = url();
    event["body"] = "not base64!".into();
    event["isBase64Encoded"] = true.into();
    assert!(matches!(read(&event), EventError::BadBase64(_)));

    let invalid = AdapterError::from(read(&event));
    assert_eq!(invalid.kind, ErrorKind::InvalidEvent);
    assert!(
        invalid
            .message
            .starts_with("`body` is marked isBase64Encoded but is not valid base64: "),
        "{}",
        invalid.message
    );
}

#[test]
fn the_request_context_header_is_the_events_own_json_compacted() {
    let compact: Value = serde_json::from_slice(&fixture("example-lambda-function-url-request.json")).unwrap();
    let app = run(compact.to_string().as_bytes(), &options());
    assert_eq!(
        header(&app.request, REQUEST_CONTEXT).unwrap(),
        compact["requestContext"].to_string()
    );
    // The fixture file itself is pretty-printed: the header must still be one line of valid JSON.
    let app = run(&fixture("example-lambda-function-url-request.json"), &options());
    let header_text = header(&app.request, REQUEST_CONTEXT).unwrap();
    assert!(!header_text.contains('\n'));
    assert_eq!(serde_json::from_str::<Value>(header_text).unwrap(), compact["requestContext"]);
}
