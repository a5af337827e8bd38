//! Events for the end-to-end tests, built from the real samples in `tests/fixtures/events/`.

use super::repo_path;
use bytes::Bytes;
use serde_json::Value;

/// A real event sample from `tests/fixtures/events/`.
pub fn fixture(name: &str) -> Value {
    let path = repo_path(&format!("tests/fixtures/events/{name}"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

/// The Function URL sample, with method, path and query replaced.
pub fn function_url(method: &str, path: &str, query: &str) -> Value {
    let mut event = fixture("example-lambda-function-url-request.json");
    event["rawPath"] = path.into();
    event["rawQueryString"] = query.into();
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = path.into();
    event["cookies"] = Value::Null;
    event["headers"].as_object_mut().unwrap().remove("cookie");
    event
}

/// The REST API sample with method, path and a decoded query map.
pub fn rest_api(method: &str, path: &str, query: &[(&str, &str)]) -> Value {
    let mut event = fixture("example-apigw-request.json");
    event["httpMethod"] = method.into();
    event["path"] = path.into();
    let mut multi = serde_json::Map::new();
    for (key, value) in query {
        multi
            .entry(key.to_string())
            .or_insert_with(|| Value::Array(vec![]))
            .as_array_mut()
            .unwrap()
            .push((*value).into());
    }
    event["multiValueQueryStringParameters"] = if query.is_empty() { Value::Null } else { Value::Object(multi) };
    event["queryStringParameters"] = Value::Null;
    event
}

/// The ALB sample (multi-value form or not) with method and path.
pub fn alb(method: &str, path: &str, multi_value: bool) -> Value {
    let name = if multi_value {
        "example-alb-lambda-target-request-multivalue-headers.json"
    } else {
        "example-alb-lambda-target-request-headers-only.json"
    };
    let mut event = fixture(name);
    event["httpMethod"] = method.into();
    event["path"] = path.into();
    event
}

pub fn bytes(value: &Value) -> Bytes {
    Bytes::from(value.to_string())
}

/// The echo app's deterministic byte pattern.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + 7) % 251) as u8).collect()
}
