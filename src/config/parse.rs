//! Each setting's value, parsed and checked: what a valid value is, and the message saying what is allowed
//! when it is not.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use http::HeaderName;
use http::uri::{Authority, PathAndQuery};

use super::{InvokeMode, ReadinessProtocol};

/// `true/false/1/0/yes/no`, any case.
pub(crate) fn parse_bool(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected a boolean: true/false, 1/0, yes/no or on/off (any case)".into()),
    }
}

/// A TCP port, 1..=65535.
pub(crate) fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err("expected a TCP port number from 1 to 65535".into()),
    }
}

pub(super) fn parse_invoke_mode(text: &str) -> Result<InvokeMode, String> {
    match text.to_ascii_lowercase().as_str() {
        "buffered" => Ok(InvokeMode::Buffered),
        "response_stream" => Ok(InvokeMode::ResponseStream),
        other => {
            let hint = if other.contains("stream") {
                " (did you mean `response_stream`?)"
            } else {
                ""
            };
            Err(format!("expected `buffered` or `response_stream`{hint}"))
        }
    }
}

pub(super) fn parse_protocol(text: &str) -> Result<ReadinessProtocol, String> {
    match text.to_ascii_lowercase().as_str() {
        "http" => Ok(ReadinessProtocol::Http),
        "tcp" => Ok(ReadinessProtocol::Tcp),
        _ => Err("expected `http` or `tcp`".into()),
    }
}

/// A path that a request line can carry, such as `/api/v1` (no query, fragment, spaces or control characters).
pub(crate) fn parse_path(text: &str) -> Result<String, String> {
    const ALLOWED: &str = "expected an absolute path such as `/api/v1`: starting with `/`, without a query, spaces or characters a URL cannot carry (escape them as `%XX`)";
    if text.contains('?') {
        return Err(ALLOWED.into());
    }
    parse_target(text).map_err(|_| ALLOWED.into())
}

/// A path with an optional query, such as `/health?full=1`.
pub(super) fn parse_target(text: &str) -> Result<String, String> {
    const ALLOWED: &str = "expected an absolute path, with an optional query, such as `/health` or `/health?deep=1`: starting with `/`, without spaces or characters a URL cannot carry (escape them as `%XX`)";
    let valid = text.starts_with('/')
        && !text.contains('#')
        && text.bytes().all(|b| b.is_ascii_graphic() && !br#""<>\^`{|}"#.contains(&b))
        && PathAndQuery::try_from(text).is_ok_and(|parsed| parsed.as_str() == text);
    if valid { Ok(text.to_string()) } else { Err(ALLOWED.into()) }
}

/// A host name or an IP literal, nothing else. IPv6 comes back in brackets, ready for an authority.
pub(crate) fn parse_host(text: &str) -> Result<String, String> {
    const ALLOWED: &str =
        "expected a host name or an IP address, such as `127.0.0.1`, `::1` or `app.internal`, without a scheme, port or path";
    let inner = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
    if inner.parse::<Ipv6Addr>().is_ok() {
        return Ok(format!("[{inner}]"));
    }
    if text.parse::<Ipv4Addr>().is_ok() {
        return Ok(text.to_string());
    }
    let name = text.strip_suffix('.').unwrap_or(text);
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    // All-numeric names are mistyped IPv4 addresses (`127.0.0.256`), which a resolver would reject later.
    let numeric = name.split('.').all(|l| l.bytes().all(|b| b.is_ascii_digit()));
    if name.len() <= 253 && name.split('.').all(label) && !numeric {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(ALLOWED.into())
    }
}

/// `host:port` from a host [`parse_host`] accepted.
pub(super) fn authority(host: &str, port: u16) -> Result<Authority, String> {
    Authority::try_from(format!("{host}:{port}")).map_err(|e| format!("`{host}:{port}` is not a valid address: {e}"))
}

pub(super) fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs < 1e9 => Ok(Duration::from_secs_f64(secs)),
        _ => Err("expected a positive number of seconds, such as `30` or `2.5`".into()),
    }
}

/// Idle connections are dropped after 4 s by default, before the 5 s keep-alive timeout of Node.js and many
/// other servers: reusing a connection the app is closing at that moment would fail the invocation.
pub(super) const DEFAULT_POOL_IDLE: Duration = Duration::from_secs(4);

/// Seconds, `0` included (no connection kept idle at all).
pub(super) fn parse_seconds_or_zero(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(0.0) => Ok(Duration::ZERO),
        _ => parse_seconds(text).map_err(|_| "expected a number of seconds, 0 or more, such as `4` or `0.5`".into()),
    }
}

/// `AWS_LAMBDA_MAX_CONCURRENCY`: how many invocations Lambda sends at once.
pub(super) fn parse_concurrency(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number of invocations from 1 to {MAX_CONCURRENCY}")),
    }
}

/// The most concurrent invocations served (Lambda Managed Instances allow up to 64 per vCPU).
pub(crate) const MAX_CONCURRENCY: usize = 4096;

pub(super) fn parse_header_name(text: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(text.as_bytes()).map_err(|_| "expected an HTTP header name, such as `X-Auth-Token`".into())
}

pub(super) fn parse_domains(text: &str) -> Result<Vec<String>, String> {
    let domains: Vec<String> = text.split(',').map(|d| d.trim().to_ascii_lowercase()).collect();
    if domains.iter().any(|d| d.is_empty() || d.contains(['/', ' ', ':'])) {
        return Err("expected a comma-separated list of domain names, such as `api.example.com,api2.example.com`".into());
    }
    Ok(domains)
}
