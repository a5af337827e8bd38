//! Which invocations stream, per source and setting.

use super::*;
use crate::config::Settings;
use crate::sources::{alb, function_url, http_api, pass_through, rest_api, websocket};

fn config(mode: &str, rest: bool) -> Config {
    let rest = rest.to_string();
    let mut settings = Settings::new(crate::config::lookup(&[
        ("LWA_INVOKE_MODE", mode),
        ("LWA_APIGW_REST_STREAMING", &rest),
    ]));
    Config::from_settings(&mut settings).unwrap()
}

#[test]
fn only_function_urls_and_opted_in_rest_apis_stream() {
    let streaming = config("response_stream", false);
    assert_eq!(
        response_mode(&streaming, function_url::SOURCE),
        ResponseMode::Streaming { multi_value: false }
    );
    for kind in [
        http_api::SOURCE,
        rest_api::SOURCE,
        alb::MULTI_VALUE,
        pass_through::SOURCE,
        websocket::SOURCE,
    ] {
        assert_eq!(response_mode(&streaming, kind), ResponseMode::Buffered, "{kind:?}");
    }
    assert_eq!(
        response_mode(&config("response_stream", true), rest_api::SOURCE),
        ResponseMode::Streaming { multi_value: true }
    );
    assert_eq!(
        response_mode(&config("buffered", true), function_url::SOURCE),
        ResponseMode::Buffered
    );
}
