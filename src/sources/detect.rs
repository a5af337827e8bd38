//! Which event source sent an event, told by its shape (PROTOCOL.md § 5).
//!
//! Detection reads only a few fields, borrowing the rest of the event as raw JSON text, before the event is
//! read into its `aws_lambda_events` type: an event that looks like HTTP but fails to parse gets a precise
//! error instead of silently becoming a pass-through event, and the event is never built as a whole
//! `serde_json::Value` on the hot path (that tree, then the typed event built from it, cost more than the
//! rest of an invocation's translation).

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::event::Event;
use super::registry;
use super::source::Source;

/// The top-level fields detection and the readers need; everything else is skipped unparsed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Shape<'a> {
    #[serde(rename = "requestContext", borrow, default)]
    pub request_context: Option<&'a RawValue>,
    #[serde(rename = "httpMethod", default)]
    pub(super) http_method: Option<IgnoredAny>,
    #[serde(rename = "multiValueHeaders", default)]
    pub(super) multi_value_headers: Option<IgnoredAny>,
    #[serde(rename = "multiValueQueryStringParameters", borrow, default)]
    pub multi_value_query: Option<&'a RawValue>,
    #[serde(rename = "queryStringParameters", borrow, default)]
    pub query: Option<&'a RawValue>,
}

/// The fields of `requestContext` that tell the sources apart.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ContextShape<'a> {
    #[serde(borrow, default)]
    pub(super) elb: Option<&'a RawValue>,
    #[serde(rename = "eventType", borrow, default)]
    pub(super) event_type: Option<&'a RawValue>,
    #[serde(rename = "connectionId", borrow, default)]
    pub(super) connection_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) http: Option<&'a RawValue>,
    #[serde(rename = "domainName", borrow, default)]
    domain_name: Option<&'a RawValue>,
    #[serde(rename = "serviceNetworkArn", borrow, default)]
    pub(super) service_network_arn: Option<&'a RawValue>,
    #[serde(rename = "serviceArn", borrow, default)]
    pub(super) service_arn: Option<&'a RawValue>,
}

/// What a source's detection rule looks at: the event's top-level shape and its `requestContext`'s.
pub(super) struct Clues<'s, 'a> {
    pub(super) shape: &'s Shape<'a>,
    pub(super) context: ContextShape<'a>,
}

impl Clues<'_, '_> {
    /// `requestContext.domainName`, lower-cased; empty when there is none. Borrowed from the event when it
    /// is already lower case without escapes, as Lambda sends it (no copy on every invocation).
    pub(super) fn domain_name(&self) -> Cow<'_, str> {
        let Some(raw) = self.context.domain_name else {
            return Cow::Borrowed("");
        };
        match serde_json::from_str::<&str>(raw.get()) {
            Ok(name) if !name.bytes().any(|b| b.is_ascii_uppercase()) => Cow::Borrowed(name),
            Ok(name) => Cow::Owned(name.to_ascii_lowercase()),
            Err(_) => Cow::Owned(serde_json::from_str::<String>(raw.get()).unwrap_or_default().to_ascii_lowercase()),
        }
    }
}

pub(super) fn is_object(raw: Option<&RawValue>) -> bool {
    raw.is_some_and(|r| r.get().starts_with('{'))
}

pub(super) fn is_string(raw: Option<&RawValue>) -> bool {
    raw.is_some_and(|r| r.get().starts_with('"'))
}

impl<'a> Shape<'a> {
    /// Reads the shape of `event`. `Ok(None)` for valid JSON that is not an object (a direct invoke's string
    /// or array payload); `Err` for invalid JSON.
    pub(crate) fn read(event: &'a Event) -> Result<Option<Shape<'a>>, serde_json::Error> {
        // A struct would also accept a JSON array (as a sequence of its fields), so look before parsing.
        if event.bytes().iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return event.parse::<IgnoredAny>().map(|_| None);
        }
        event.parse::<Shape>().map(Some)
    }

    /// The event source: the first in the registry whose rule matches, else pass-through.
    pub(crate) fn source(&self, http_api_domains: &[String]) -> &'static Source {
        let context: ContextShape = self
            .request_context
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or_default();
        registry::detect(&Clues { shape: self, context }, http_api_domains)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::tests::fixture;
    use crate::sources::{alb, function_url, http_api, pass_through, rest_api, vpc_lattice, websocket};
    use serde_json::Value;

    fn detect(event: &Value, http_api_domains: &[String]) -> &'static Source {
        let text = event.to_string();
        Shape::read(&Event::new(text.as_bytes())).unwrap().unwrap().source(http_api_domains)
    }

    #[test]
    fn every_fixture_has_the_kind_its_name_says() {
        let cases = [
            ("example-alb-lambda-target-request-headers-only.json", alb::SINGLE_VALUE),
            ("example-alb-lambda-target-request-multivalue-headers.json", alb::MULTI_VALUE),
            ("example-apigw-console-test-request.json", rest_api::SOURCE),
            ("example-apigw-request.json", rest_api::SOURCE),
            ("example-apigw-request-catch-all.json", rest_api::SOURCE),
            ("example-apigw-request-multi-value-parameters.json", rest_api::SOURCE),
            ("example-apigw-restapi-openapi-request.json", rest_api::SOURCE),
            ("example-apigw-sam-rest-request.json", rest_api::SOURCE),
            ("example-apigw-sam-http-request.json", function_url::SOURCE),
            ("example-apigw-v2-request-iam.json", http_api::SOURCE),
            ("example-apigw-v2-request-jwt-authorizer.json", http_api::SOURCE),
            ("example-apigw-v2-request-lambda-authorizer.json", http_api::SOURCE),
            ("example-apigw-v2-request-multi-value-parameters.json", http_api::SOURCE),
            ("example-apigw-v2-request-no-authorizer.json", http_api::SOURCE),
            ("example-lambda-function-url-request.json", function_url::SOURCE),
            ("example-apigw-websocket-message.json", websocket::SOURCE),
            ("example-apigw-websocket-request-disconnect-route.json", websocket::SOURCE),
            ("example-apigw-websocket-request-without-method.json", websocket::SOURCE),
            ("example-bedrock-agent-runtime-event.json", pass_through::SOURCE),
            ("example-dynamodb-event.json", pass_through::SOURCE),
            ("example-eventbridge-schedule.json", pass_through::SOURCE),
            ("example-kinesis-event.json", pass_through::SOURCE),
            ("example-s3-event.json", pass_through::SOURCE),
            ("example-sns-event.json", pass_through::SOURCE),
            ("example-sqs-event.json", pass_through::SOURCE),
            ("example-vpc-lattice-v2-request.json", vpc_lattice::SOURCE),
            ("example-vpc-lattice-v2-request-base64.json", vpc_lattice::SOURCE),
        ];
        for (name, kind) in cases {
            let bytes = fixture(name);
            let json = Event::new(&bytes);
            let shape = Shape::read(&json).unwrap().unwrap();
            assert_eq!(shape.source(&[]), kind, "{name}");
            let event: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(detect(&event, &[]), kind, "{name}: the Value form agrees");
        }
    }

    #[test]
    fn non_objects_pass_through_and_invalid_json_is_an_error() {
        assert!(Shape::read(&Event::new(br#""a plain string payload""#)).unwrap().is_none());
        assert!(Shape::read(&Event::new(b"[1, 2]")).unwrap().is_none());
        assert!(Shape::read(&Event::new(b"{\"rawPath\": ")).is_err());
        let json = Event::new(br#"{"httpMethod": "GET", "requestContext": "not an object"}"#);
        let shape = Shape::read(&json).unwrap().unwrap();
        assert_eq!(shape.source(&[]), pass_through::SOURCE);
    }

    #[test]
    fn custom_domain_http_api_is_listed() {
        let mut event: Value = serde_json::from_slice(&fixture("example-apigw-v2-request-iam.json")).unwrap();
        event["requestContext"]["domainName"] = "api.example.com".into();
        assert_eq!(detect(&event, &[]), function_url::SOURCE);
        assert_eq!(detect(&event, &["api.example.com".into()]), http_api::SOURCE);
    }

    #[test]
    fn domain_names_are_compared_lower_case_and_unescaped() {
        let listed = ["api.example.com".to_string()];
        let text = String::from_utf8(fixture("example-apigw-v2-request-iam.json")).unwrap();
        let domain = serde_json::from_str::<Value>(&text).unwrap()["requestContext"]["domainName"]
            .as_str()
            .unwrap()
            .to_string();
        for spelling in ["API.Example.COM", r"api\u002eexample.com", r"API\u002eExample.com"] {
            let event = text.replace(&format!("\"{domain}\""), &format!("\"{spelling}\""));
            assert_ne!(event, text);
            let json = Event::new(event.as_bytes());
            let shape = Shape::read(&json).unwrap().unwrap();
            assert_eq!(shape.source(&listed), http_api::SOURCE, "{spelling}");
            assert_eq!(shape.source(&[]), function_url::SOURCE, "{spelling}");
        }
    }
}
