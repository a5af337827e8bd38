//! Tests of the settings: defaults, both names, and the errors users see.
use super::*;

fn config(vars: &[(&str, &str)]) -> (Result<Config, ConfigError>, Vec<String>) {
    let mut settings = Settings::new(lookup(vars));
    let result = Config::from_settings(&mut settings);
    (result, settings.warnings().to_vec())
}

#[test]
fn defaults() {
    let config = config(&[]).0.unwrap();
    assert_eq!(config.port, 8080);
    assert_eq!(config.readiness_port, 8080);
    assert_eq!(config.readiness_path, "/");
    assert_eq!(config.pass_through_path, "/events");
    assert_eq!(config.invoke_mode, InvokeMode::Buffered);
    assert!(config.readiness_healthy_status.contains(404));
    assert!(!config.readiness_healthy_status.contains(500));
}

#[test]
fn both_names_and_plain_port() {
    assert_eq!(config(&[("PORT", "3000")]).0.unwrap().port, 3000);
    assert_eq!(config(&[("PORT", "3000"), ("AWS_LWA_PORT", "4000")]).0.unwrap().port, 4000);
    let (result, warnings) = config(&[("LWA_PORT", "5000"), ("AWS_LWA_PORT", "4000")]);
    assert_eq!(result.unwrap().port, 5000);
    assert!(
        warnings[0].contains("LWA_PORT") && warnings[0].contains("AWS_LWA_PORT"),
        "{warnings:?}"
    );
    let streaming = config(&[("AWS_LWA_INVOKE_MODE", "RESPONSE_STREAM")]).0.unwrap();
    assert_eq!(streaming.invoke_mode, InvokeMode::ResponseStream);
}

#[test]
fn invalid_values_name_variable_value_and_allowed() {
    let err = config(&[("AWS_LWA_INVOKE_MODE", "response_streaming")]).0.unwrap_err();
    assert_eq!(err.variable, "AWS_LWA_INVOKE_MODE");
    let text = err.to_string();
    assert!(
        text.contains("\"response_streaming\"") && text.contains("did you mean `response_stream`"),
        "{text}"
    );

    let err = config(&[("PORT", "abc")]).0.unwrap_err();
    assert_eq!((err.variable.as_str(), err.value.as_str()), ("PORT", "abc"));
    assert!(err.allowed.contains("1 to 65535"));

    let err = config(&[("LWA_ERROR_STATUS_CODES", "500-")]).0.unwrap_err();
    assert!(err.to_string().contains("LWA_ERROR_STATUS_CODES") && err.allowed.contains("missing a bound"));

    let err = config(&[("LWA_ASYNC_INIT", "maybe")]).0.unwrap_err();
    assert!(err.allowed.contains("true/false"));

    assert!(config(&[("LWA_READINESS_CHECK_PATH", "health")]).0.is_err());
    assert!(config(&[("LWA_READINESS_CHECK_TIMEOUT", "-1")]).0.is_err());
    assert!(config(&[("LWA_AUTHORIZATION_SOURCE", "bad header")]).0.is_err());
}

#[test]
fn deprecated_plain_names_still_work_with_a_warning() {
    let (result, warnings) = config(&[("READINESS_CHECK_PATH", "/ready"), ("REMOVE_BASE_PATH", "/api")]);
    let parsed = result.unwrap();
    assert_eq!(
        (parsed.readiness_path.as_str(), parsed.remove_base_path.as_deref()),
        ("/ready", Some("/api"))
    );
    assert!(
        warnings.iter().any(|w| w.contains("READINESS_CHECK_PATH is deprecated")),
        "{warnings:?}"
    );
    assert!(config(&[("AWS_LWA_ENABLE_COMPRESSION", "true")]).0.unwrap().compression.enabled);
}

#[test]
fn booleans_in_any_case() {
    for (text, want) in [
        ("TRUE", true),
        ("Yes", true),
        ("1", true),
        ("no", false),
        ("False", false),
        ("0", false),
    ] {
        assert_eq!(parse_bool(text), Ok(want), "{text}");
    }
}

#[test]
fn hosts_are_host_names_or_ip_literals() {
    for (host, address) in [
        ("127.0.0.1", "127.0.0.1:8080"),
        ("::1", "[::1]:8080"),
        ("[::1]", "[::1]:8080"),
        ("App.Internal", "app.internal:8080"),
        ("localhost", "localhost:8080"),
        ("my_app", "my_app:8080"),
    ] {
        let config = config(&[("LWA_HOST", host)]).0.unwrap();
        assert_eq!(config.app_address.as_str(), address, "{host}");
        assert_eq!(config.app_base_url(), format!("http://{address}"));
    }
    for bad in [
        "a b",
        "x/y",
        "x:80",
        "http://x",
        "x@y",
        "-x",
        "x..y",
        "127.0.0.256",
        "a\u{1}b",
        "[x]",
        "ü.example",
    ] {
        let err = config(&[("LWA_HOST", bad)]).0.unwrap_err();
        assert_eq!((err.variable.as_str(), err.value.as_str()), ("LWA_HOST", bad));
        assert!(err.allowed.contains("host name or an IP address"), "{bad}: {err}");
    }
}

#[test]
fn paths_are_paths_a_request_line_can_carry() {
    let ok = config(&[("LWA_READINESS_CHECK_PATH", "/health?deep=1")]).0.unwrap();
    assert_eq!(ok.readiness_path, "/health?deep=1");
    for (variable, bad) in [
        ("LWA_READINESS_CHECK_PATH", "/a<b>"),
        ("LWA_READINESS_CHECK_PATH", "health"),
        ("LWA_READINESS_CHECK_PATH", "/a\u{7f}"),
        ("LWA_READINESS_CHECK_PATH", "/a#b"),
        ("AWS_LWA_PASS_THROUGH_PATH", "/events?x=1"),
        ("LWA_REMOVE_BASE_PATH", "/a\"b"),
        ("LWA_WS_PATH", "/w s"),
    ] {
        let err = config(&[(variable, bad)]).0.unwrap_err();
        assert_eq!((err.variable.as_str(), err.value.as_str()), (variable, bad));
        assert!(err.allowed.contains("absolute path"), "{variable}={bad:?}: {err}");
    }
}
