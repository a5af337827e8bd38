//! Who may call `dev`'s own APIs: the Runtime API and Extensions API of its emulator, and its `@connections`
//! management API.
//!
//! They listen on 127.0.0.1 only, but that is not enough: a web page the user visits can make the browser
//! send requests to any local port, and with DNS rebinding (`evil.example` resolving to 127.0.0.1 after the
//! page loaded) even read the answers. On the Runtime API that page could take a queued invocation (the
//! request, cookies included) and answer it with a page of its own. A browser always names the page's host
//! in `Host` and, for such requests, the page in `Origin`; the adapter, the SDKs and curl name the loopback
//! address they connect to and send no `Origin`. So these APIs answer only a `Host` that is a loopback name
//! with the server's own port, and never a request with an `Origin`. The front door does not check: it plays
//! a public Function URL, which answers any `Host`.

use http::{HeaderMap, StatusCode, Uri, header};

/// Why a request was refused, with the status to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// `Host` (or the request target's authority) is missing, not a loopback name, or another port.
    Host,
    /// The request came from a web page.
    Origin,
}

impl Refused {
    /// 421 Misdirected Request for a `Host` this server is not, 403 for a web page.
    pub(crate) fn status(self) -> StatusCode {
        match self {
            Refused::Host => StatusCode::MISDIRECTED_REQUEST,
            Refused::Origin => StatusCode::FORBIDDEN,
        }
    }

    /// A short reason for the client and the log, which never repeats the request's header values.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refused::Host => "this local API answers only Host 127.0.0.1, localhost or [::1] with its own port",
            Refused::Origin => "this local API does not answer requests from web pages (they carry an Origin header)",
        }
    }
}

/// Checks a request to a server listening on `port`: its `Host`, the authority of an absolute request target
/// (`GET http://host/...`) if it has one, and the absence of `Origin`.
pub(crate) fn check(uri: &Uri, headers: &HeaderMap, port: u16) -> Result<(), Refused> {
    if headers.contains_key(header::ORIGIN) {
        return Err(Refused::Origin);
    }
    let mut hosts = headers.get_all(header::HOST).iter();
    let host = hosts.next().and_then(|value| value.to_str().ok());
    if hosts.next().is_some() || !host.is_some_and(|host| is_loopback(host, port)) {
        return Err(Refused::Host);
    }
    match uri.authority() {
        Some(authority) if !is_loopback(authority.as_str(), port) => Err(Refused::Host),
        _ => Ok(()),
    }
}

/// `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT` (the name in any case), with exactly `port`.
fn is_loopback(host: &str, port: u16) -> bool {
    let Some((name, given)) = host.rsplit_once(':') else {
        return false;
    };
    let name_ok = name == "127.0.0.1" || name == "[::1]" || name.eq_ignore_ascii_case("localhost");
    name_ok && given.parse::<u16>().ok() == Some(port) && !given.starts_with('+')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        map
    }

    fn checked(target: &str, pairs: &[(&str, &str)]) -> Result<(), Refused> {
        check(&target.parse().unwrap(), &headers(pairs), 9001)
    }

    #[test]
    fn loopback_names_with_the_servers_port_pass() {
        for host in ["127.0.0.1:9001", "localhost:9001", "LocalHost:9001", "[::1]:9001"] {
            assert_eq!(checked("/2018-06-01/runtime/invocation/next", &[("host", host)]), Ok(()), "{host}");
        }
        assert_eq!(checked("http://localhost:9001/x", &[("host", "127.0.0.1:9001")]), Ok(()));
    }

    #[test]
    fn other_names_ports_or_shapes_are_misdirected() {
        for host in [
            "evil.example:9001",
            "evil.example",
            "127.0.0.1",
            "localhost",
            "127.0.0.1:9002",
            "127.0.0.1:09001x",
            "127.0.0.1:+9001",
            "localhost.:9001",
            "127.0.0.2:9001",
            "::1:9001",
            "[::1]:",
            "",
        ] {
            assert_eq!(checked("/x", &[("host", host)]), Err(Refused::Host), "{host:?}");
        }
        assert_eq!(checked("/x", &[]), Err(Refused::Host), "no Host");
        assert_eq!(
            checked("/x", &[("host", "127.0.0.1:9001"), ("host", "evil.example:9001")]),
            Err(Refused::Host),
            "two Host headers"
        );
        assert_eq!(
            checked("http://evil.example:9001/x", &[("host", "127.0.0.1:9001")]),
            Err(Refused::Host),
            "an absolute target names another host"
        );
        assert_eq!(Refused::Host.status(), StatusCode::MISDIRECTED_REQUEST);
    }

    #[test]
    fn any_origin_is_forbidden() {
        for origin in ["http://evil.example", "null", "http://127.0.0.1:9001"] {
            let refused = checked("/x", &[("host", "127.0.0.1:9001"), ("origin", origin)]);
            assert_eq!(refused, Err(Refused::Origin), "{origin}");
        }
        assert_eq!(Refused::Origin.status(), StatusCode::FORBIDDEN);
        assert!(!Refused::Origin.reason().contains("evil"));
    }
}
