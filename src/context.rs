//! The invocation's context, as the Runtime API's `next` call delivers it in headers, and the
//! `x-amzn-lambda-context` header the app receives.
//!
//! The JSON keeps the field names the reference adapter (through `lambda_runtime`'s `Context`) uses, since
//! apps already parse it: `request_id`, `deadline`, `invoked_function_arn`, `xray_trace_id`,
//! `client_context`, `identity`, `tenant_id` and `env_config`.

use http::HeaderMap;
use serde::Serialize;
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::net::header_text::Charset;
use crate::wire::json;

/// What Lambda says about one invocation.
#[derive(Clone, Debug, PartialEq)]
pub struct InvocationContext {
    pub request_id: String,
    /// Epoch milliseconds.
    pub deadline_ms: u64,
    pub invoked_function_arn: String,
    pub trace_id: Option<String>,
    pub client_context: Option<Value>,
    pub identity: Option<Value>,
    pub tenant_id: Option<String>,
    /// `Lambda-Runtime-Invocation-Id`, echoed on this invocation's `/response` and `/error` (July 2026);
    /// `None` when `next` sent none, and then nothing is echoed.
    pub invocation_id: Option<String>,
}

/// The function's fixed facts, from the environment Lambda sets.
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct FunctionEnv {
    pub function_name: String,
    pub memory: u32,
    pub version: String,
    pub log_stream: String,
    pub log_group: String,
}

impl FunctionEnv {
    pub(crate) fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        FunctionEnv {
            function_name: var("AWS_LAMBDA_FUNCTION_NAME"),
            memory: var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").parse().unwrap_or(0),
            version: var("AWS_LAMBDA_FUNCTION_VERSION"),
            log_stream: var("AWS_LAMBDA_LOG_STREAM_NAME"),
            log_group: var("AWS_LAMBDA_LOG_GROUP_NAME"),
        }
    }
}

/// The prefix of the `next` answer's headers that [`InvocationContext::from_headers`] reads.
const RUNTIME_PREFIX: &str = "lambda-runtime-";

/// Those headers' names after [`RUNTIME_PREFIX`].
const RUNTIME_HEADERS: [&str; 8] = [
    "aws-request-id",
    "deadline-ms",
    "invoked-function-arn",
    "trace-id",
    "client-context",
    "cognito-identity",
    "aws-tenant-id",
    "invocation-id",
];

/// A `next` answer without the one header an invocation cannot do without.
#[derive(Debug, PartialEq, Eq)]
pub struct NoRequestId;

impl std::fmt::Display for NoRequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the Runtime API's answer has no Lambda-Runtime-Aws-Request-Id header")
    }
}

impl std::error::Error for NoRequestId {}

impl InvocationContext {
    /// Reads the `Lambda-Runtime-*` headers of a `next` answer. Only the request id is required; a
    /// missing or unreadable deadline counts as 15 minutes from now (Lambda's maximum) so the app still
    /// gets a bound.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, NoRequestId> {
        // One pass over the answer's few headers, keeping each name's first value as `get` would: looking the
        // eight names up parsed and hashed each of them, half the cost of this function (callgrind). The values
        // are then taken in `RUNTIME_HEADERS`' order, and only those kept are copied.
        let mut first: [Option<&http::HeaderValue>; RUNTIME_HEADERS.len()] = [None; RUNTIME_HEADERS.len()];
        for (name, value) in headers {
            if let Some(slot) = name
                .as_str()
                .strip_prefix(RUNTIME_PREFIX)
                .and_then(|rest| RUNTIME_HEADERS.iter().position(|wanted| *wanted == rest))
                .and_then(|i| first.get_mut(i))
                && slot.is_none()
            {
                *slot = Some(value);
            }
        }
        let [
            request_id,
            deadline,
            arn,
            trace_id,
            client_context,
            identity,
            tenant_id,
            invocation_id,
        ] = first.map(|value| value.and_then(|v| ascii_text(v.as_bytes())));
        let text = |value: Option<&str>| value.filter(|t| !t.is_empty()).map(str::to_owned);
        let json = |value: Option<&str>| value.filter(|t| !t.is_empty()).and_then(|t| serde_json::from_str(t).ok());
        let request_id = text(request_id).ok_or(NoRequestId)?;
        let deadline_ms = deadline
            .and_then(|d| d.parse().ok())
            .map(absolute_deadline)
            .unwrap_or_else(|| now_ms().saturating_add(900_000));
        Ok(InvocationContext {
            request_id,
            deadline_ms,
            invoked_function_arn: arn.unwrap_or_default().to_owned(),
            trace_id: text(trace_id),
            client_context: json(client_context),
            identity: json(identity),
            tenant_id: text(tenant_id),
            invocation_id: text(invocation_id),
        })
    }

    /// Time left until the deadline (zero when passed).
    pub fn remaining(&self) -> Duration {
        Duration::from_millis(self.deadline_ms.saturating_sub(now_ms()))
    }

    /// The `x-amzn-lambda-context` JSON. Written field by field with the names as literals: serialising a
    /// struct escaped every key again on every invocation, a third of the context headers' cost (callgrind).
    pub(crate) fn to_json(&self, env: &FunctionEnv) -> String {
        let mut out = Vec::with_capacity(384);
        out.extend_from_slice(b"{\"request_id\":");
        json::string(&mut out, &self.request_id);
        out.extend_from_slice(b",\"deadline\":");
        json::value(&mut out, &self.deadline_ms);
        out.extend_from_slice(b",\"invoked_function_arn\":");
        json::string(&mut out, &self.invoked_function_arn);
        out.extend_from_slice(b",\"xray_trace_id\":");
        json::optional_string(&mut out, self.trace_id.as_deref());
        out.extend_from_slice(b",\"client_context\":");
        json::value(&mut out, &self.client_context);
        out.extend_from_slice(b",\"identity\":");
        json::value(&mut out, &self.identity);
        out.extend_from_slice(b",\"tenant_id\":");
        json::optional_string(&mut out, self.tenant_id.as_deref());
        out.extend_from_slice(b",\"env_config\":{\"function_name\":");
        json::string(&mut out, &env.function_name);
        out.extend_from_slice(b",\"memory\":");
        json::value(&mut out, &env.memory);
        out.extend_from_slice(b",\"version\":");
        json::string(&mut out, &env.version);
        out.extend_from_slice(b",\"log_stream\":");
        json::string(&mut out, &env.log_stream);
        out.extend_from_slice(b",\"log_group\":");
        json::string(&mut out, &env.log_group);
        out.extend_from_slice(b"}}");
        String::from_utf8(out).unwrap_or_default()
    }
}

/// `bytes` as text when `HeaderValue::to_str` would give it (visible ASCII, space and tab), checked a word at a
/// time rather than byte by byte.
fn ascii_text(bytes: &[u8]) -> Option<&str> {
    Charset::Ascii.admits(bytes).then(|| std::str::from_utf8(bytes).ok()).flatten()
}

/// Lambda sends the deadline as epoch milliseconds. cargo-lambda's emulator sends the timeout itself
/// (`600000`), which read as an epoch would lie in 1970 and fail every invocation at once: a value too small
/// to be a date after 2001 is taken as milliseconds from now.
fn absolute_deadline(value: u64) -> u64 {
    const YEAR_2001_MS: u64 = 1_000_000_000_000;
    if value < YEAR_2001_MS {
        now_ms().saturating_add(value)
    } else {
        value
    }
}

/// `now + duration`, held at a far future (30 years) instead of overflowing when a deadline from outside is
/// absurd.
pub(crate) fn instant_after(duration: Duration) -> tokio::time::Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 86_400);
    let now = tokio::time::Instant::now();
    now.checked_add(duration.min(FAR_FUTURE)).unwrap_or(now)
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_runtime_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("lambda-runtime-aws-request-id", "abc-123".parse().unwrap());
        headers.insert("lambda-runtime-deadline-ms", "1700000000000".parse().unwrap());
        headers.insert(
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:1:function:f".parse().unwrap(),
        );
        headers.insert("lambda-runtime-trace-id", "Root=1-5;Sampled=1".parse().unwrap());
        headers.insert("lambda-runtime-client-context", r#"{"custom":{"a":"b"}}"#.parse().unwrap());
        headers.insert("lambda-runtime-aws-tenant-id", "tenant-7".parse().unwrap());
        let ctx = InvocationContext::from_headers(&headers).unwrap();
        assert_eq!(ctx.request_id, "abc-123");
        assert_eq!(ctx.deadline_ms, 1_700_000_000_000);
        assert_eq!(ctx.tenant_id.as_deref(), Some("tenant-7"));
        let env = FunctionEnv {
            function_name: "f".into(),
            memory: 512,
            ..Default::default()
        };
        let json: Value = serde_json::from_str(&ctx.to_json(&env)).unwrap();
        assert_eq!(json["request_id"], "abc-123");
        assert_eq!(json["deadline"], 1_700_000_000_000u64);
        assert_eq!(json["xray_trace_id"], "Root=1-5;Sampled=1");
        assert_eq!(json["client_context"]["custom"]["a"], "b");
        assert_eq!(json["identity"], Value::Null);
        assert_eq!(json["env_config"]["memory"], 512);
    }

    /// The hand-written JSON is what serialising the fields as one struct gives, byte for byte, whatever the
    /// values hold (escapes, non-ASCII, absent fields).
    #[test]
    fn the_context_json_is_the_fields_serialised_in_order() {
        #[derive(Serialize)]
        struct LambdaContext<'a> {
            request_id: &'a str,
            deadline: u64,
            invoked_function_arn: &'a str,
            xray_trace_id: Option<&'a str>,
            client_context: Option<&'a Value>,
            identity: Option<&'a Value>,
            tenant_id: Option<&'a str>,
            env_config: &'a FunctionEnv,
        }
        let full = InvocationContext {
            request_id: "id \"quoted\" \\ é\u{7f}".into(),
            deadline_ms: u64::MAX,
            invoked_function_arn: "arn:aws:lambda:us-east-1:1:function:f".into(),
            trace_id: Some("Root=1-5;Sampled=1".into()),
            client_context: Some(serde_json::json!({"custom": {"a": "b\n"}})),
            identity: Some(serde_json::json!({"cognitoIdentityId": "x"})),
            tenant_id: Some("t\u{1}".into()),
            invocation_id: None,
        };
        let bare = InvocationContext {
            trace_id: None,
            client_context: None,
            identity: None,
            tenant_id: None,
            ..full.clone()
        };
        let env = FunctionEnv {
            function_name: "f\"n".into(),
            memory: 128,
            version: "$LATEST".into(),
            log_stream: "2026/12/06/[$LATEST]abc".into(),
            log_group: "/aws/lambda/f".into(),
        };
        for (ctx, env) in [(&full, &env), (&bare, &FunctionEnv::default())] {
            let expected = serde_json::to_string(&LambdaContext {
                request_id: &ctx.request_id,
                deadline: ctx.deadline_ms,
                invoked_function_arn: &ctx.invoked_function_arn,
                xray_trace_id: ctx.trace_id.as_deref(),
                client_context: ctx.client_context.as_ref(),
                identity: ctx.identity.as_ref(),
                tenant_id: ctx.tenant_id.as_deref(),
                env_config: env,
            })
            .unwrap();
            assert_eq!(ctx.to_json(env), expected);
        }
    }

    #[test]
    fn a_relative_deadline_from_an_emulator_counts_from_now() {
        let mut headers = HeaderMap::new();
        headers.insert("lambda-runtime-aws-request-id", "id".parse().unwrap());
        headers.insert("lambda-runtime-deadline-ms", "600000".parse().unwrap());
        let remaining = InvocationContext::from_headers(&headers).unwrap().remaining();
        assert!(
            remaining > Duration::from_secs(590) && remaining <= Duration::from_secs(600),
            "{remaining:?}"
        );
    }

    #[test]
    fn the_first_value_of_a_repeated_header_counts_as_with_get() {
        let mut headers = HeaderMap::new();
        headers.append("lambda-runtime-aws-request-id", "first".parse().unwrap());
        headers.append("lambda-runtime-aws-request-id", "second".parse().unwrap());
        headers.append("lambda-runtime-trace-id", http::HeaderValue::from_bytes(b"\xff").unwrap());
        headers.append("lambda-runtime-trace-id", "Root=1".parse().unwrap());
        let ctx = InvocationContext::from_headers(&headers).unwrap();
        assert_eq!(ctx.request_id, "first");
        assert_eq!(ctx.trace_id, None, "an unreadable first value is not replaced by a later one");
    }

    /// A value is read as `HeaderValue::to_str` reads it: visible ASCII, space and tab; anything else counts
    /// as absent.
    #[test]
    fn values_are_read_as_to_str_reads_them() {
        for value in [&b"Root=1-abc;\tSampled=1"[..], b"r\xe9sum\xe9", b"a\x7fb", b"", b"tail\xff"] {
            let mut headers = HeaderMap::new();
            headers.insert("lambda-runtime-aws-request-id", "id".parse().unwrap());
            let value = http::HeaderValue::from_bytes(value).unwrap_or_else(|_| http::HeaderValue::from_static(""));
            headers.insert("lambda-runtime-trace-id", value.clone());
            let expected = value.to_str().ok().filter(|t| !t.is_empty()).map(str::to_string);
            assert_eq!(InvocationContext::from_headers(&headers).unwrap().trace_id, expected, "{value:?}");
        }
    }

    #[test]
    fn request_id_is_required() {
        assert!(InvocationContext::from_headers(&HeaderMap::new()).is_err());
    }
}
