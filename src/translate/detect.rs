//! Which event source sent an event, told by its shape (PROTOCOL.md § 5).
//!
//! Detection looks at a few fields of the parsed JSON before the event is read into its
//! `aws_lambda_events` type, so an event that looks like HTTP but fails to parse gets a precise error
//! instead of silently becoming a pass-through event.

use serde_json::Value;

/// The event sources the adapter knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// Lambda Function URL (payload 2.0); can stream.
    FunctionUrl,
    /// API Gateway HTTP API (payload 2.0) on an `execute-api` domain or a listed custom domain; buffered only.
    HttpApi,
    /// API Gateway REST API (payload 1.0).
    RestApi,
    /// Application Load Balancer; `multi_value` when the target group sends multi-value headers.
    Alb { multi_value: bool },
    /// API Gateway WebSocket API.
    WebSocket,
    /// Anything else (SQS, S3, EventBridge, a direct invoke): posted as-is to the pass-through path.
    PassThrough,
}

impl EventKind {
    /// A short name for logs and messages.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::FunctionUrl => "Function URL",
            EventKind::HttpApi => "API Gateway HTTP API",
            EventKind::RestApi => "API Gateway REST API",
            EventKind::Alb { .. } => "ALB",
            EventKind::WebSocket => "API Gateway WebSocket",
            EventKind::PassThrough => "pass-through",
        }
    }
}

/// Tells the kind of `event`. `http_api_domains` lists custom domains that front an HTTP API.
pub fn detect(event: &Value, http_api_domains: &[String]) -> EventKind {
    let context = &event["requestContext"];
    if context.get("elb").is_some_and(Value::is_object) {
        let multi_value = event.get("multiValueHeaders").is_some_and(|h| !h.is_null());
        return EventKind::Alb { multi_value };
    }
    if context["eventType"].is_string() && context["connectionId"].is_string() {
        return EventKind::WebSocket;
    }
    if context.get("http").is_some_and(Value::is_object) {
        let domain = context["domainName"].as_str().unwrap_or("").to_ascii_lowercase();
        let http_api = domain.contains(".execute-api.") || http_api_domains.contains(&domain);
        return if http_api { EventKind::HttpApi } else { EventKind::FunctionUrl };
    }
    if event["httpMethod"].is_string() && context.is_object() {
        return EventKind::RestApi;
    }
    EventKind::PassThrough
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::tests::fixture;

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
        ];
        for (name, kind) in cases {
            let event: Value = serde_json::from_slice(&fixture(name)).unwrap();
            assert_eq!(detect(&event, &[]), kind, "{name}");
        }
    }

    #[test]
    fn custom_domain_http_api_is_listed() {
        let mut event: Value = serde_json::from_slice(&fixture("example-apigw-v2-request-iam.json")).unwrap();
        event["requestContext"]["domainName"] = "api.example.com".into();
        assert_eq!(detect(&event, &[]), EventKind::FunctionUrl);
        assert_eq!(detect(&event, &["api.example.com".into()]), EventKind::HttpApi);
    }
}
