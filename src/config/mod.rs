//! The adapter's settings, read once from the environment and validated in full.
//!
//! Every setting answers to `LWA_<NAME>` and to `AWS_LWA_<NAME>`, the name the reference Lambda Web Adapter
//! uses, so its users can switch without editing their templates. When both are set `LWA_` wins and a warning
//! says so. An invalid value is never replaced by a default: it becomes a [`ConfigError`] naming the variable,
//! the value and what is allowed, which start-up reports through the Runtime API's init-error call.

use std::fmt;

use std::time::Duration;

use http::HeaderName;
use http::uri::Authority;

use crate::status_ranges::StatusRanges;
use parse::*;
pub(crate) use parse::{MAX_CONCURRENCY, parse_bool, parse_host, parse_path, parse_port};

pub(crate) mod compression;
pub(crate) mod endpoint;
pub mod environment;
mod parse;
pub mod runtime_api;
pub(crate) mod ws;

pub(crate) use ws::{ManagementEndpoint, ReplyMode, WsConfig};

/// How the app's response goes back to Lambda.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvokeMode {
    /// The whole response as one JSON document (API Gateway, ALB, Function URL `BUFFERED`).
    Buffered,
    /// Lambda's response streaming protocol (Function URL `RESPONSE_STREAM`).
    ResponseStream,
}

/// How readiness is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadinessProtocol {
    /// `GET` on the readiness path; healthy when the status is in the healthy ranges.
    Http,
    /// A TCP connection to the readiness port succeeds.
    Tcp,
}

/// Every setting, typed.
#[derive(Clone, Debug)]
pub struct Config {
    /// A host name or IP literal (IPv6 in brackets), checked at start-up.
    pub host: String,
    pub port: u16,
    /// `host:port` of the app: the only address requests go to.
    pub app_address: Authority,
    /// A path, with an optional query, checked at start-up.
    pub readiness_path: String,
    pub readiness_port: u16,
    /// `host:port` of the readiness check.
    pub readiness_address: Authority,
    pub(crate) readiness_protocol: ReadinessProtocol,
    pub(crate) readiness_healthy_status: StatusRanges,
    pub readiness_timeout: Option<Duration>,
    /// How long an idle connection to the app stays pooled (`POOL_IDLE_TIMEOUT_SECONDS`).
    pub pool_idle_timeout: Duration,
    /// Invocations served at once: `AWS_LAMBDA_MAX_CONCURRENCY` on Lambda Managed Instances, else 1.
    pub max_concurrency: usize,
    /// A comment line on a streamed event stream idle this long (`SSE_KEEPALIVE`), for proxies' timeouts.
    pub sse_keepalive: Option<Duration>,
    /// `AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`: the environment is restored from a snapshot.
    pub snap_start: bool,
    /// App paths `POST`ed before the snapshot and after the restore (SnapStart), so the app can drop and
    /// re-open its connections. Clients asking for them get 403.
    pub(crate) snapstart_hooks: SnapStartHooks,
    pub async_init: bool,
    pub remove_base_path: Option<String>,
    pub pass_through_path: String,
    /// Post a non-HTTP event's answer whatever its status (`PASS_THROUGH_ANY_STATUS`); by default a status
    /// outside 2xx fails the invocation, so the event's source retries it.
    pub pass_through_any_status: bool,
    pub authorization_source: Option<HeaderName>,
    pub(crate) error_status_codes: Option<StatusRanges>,
    pub invoke_mode: InvokeMode,
    /// Stream responses to API Gateway REST (v1) events; only right when the integration uses
    /// `responseTransferMode: STREAM`, which the adapter cannot see.
    pub apigw_rest_streaming: bool,
    /// Domains whose v2 events come from an HTTP API (which cannot stream) though they are not
    /// `execute-api` domains: custom domains in front of an HTTP API.
    pub http_api_domains: Vec<String>,
    /// The WebSocket bridge's `LWA_WS_*` settings.
    pub ws: WsConfig,
    /// Response compression: `LWA_ENABLE_COMPRESSION` and `LWA_COMPRESSIBLE_TYPES`.
    pub(crate) compression: compression::CompressionConfig,
}

/// SnapStart's app hooks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SnapStartHooks {
    pub before_checkpoint: Option<String>,
    pub after_restore: Option<String>,
}

/// A setting whose value is not allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable as the user set it (`LWA_PORT` or `AWS_LWA_PORT` or `PORT`).
    pub variable: String,
    pub value: String,
    /// What would have been accepted, and any hint.
    pub allowed: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid setting {}={:?}: {}", self.variable, self.value, self.allowed)
    }
}

impl std::error::Error for ConfigError {}

/// Looks up settings under both of their names. Built over any lookup function so tests need no process
/// environment.
pub struct Settings<F> {
    lookup: F,
    warnings: Vec<String>,
}

/// Settings the reference adapter also reads without a prefix.
const DEPRECATED_PLAIN: [&str; 5] = [
    "READINESS_CHECK_PORT",
    "READINESS_CHECK_PATH",
    "READINESS_CHECK_PROTOCOL",
    "REMOVE_BASE_PATH",
    "ASYNC_INIT",
];

/// One resolved variable: the name it was found under and its value.
pub(crate) struct Found {
    pub variable: String,
    pub value: String,
}

impl<F: Fn(&str) -> Option<String>> Settings<F> {
    pub fn new(lookup: F) -> Self {
        Settings {
            lookup,
            warnings: Vec::new(),
        }
    }

    /// Warnings gathered while reading (both names set, and so on).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Adds a warning for the caller to log.
    pub(crate) fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// Finds `LWA_<name>`, else `AWS_LWA_<name>`. Empty values count as unset.
    pub(crate) fn get(&mut self, name: &str) -> Option<Found> {
        let ours = format!("LWA_{name}");
        let theirs = format!("AWS_LWA_{name}");
        let read = |var: &str| (self.lookup)(var).filter(|v| !v.is_empty());
        match (read(&ours), read(&theirs)) {
            (Some(value), other) => {
                if let Some(other) = other.filter(|o| *o != value) {
                    self.warnings
                        .push(format!("both {ours}={value:?} and {theirs}={other:?} are set; using {ours}"));
                }
                Some(Found { variable: ours, value })
            }
            (None, Some(value)) => Some(Found { variable: theirs, value }),
            (None, None) => {
                // The reference adapter still reads a few settings without prefix (deprecated there).
                let value = DEPRECATED_PLAIN.contains(&name).then(|| read(name)).flatten()?;
                self.warnings
                    .push(format!("{name} is deprecated; set {ours} (or {theirs}) instead"));
                Some(Found {
                    variable: name.to_string(),
                    value,
                })
            }
        }
    }

    /// Finds a plain variable (no prefix), such as `PORT`.
    pub(crate) fn get_plain(&self, name: &str) -> Option<Found> {
        (self.lookup)(name).filter(|v| !v.is_empty()).map(|value| Found {
            variable: name.into(),
            value,
        })
    }

    /// Reads and converts a setting; unset gives `None`.
    pub fn parse<T>(&mut self, name: &str, convert: impl FnOnce(&str) -> Result<T, String>) -> Result<Option<T>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(found) => convert(found.value.trim()).map(Some).map_err(|allowed| found.error(allowed)),
        }
    }

    /// A boolean setting.
    pub fn flag(&mut self, name: &str, default: bool) -> Result<bool, ConfigError> {
        Ok(self.parse(name, parse_bool)?.unwrap_or(default))
    }
}

impl Found {
    pub(crate) fn error(&self, allowed: impl Into<String>) -> ConfigError {
        ConfigError {
            variable: self.variable.clone(),
            value: self.value.clone(),
            allowed: allowed.into(),
        }
    }
}

impl Config {
    /// Reads every setting through `settings`. Warnings stay in `settings` for the caller to log.
    pub fn from_settings<F: Fn(&str) -> Option<String>>(settings: &mut Settings<F>) -> Result<Config, ConfigError> {
        let port = match settings.parse("PORT", parse_port)? {
            Some(port) => port,
            None => match settings.get_plain("PORT") {
                Some(found) => parse_port(found.value.trim()).map_err(|allowed| found.error(allowed))?,
                None => 8080,
            },
        };
        let host_setting = settings.get("HOST");
        let host = match &host_setting {
            Some(found) => parse_host(found.value.trim()).map_err(|allowed| found.error(allowed))?,
            None => "127.0.0.1".into(),
        };
        let in_host = |allowed: String| match &host_setting {
            Some(found) => found.error(allowed),
            None => ConfigError {
                variable: "LWA_HOST".into(),
                value: host.clone(),
                allowed,
            },
        };
        let app_address = authority(&host, port).map_err(in_host)?;
        let readiness_port = settings.parse("READINESS_CHECK_PORT", parse_port)?.unwrap_or(port);
        let readiness_address = authority(&host, readiness_port).map_err(in_host)?;
        let readiness_path = settings.parse("READINESS_CHECK_PATH", parse_target)?.unwrap_or_else(|| "/".into());
        let readiness_protocol = settings
            .parse("READINESS_CHECK_PROTOCOL", parse_protocol)?
            .unwrap_or(ReadinessProtocol::Http);
        let readiness_healthy_status = settings
            .parse("READINESS_CHECK_HEALTHY_STATUS", StatusRanges::parse)?
            .unwrap_or_else(|| StatusRanges::range(100, 499));
        // The reference adapter's newer name takes fractional seconds too; ours wins when both are set.
        let readiness_timeout = match settings.parse("READINESS_CHECK_TIMEOUT", parse_seconds)? {
            Some(timeout) => Some(timeout),
            None => settings.parse("READINESS_CHECK_TIMEOUT_SECONDS", parse_seconds)?,
        };
        let pool_idle_timeout = settings
            .parse("POOL_IDLE_TIMEOUT_SECONDS", parse_seconds_or_zero)?
            .unwrap_or(DEFAULT_POOL_IDLE);
        let max_concurrency = match settings.get_plain("AWS_LAMBDA_MAX_CONCURRENCY") {
            Some(found) => parse_concurrency(found.value.trim()).map_err(|allowed| found.error(allowed))?,
            None => 1,
        };
        let snap_start = settings
            .get_plain("AWS_LAMBDA_INITIALIZATION_TYPE")
            .is_some_and(|found| found.value.trim() == "snap-start");
        let sse_keepalive = settings.parse("SSE_KEEPALIVE", parse_seconds)?;
        let snapstart_hooks = SnapStartHooks {
            before_checkpoint: settings.parse("SNAPSTART_BEFORE_CHECKPOINT_PATH", parse_target)?,
            after_restore: settings.parse("SNAPSTART_AFTER_RESTORE_PATH", parse_target)?,
        };
        let async_init = settings.flag("ASYNC_INIT", false)?;
        let remove_base_path = settings.parse("REMOVE_BASE_PATH", |p| parse_path(p).map(|p| p.trim_end_matches('/').to_string()))?;
        let pass_through_path = settings.parse("PASS_THROUGH_PATH", parse_path)?.unwrap_or_else(|| "/events".into());
        let pass_through_any_status = settings.flag("PASS_THROUGH_ANY_STATUS", false)?;
        let authorization_source = settings.parse("AUTHORIZATION_SOURCE", parse_header_name)?;
        let error_status_codes = settings.parse("ERROR_STATUS_CODES", StatusRanges::parse)?;
        let invoke_mode = settings.parse("INVOKE_MODE", parse_invoke_mode)?.unwrap_or(InvokeMode::Buffered);
        let apigw_rest_streaming = settings.flag("APIGW_REST_STREAMING", false)?;
        let http_api_domains = settings.parse("HTTP_API_DOMAINS", parse_domains)?.unwrap_or_default();
        let compression = compression::CompressionConfig::from_settings(settings)?;
        let ws = WsConfig::from_settings(settings, port)?;
        Ok(Config {
            host,
            port,
            app_address,
            readiness_path,
            readiness_port,
            readiness_address,
            readiness_protocol,
            readiness_healthy_status,
            readiness_timeout,
            pool_idle_timeout,
            max_concurrency,
            sse_keepalive,
            snap_start,
            snapstart_hooks,
            async_init,
            remove_base_path: remove_base_path.filter(|p| !p.is_empty()),
            pass_through_path,
            pass_through_any_status,
            authorization_source,
            error_status_codes,
            invoke_mode,
            apigw_rest_streaming,
            http_api_domains,
            ws,
            compression,
        })
    }

    /// Reads the process environment. Returns the warnings to log beside the result. A value that is not
    /// UTF-8 is an error naming its variable, before any other.
    pub(crate) fn from_env() -> (Result<Config, ConfigError>, Vec<String>) {
        let env = environment::ProcessEnv::new();
        let mut settings = Settings::new(|name: &str| env.get(name));
        let config = Config::from_settings(&mut settings);
        let warnings = settings.warnings().to_vec();
        (env.check().and(config), warnings)
    }

    /// `http://host:port`, the app's base URL, for messages.
    pub fn app_base_url(&self) -> String {
        format!("http://{}", self.app_address)
    }
}

/// A lookup over fixed `name=value` pairs instead of the process environment, for tests.
#[cfg(test)]
pub(crate) fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Clone + Send + Sync + 'static {
    let map: std::collections::HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |name: &str| map.get(name).cloned()
}

#[cfg(test)]
mod tests;

/// Every setting with what it does and its default, for `--help`; its tests hold it to what this module reads.
pub mod table;
