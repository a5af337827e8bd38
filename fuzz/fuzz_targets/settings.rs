//! Fuzzer-chosen values for the adapter's settings (both names of every row of the settings table
//! `config::table::SETTINGS`, the plain and deprecated names it lists, and `AWS_LAMBDA_RUNTIME_API`,
//! `AWS_LAMBDA_MAX_CONCURRENCY`, `AWS_LAMBDA_INITIALIZATION_TYPE`) through `Config::from_settings`: a config
//! or a `ConfigError`, never a panic. An accepted config points at the host and port it was given: its
//! `app_base_url()` is an `http` URI whose authority is exactly the configured `host:port`, the host being the
//! `LWA_HOST` value (trimmed; case and IPv6 brackets aside), and every app request translated with it goes
//! there. The Runtime API address (`AWS_LAMBDA_RUNTIME_API`, `LWA_LAMBDA_RUNTIME_API_PROXY`) and
//! `LWA_WS_ENDPOINT`, when accepted, give URLs that parse with their scheme and authority.
#![no_main]

use std::collections::HashMap;
use std::sync::LazyLock;

use arbitrary::Arbitrary;
use fuzz_support::{FIXTURES, api, checking, context};
use libfuzzer_sys::fuzz_target;

/// Every variable the configuration reads, from the adapter's own settings table.
static NAMES: LazyLock<Vec<String>> = LazyLock::new(api::setting_names);

/// Values that mean something to some setting, mixed into the fuzzer's own strings.
#[rustfmt::skip]
const VALUES: [&str; 30] = [
    "8080", "0", "65535", "65536", "9002", "127.0.0.1", "::1", "[::1]", "x/y", "a@b", "localhost", "/", "/ws/", "http",
    "tcp", "200-399,404", "true", "off", "response_stream", "post", "https://abc.execute-api.us-east-1.amazonaws.com/prod",
    "http://127.0.0.1:4510/stage", "2.5", "X-Api-Key", "127.0.0.1:9001", "http://127.0.0.1:9000/.rt", "snap-start", "4",
    "text/*,application/json", "/after-restore",
];

/// A variable, by its index in [`NAMES`].
#[derive(Arbitrary, Debug)]
struct Name(u8);

impl Name {
    fn variable(&self) -> String {
        NAMES[self.0 as usize % NAMES.len()].clone()
    }
}

#[derive(Arbitrary, Debug)]
enum Text {
    Known(u8),
    Raw(String),
    Both(u8, String),
}

impl Text {
    fn build(&self) -> String {
        match self {
            Text::Known(i) => VALUES[*i as usize % VALUES.len()].into(),
            Text::Raw(s) => s.clone(),
            Text::Both(i, s) => format!("{}{s}", VALUES[*i as usize % VALUES.len()]),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    vars: Vec<(Name, Text)>,
    fixture: u8,
}

/// The host the user configured: `LWA_HOST`, else `AWS_LWA_HOST` (empty counts as unset), trimmed.
fn configured_host(vars: &HashMap<String, String>) -> Option<String> {
    ["LWA_HOST", "AWS_LWA_HOST"]
        .iter()
        .find_map(|name| vars.get(*name).filter(|v| !v.is_empty()))
        .map(|v| v.trim().to_string())
}

/// A host without IPv6 brackets, lower-case.
fn plain_host(host: &str) -> String {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .to_ascii_lowercase()
}

fuzz_target!(|input: Input| {
    let vars: HashMap<String, String> = input.vars.iter().take(24).map(|(n, v)| (n.variable(), v.build())).collect();
    if let Some(url) = api::runtime_api_url(|name: &str| vars.get(name).cloned())
        && checking("runtime-api")
    {
        let uri: http::Uri = url
            .parse()
            .unwrap_or_else(|e| panic!("Runtime API URL `{url}` ({e}) from {vars:?}"));
        assert_eq!(uri.scheme_str(), Some("http"), "{url}");
    }
    let Ok(config) = api::config(|name: &str| vars.get(name).cloned()) else {
        return;
    };
    if let Some((scheme, authority, url)) = api::ws_endpoint(&config).filter(|_| checking("ws-endpoint")) {
        let parsed: http::Uri = url
            .parse()
            .unwrap_or_else(|e| panic!("LWA_WS_ENDPOINT base URL `{url}` ({e}): {vars:?}"));
        assert_eq!(parsed.scheme_str(), Some(scheme.as_str()), "{url}");
        assert_eq!(parsed.authority().map(|a| a.as_str()), Some(authority.as_str()), "{url}");
    }
    if !checking("app-base") {
        return;
    }
    let base = config.app_base_url();
    let (address, host, port) = api::app_address(&config);
    let what = (&vars, &base);
    let uri: http::Uri = base
        .parse()
        .unwrap_or_else(|e| panic!("app_base_url `{base}` is not a URI ({e}): {what:?}"));
    assert_eq!(uri.scheme_str(), Some("http"), "{what:?}");
    let authority = uri
        .authority()
        .unwrap_or_else(|| panic!("app_base_url `{base}` has no authority: {what:?}"));
    assert_eq!(authority.as_str(), address, "app_base_url and the app address differ: {what:?}");
    assert_eq!(plain_host(authority.host()), plain_host(&host), "the app's host: {what:?}");
    assert_eq!(authority.port_u16(), Some(port), "the app's port: {what:?}");
    assert_eq!(uri.path(), "/", "app_base_url has a path: {what:?}");
    let configured = configured_host(&vars).unwrap_or_else(|| "127.0.0.1".into());
    assert_eq!(
        plain_host(&host),
        plain_host(&configured),
        "the host is not the one configured: {what:?}"
    );

    let options = api::options_from(&config);
    let (name, event) = FIXTURES[input.fixture as usize % FIXTURES.len()];
    if let Ok((_, request, _)) = api::translate(event, &context(true), &options) {
        assert_eq!(
            request.uri().authority().map(|a| a.as_str()),
            Some(authority.as_str()),
            "{name}: the request goes elsewhere: {:?} {what:?}",
            request.uri()
        );
    }
});
