//! Where the Runtime API is: `AWS_LAMBDA_RUNTIME_API`, or the reference adapter's proxy setting
//! (`LAMBDA_RUNTIME_API_PROXY`, a proxy extension in between). Read before the other settings, because an
//! invalid setting is reported through the Runtime API: an invalid proxy address still is, through Lambda's
//! own address when that one is valid.

use super::endpoint::Endpoint;

/// The Runtime API address is unusable: why, and where the failure can still be reported.
pub struct EndpointError {
    pub message: String,
    pub report_to: Option<Endpoint>,
}

/// The Runtime API to use: the reference adapter's proxy setting (a proxy extension in between) when set,
/// else `AWS_LAMBDA_RUNTIME_API`.
pub fn runtime_endpoint(lookup: impl Fn(&str) -> Option<String>) -> Result<Endpoint, EndpointError> {
    let lookup = |name: &str| lookup(name).filter(|v| !v.is_empty());
    let lambda = lookup("AWS_LAMBDA_RUNTIME_API").map(|text| (Endpoint::parse(&text), text));
    let proxy = ["LWA_LAMBDA_RUNTIME_API_PROXY", "AWS_LWA_LAMBDA_RUNTIME_API_PROXY"]
        .into_iter()
        .find_map(|name| lookup(name).map(|text| (name, text)));
    let invalid = |variable: &str, text: &str, allowed: String| format!("invalid setting {variable}={text:?}: {allowed}");
    match (proxy, lambda) {
        (Some((name, text)), lambda) => Endpoint::parse(&text).map_err(|allowed| EndpointError {
            message: invalid(name, &text, allowed),
            report_to: lambda.and_then(|(parsed, _)| parsed.ok()),
        }),
        (None, Some((parsed, text))) => parsed.map_err(|allowed| EndpointError {
            message: invalid("AWS_LAMBDA_RUNTIME_API", &text, allowed),
            report_to: None,
        }),
        (None, None) => Err(EndpointError {
            message: "AWS_LAMBDA_RUNTIME_API is not set: lambda-adapter runs inside AWS Lambda (or an emulator); to try an app locally, run `lambda-adapter dev -- <app command>`".into(),
            report_to: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(vars: &[(&str, &str)]) -> Result<Endpoint, EndpointError> {
        runtime_endpoint(crate::config::lookup(vars))
    }

    #[test]
    fn the_proxy_wins_and_an_invalid_one_is_reported_through_lambdas_api() {
        let lambda = ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001");
        let proxy = ("AWS_LWA_LAMBDA_RUNTIME_API_PROXY", "127.0.0.1:9009");
        assert_eq!(endpoint(&[lambda, proxy]).ok().unwrap().authority, "127.0.0.1:9009");
        assert_eq!(endpoint(&[lambda]).ok().unwrap().authority, "127.0.0.1:9001");
        let error = endpoint(&[lambda, ("LWA_LAMBDA_RUNTIME_API_PROXY", "a b:1")]).err().unwrap();
        assert!(
            error
                .message
                .starts_with("invalid setting LWA_LAMBDA_RUNTIME_API_PROXY=\"a b:1\": expected `host:port`"),
            "{}",
            error.message
        );
        assert_eq!(error.report_to.unwrap().authority, "127.0.0.1:9001");
    }

    #[test]
    fn an_invalid_or_missing_runtime_api_has_nowhere_to_report() {
        let error = endpoint(&[("AWS_LAMBDA_RUNTIME_API", "a b:9001")]).err().unwrap();
        assert!(
            error.message.starts_with("invalid setting AWS_LAMBDA_RUNTIME_API=\"a b:9001\""),
            "{}",
            error.message
        );
        assert!(error.report_to.is_none());
        assert!(endpoint(&[]).err().unwrap().message.contains("is not set"));
    }
}
