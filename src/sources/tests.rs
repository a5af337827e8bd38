//! The translation core against every real event sample in `tests/fixtures/events/`.

use super::*;
use crate::error::ErrorKind;
use serde_json::json;

pub fn fixture(name: &str) -> Vec<u8> {
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

fn run(event: &[u8], options: &TranslateOptions) -> AppRequest {
    translate(event, &ctx(), options).unwrap()
}

fn header<'a>(request: &'a Request<Bytes>, name: &str) -> Option<&'a str> {
    request.headers().get(name).map(|v| v.to_str().unwrap())
}

fn all<'a>(request: &'a Request<Bytes>, name: &str) -> Vec<&'a str> {
    request.headers().get_all(name).iter().map(|v| v.to_str().unwrap()).collect()
}

#[test]
fn function_url() {
    let app = run(&fixture("example-lambda-function-url-request.json"), &options());
    assert_eq!(app.kind, function_url::SOURCE);
    let r = &app.request;
    assert_eq!(r.method(), Method::GET);
    assert_eq!(
        r.uri(),
        "http://127.0.0.1:8080/my/path?parameter1=value1&parameter1=value2&parameter2=value"
    );
    assert_eq!(
        header(r, "cookie"),
        Some("test=hi"),
        "the cookies array wins over the duplicate cookie header"
    );
    assert_eq!(header(r, "host"), Some("id.lambda-url.eu-west-2.on.aws"));
    assert_eq!(header(r, "x-forwarded-for"), Some("65.78.31.245"));
    assert_eq!(header(r, "x-forwarded-proto"), Some("https"));
    assert_eq!(
        header(r, "x-amzn-trace-id"),
        Some("Root=1-lambda;Sampled=1"),
        "Lambda's trace id replaces the event's"
    );
    let context: Value = serde_json::from_str(header(r, REQUEST_CONTEXT).unwrap()).unwrap();
    assert_eq!(context["requestId"], "MIZRNhJtIAMEMDw=");
    assert_eq!(context["http"]["sourceIp"], "65.78.31.245");
    let lambda: Value = serde_json::from_str(header(r, LAMBDA_CONTEXT).unwrap()).unwrap();
    assert_eq!(lambda["request_id"], "req-1");
    assert_eq!(lambda["invoked_function_arn"], "arn:aws:lambda:us-east-1:123456789012:function:app");
    assert_eq!(lambda["env_config"]["function_name"], "app");
    assert!(r.body().is_empty());
}

#[test]
fn http_api_variants() {
    for name in [
        "example-apigw-v2-request-iam.json",
        "example-apigw-v2-request-jwt-authorizer.json",
        "example-apigw-v2-request-lambda-authorizer.json",
    ] {
        let app = run(&fixture(name), &options());
        assert_eq!(app.kind, http_api::SOURCE, "{name}");
        assert_eq!(
            app.request.uri(),
            "http://127.0.0.1:8080/my/path?parameter1=value1&parameter1=value2&parameter2=value",
            "{name}"
        );
        let context: Value = serde_json::from_str(header(&app.request, REQUEST_CONTEXT).unwrap()).unwrap();
        assert!(context["authorizer"].is_object(), "{name}: the authorizer reaches the app");
    }
    let app = run(&fixture("example-apigw-v2-request-multi-value-parameters.json"), &options());
    assert_eq!(app.request.uri().query(), Some("Parameter1=value1&Parameter1=value2"));
    let app = run(&fixture("example-apigw-v2-request-no-authorizer.json"), &options());
    assert_eq!(app.request.uri(), "http://127.0.0.1:8080/");
    let app = run(&fixture("example-apigw-sam-http-request.json"), &options());
    assert_eq!(app.request.uri(), "http://127.0.0.1:8080/dump?foo=bar");
    assert_eq!(header(&app.request, "connection"), None, "hop-by-hop headers stay behind");
    assert_eq!(header(&app.request, "x-forwarded-proto"), Some("http"));
}

#[test]
fn rest_api_with_multi_value_maps() {
    let app = run(&fixture("example-apigw-request-multi-value-parameters.json"), &options());
    assert_eq!(app.kind, rest_api::SOURCE);
    let r = &app.request;
    assert_eq!(r.method(), Method::POST);
    assert_eq!(r.uri(), "http://127.0.0.1:8080/hello/world?name=me&name=me2");
    assert_eq!(all(r, "headername"), ["headerValue", "headerValue2"]);
    assert_eq!(header(r, "x-forwarded-for"), Some("54.240.196.186, 54.182.214.83"));
    let context: Value = serde_json::from_str(header(r, REQUEST_CONTEXT).unwrap()).unwrap();
    assert_eq!(context["stage"], "testStage");
}

#[test]
fn rest_api_samples() {
    for (name, uri) in [
        ("example-apigw-request.json", "http://127.0.0.1:8080/hello/world?name=me"),
        ("example-apigw-request-catch-all.json", "http://127.0.0.1:8080/hello/world?name=me"),
        (
            "example-apigw-restapi-openapi-request.json",
            "http://127.0.0.1:8080/hello/world?name=me",
        ),
        ("example-apigw-console-test-request.json", "http://127.0.0.1:8080/myPath"),
        ("example-apigw-sam-rest-request.json", "http://127.0.0.1:8080/test"),
    ] {
        let app = run(&fixture(name), &options());
        assert_eq!(app.kind, rest_api::SOURCE, "{name}");
        assert_eq!(app.request.uri(), uri, "{name}");
    }
}

#[test]
fn alb_both_forms() {
    let app = run(&fixture("example-alb-lambda-target-request-multivalue-headers.json"), &options());
    assert_eq!(app.kind, alb::MULTI_VALUE);
    assert_eq!(app.request.uri(), "http://127.0.0.1:8080/?key=hello");
    assert_eq!(header(&app.request, "x-myheader"), Some("123"));
    assert_eq!(header(&app.request, "connection"), None);
    assert_eq!(&app.request.body()[..], b"Some text");
    let app = run(&fixture("example-alb-lambda-target-request-headers-only.json"), &options());
    assert_eq!(app.kind, alb::SINGLE_VALUE);
    assert_eq!(header(&app.request, "x-forwarded-for"), Some("25.12.198.67"));
}

#[test]
fn alb_query_values_stay_encoded_and_rest_values_are_encoded() {
    let mut alb: Value = serde_json::from_slice(&fixture("example-alb-lambda-target-request-multivalue-headers.json")).unwrap();
    alb["multiValueQueryStringParameters"] = json!({"q": ["a%20b", "c%26d"], "x": ["1"]});
    let app = run(alb.to_string().as_bytes(), &options());
    assert_eq!(app.request.uri().query(), Some("q=a%20b&q=c%26d&x=1"));

    let mut rest: Value = serde_json::from_slice(&fixture("example-apigw-request.json")).unwrap();
    rest["path"] = "/files/a b/100%".into();
    rest["multiValueQueryStringParameters"] = json!({"q": ["a b", "c&d"], "é": ["ü"]});
    let app = run(rest.to_string().as_bytes(), &options());
    assert_eq!(app.request.uri().path(), "/files/a%20b/100%25");
    assert_eq!(app.request.uri().query(), Some("q=a%20b&q=c%26d&%C3%A9=%C3%BC"));
}

#[test]
fn raw_paths_keep_their_encoding() {
    let mut event: Value = serde_json::from_slice(&fixture("example-lambda-function-url-request.json")).unwrap();
    event["rawPath"] = "/a%2Fb/c%20d".into();
    event["rawQueryString"] = "x=%2B1&y=a+b".into();
    let app = run(event.to_string().as_bytes(), &options());
    assert_eq!(app.request.uri().path(), "/a%2Fb/c%20d");
    assert_eq!(app.request.uri().query(), Some("x=%2B1&y=a+b"));
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
fn non_http_events_pass_through_as_is() {
    for name in [
        "example-sqs-event.json",
        "example-sns-event.json",
        "example-s3-event.json",
        "example-dynamodb-event.json",
        "example-kinesis-event.json",
        "example-eventbridge-schedule.json",
        "example-bedrock-agent-runtime-event.json",
    ] {
        let event = fixture(name);
        let app = run(&event, &options());
        assert_eq!(app.kind, pass_through::SOURCE, "{name}");
        assert_eq!(app.request.method(), Method::POST);
        assert_eq!(app.request.uri(), "http://127.0.0.1:8080/events");
        assert_eq!(header(&app.request, "content-type"), Some("application/json"));
        assert_eq!(&app.request.body()[..], &event[..], "{name}: the body is the event, byte for byte");
        assert!(header(&app.request, LAMBDA_CONTEXT).is_some());
    }
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
fn emulator_events_with_nulls_are_accepted() {
    // The shape cargo-lambda's emulator sends: apiId and rawQueryString null, domainName localhost.
    let event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/hello", "rawQueryString": null, "cookies": null,
        "headers": {"host": "127.0.0.1:9000", "accept": "*/*"}, "queryStringParameters": null,
        "requestContext": {"accountId": "123456789012", "apiId": null, "domainName": "localhost", "domainPrefix": null,
            "http": {"method": "GET", "path": "/hello", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl"},
            "requestId": "id", "routeKey": "$default", "stage": "$default", "time": "", "timeEpoch": 0},
        "body": null, "isBase64Encoded": false
    });
    let app = run(event.to_string().as_bytes(), &options());
    assert_eq!(app.kind, function_url::SOURCE);
    assert_eq!(app.request.uri(), "http://127.0.0.1:8080/hello");
}

#[test]
fn payloads_that_are_not_objects_pass_through() {
    for payload in [&b"\"a direct invoke's string\""[..], b"[1, 2, 3]", b"42"] {
        let app = run(payload, &options());
        assert_eq!(app.kind, pass_through::SOURCE);
        assert_eq!(&app.request.body()[..], payload);
    }
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
