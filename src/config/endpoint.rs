//! Where the Runtime API is: `AWS_LAMBDA_RUNTIME_API`, as a setting: read here, below the client
//! (`crate::runtime_api`) that calls it, so configuration imports nothing above it.
//!
//! Lambda sets `host:port` with no scheme. Local emulators differ: cargo-lambda's prints
//! `http://127.0.0.1:9000/.rt`, a scheme and a path prefix in front of every route. Both forms are accepted.

use std::fmt;

/// The Runtime API's address and path prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `host:port`.
    pub authority: String,
    /// Empty, or a prefix such as `/.rt` (no trailing slash).
    pub prefix: String,
}

impl Endpoint {
    /// Reads `text`; the error says what is allowed, for a message naming the variable.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let rest = if let Some(rest) = text.strip_prefix("http://") {
            rest
        } else if text.contains("://") {
            return Err("only http:// is supported".into());
        } else {
            text
        };
        let (authority, prefix) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let prefix = prefix.trim_end_matches('/');
        // The authority must be exactly `host:port`: no user info, and a host a URL can carry.
        let valid_authority = !authority.contains('@')
            && authority
                .parse::<http::uri::Authority>()
                .is_ok_and(|a| !a.host().is_empty() && a.port_u16().is_some_and(|p| p > 0) && a.as_str() == authority);
        let valid_prefix = prefix.is_empty()
            || (!prefix.contains(['?', '#'])
                && prefix.bytes().all(|b| b.is_ascii_graphic())
                && prefix.parse::<http::uri::PathAndQuery>().is_ok());
        if !valid_authority || !valid_prefix {
            return Err("expected `host:port` (as Lambda sets it) or `http://host:port/prefix`".into());
        }
        Ok(Endpoint {
            authority: authority.to_string(),
            prefix: prefix.to_string(),
        })
    }

    /// The full URL of a Runtime or Extensions API path such as `/2018-06-01/runtime/invocation/next`.
    pub fn url(&self, path: &str) -> String {
        // Joined rather than formatted: a post's URL is built on every invocation.
        ["http://", &self.authority, &self.prefix, path].concat()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.authority, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_form() {
        let e = Endpoint::parse("127.0.0.1:9001").unwrap();
        assert_eq!(
            e.url("/2018-06-01/runtime/invocation/next"),
            "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next"
        );
    }

    #[test]
    fn emulator_form_with_prefix() {
        let e = Endpoint::parse("http://127.0.0.1:9000/.rt").unwrap();
        assert_eq!(e.authority, "127.0.0.1:9000");
        assert_eq!(
            e.url("/2018-06-01/runtime/init/error"),
            "http://127.0.0.1:9000/.rt/2018-06-01/runtime/init/error"
        );
        assert_eq!(Endpoint::parse("http://localhost:9000/").unwrap().prefix, "");
    }

    #[test]
    fn rejects_garbage() {
        assert!(Endpoint::parse("localhost").is_err());
        assert!(Endpoint::parse("https://x:1").is_err());
        assert!(Endpoint::parse(":9001").is_err());
        for bad in [
            "a b:9001",
            "user@host:9001",
            "host:0",
            "host:99999",
            "http://h:1/a b",
            "http://h:1/a?b",
            "h\n:1",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad:?} is accepted");
        }
        assert_eq!(Endpoint::parse("[::1]:9001").unwrap().authority, "[::1]:9001");
    }
}
