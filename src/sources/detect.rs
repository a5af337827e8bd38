//! Which event source sent an event, told by its shape (PROTOCOL.md § 5).
//!
//! Detection reads only a few fields, borrowing the rest of the event as raw JSON text, before the event is
//! read into its `aws_lambda_events` type: an event that looks like HTTP but fails to parse gets a precise
//! error instead of silently becoming a pass-through event, and the event is never built as a whole
//! `serde_json::Value` on the hot path (that tree, then the typed event built from it, cost more than the
//! rest of an invocation's translation).

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::EventKind;

/// The top-level fields detection and the readers need; everything else is skipped unparsed.
#[derive(Debug, Default, Deserialize)]
pub struct Shape<'a> {
    #[serde(rename = "requestContext", borrow, default)]
    pub request_context: Option<&'a RawValue>,
    #[serde(rename = "httpMethod", default)]
    http_method: Option<IgnoredAny>,
    #[serde(rename = "multiValueHeaders", default)]
    multi_value_headers: Option<IgnoredAny>,
    #[serde(rename = "multiValueQueryStringParameters", borrow, default)]
    pub multi_value_query: Option<&'a RawValue>,
    #[serde(rename = "queryStringParameters", borrow, default)]
    pub query: Option<&'a RawValue>,
}

/// The fields of `requestContext` that tell the sources apart.
#[derive(Debug, Default, Deserialize)]
struct ContextShape<'a> {
    #[serde(borrow, default)]
    elb: Option<&'a RawValue>,
    #[serde(rename = "eventType", borrow, default)]
    event_type: Option<&'a RawValue>,
    #[serde(rename = "connectionId", borrow, default)]
    connection_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    http: Option<&'a RawValue>,
    #[serde(rename = "domainName", borrow, default)]
    domain_name: Option<&'a RawValue>,
    #[serde(rename = "serviceNetworkArn", borrow, default)]
    service_network_arn: Option<&'a RawValue>,
    #[serde(rename = "serviceArn", borrow, default)]
    service_arn: Option<&'a RawValue>,
}

fn is_object(raw: Option<&RawValue>) -> bool {
    raw.is_some_and(|r| r.get().starts_with('{'))
}

fn is_string(raw: Option<&RawValue>) -> bool {
    raw.is_some_and(|r| r.get().starts_with('"'))
}

impl<'a> Shape<'a> {
    /// Reads the shape of `event`. `Ok(None)` for valid JSON that is not an object (a direct invoke's string
    /// or array payload); `Err` for invalid JSON.
    pub fn read(event: &'a [u8]) -> Result<Option<Shape<'a>>, serde_json::Error> {
        // A struct would also accept a JSON array (as a sequence of its fields), so look before parsing.
        if event.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return serde_json::from_slice::<IgnoredAny>(event).map(|_| None);
        }
        serde_json::from_slice::<Shape>(event).map(Some)
    }

    /// The event source.
    pub fn kind(&self, http_api_domains: &[String]) -> EventKind {
        let context: ContextShape = self
            .request_context
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or_default();
        if is_object(context.elb) {
            return EventKind::Alb {
                multi_value: self.multi_value_headers.is_some(),
            };
        }
        if is_string(context.event_type) && is_string(context.connection_id) {
            return EventKind::WebSocket;
        }
        if is_string(context.service_network_arn) || is_string(context.service_arn) {
            return EventKind::VpcLattice;
        }
        if is_object(context.http) {
            let domain = context
                .domain_name
                .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
                .unwrap_or_default();
            let domain = domain.to_ascii_lowercase();
            let http_api = domain.contains(".execute-api.") || http_api_domains.contains(&domain);
            return if http_api { EventKind::HttpApi } else { EventKind::FunctionUrl };
        }
        if self.http_method.is_some() && is_object(self.request_context) {
            return EventKind::RestApi;
        }
        EventKind::PassThrough
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::tests::fixture;
    use serde_json::Value;

    fn detect(event: &Value, http_api_domains: &[String]) -> EventKind {
        let text = event.to_string();
        Shape::read(text.as_bytes()).unwrap().unwrap().kind(http_api_domains)
    }

    #[test]
    fn every_fixture_has_the_kind_its_name_says() {
        let cases = [
            (
                "example-alb-lambda-target-request-headers-only.json",
                EventKind::Alb { multi_value: false },
            ),
            (
                "example-alb-lambda-target-request-multivalue-headers.json",
                EventKind::Alb { multi_value: true },
            ),
            ("example-apigw-console-test-request.json", EventKind::RestApi),
            ("example-apigw-request.json", EventKind::RestApi),
            ("example-apigw-request-catch-all.json", EventKind::RestApi),
            ("example-apigw-request-multi-value-parameters.json", EventKind::RestApi),
            ("example-apigw-restapi-openapi-request.json", EventKind::RestApi),
            ("example-apigw-sam-rest-request.json", EventKind::RestApi),
            ("example-apigw-sam-http-request.json", EventKind::FunctionUrl),
            ("example-apigw-v2-request-iam.json", EventKind::HttpApi),
            ("example-apigw-v2-request-jwt-authorizer.json", EventKind::HttpApi),
            ("example-apigw-v2-request-lambda-authorizer.json", EventKind::HttpApi),
            ("example-apigw-v2-request-multi-value-parameters.json", EventKind::HttpApi),
            ("example-apigw-v2-request-no-authorizer.json", EventKind::HttpApi),
            ("example-lambda-function-url-request.json", EventKind::FunctionUrl),
            ("example-apigw-websocket-message.json", EventKind::WebSocket),
            ("example-apigw-websocket-request-disconnect-route.json", EventKind::WebSocket),
            ("example-apigw-websocket-request-without-method.json", EventKind::WebSocket),
            ("example-bedrock-agent-runtime-event.json", EventKind::PassThrough),
            ("example-dynamodb-event.json", EventKind::PassThrough),
            ("example-eventbridge-schedule.json", EventKind::PassThrough),
            ("example-kinesis-event.json", EventKind::PassThrough),
            ("example-s3-event.json", EventKind::PassThrough),
            ("example-sns-event.json", EventKind::PassThrough),
            ("example-sqs-event.json", EventKind::PassThrough),
            ("example-vpc-lattice-v2-request.json", EventKind::VpcLattice),
            ("example-vpc-lattice-v2-request-base64.json", EventKind::VpcLattice),
        ];
        for (name, kind) in cases {
            let bytes = fixture(name);
            let shape = Shape::read(&bytes).unwrap().unwrap();
            assert_eq!(shape.kind(&[]), kind, "{name}");
            let event: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(detect(&event, &[]), kind, "{name}: the Value form agrees");
        }
    }

    #[test]
    fn non_objects_pass_through_and_invalid_json_is_an_error() {
        assert!(Shape::read(br#""a plain string payload""#).unwrap().is_none());
        assert!(Shape::read(b"[1, 2]").unwrap().is_none());
        assert!(Shape::read(b"{\"rawPath\": ").is_err());
        let shape = Shape::read(br#"{"httpMethod": "GET", "requestContext": "not an object"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(shape.kind(&[]), EventKind::PassThrough);
    }

    #[test]
    fn custom_domain_http_api_is_listed() {
        let mut event: Value = serde_json::from_slice(&fixture("example-apigw-v2-request-iam.json")).unwrap();
        event["requestContext"]["domainName"] = "api.example.com".into();
        assert_eq!(detect(&event, &[]), EventKind::FunctionUrl);
        assert_eq!(detect(&event, &["api.example.com".into()]), EventKind::HttpApi);
    }
}
