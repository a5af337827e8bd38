//! The bridge's settings: `LWA_WS_PATH`, `LWA_WS_REPLY`, `LWA_WS_CALLBACK_PORT` and `LWA_WS_ENDPOINT`.
//!
//! Read through the same [`Settings`] helper as every other setting (both `LWA_` and `AWS_LWA_` names),
//! and validated the same way: a bad value is a [`ConfigError`] at start-up, never a silent default. The
//! callback port may not be the app's port: the adapter listens on it, so one of the two would fail to bind.

use super::{ConfigError, Settings, parse_path, parse_port};

/// Default base path of the app's WebSocket routes.
pub(crate) const DEFAULT_PATH: &str = "/ws";
/// Default port of the local `@connections` server.
pub(crate) const DEFAULT_CALLBACK_PORT: u16 = 9002;

/// Where a message's reply goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    /// In the Lambda response's `body`: API Gateway delivers it on routes with a route response.
    Response,
    /// Through `@connections`, which works on one-way routes too.
    Post,
}

/// The `@connections` base URL given by `LWA_WS_ENDPOINT`, stage or base path included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagementEndpoint {
    /// `https` or `http` (a local stand-in).
    pub scheme: String,
    /// `host[:port]`.
    pub authority: String,
    /// The stage or custom-domain base path, without a trailing `/` (may be empty).
    pub base_path: String,
}

impl ManagementEndpoint {
    /// Reads `https://host[:port][/base]`.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        const ALLOWED: &str = "expected the management API's base URL including the stage, such as `https://abc123.execute-api.us-east-1.amazonaws.com/prod` or `https://api.example.com/chat`";
        let (scheme, rest) = text.split_once("://").ok_or(ALLOWED)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(format!("{ALLOWED} (the scheme must be https, or http for a local stand-in)"));
        }
        if rest.contains(['?', '#']) || !rest.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("{ALLOWED} (no query, fragment, spaces or control characters)"));
        }
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') || authority.parse::<http::uri::Authority>().is_err() {
            return Err(format!("{ALLOWED} (`{authority}` is not a host name)"));
        }
        // `Authority` reads a port it cannot hold (`:99999`) as no port at all, which would send pushes to 443.
        let port = authority
            .rsplit_once(':')
            .filter(|(_, port)| !port.contains(']'))
            .map(|(_, port)| port);
        if let Some(port) = port
            && parse_port(port).is_err()
        {
            return Err(format!("{ALLOWED} (the port `{port}` is not a TCP port from 1 to 65535)"));
        }
        if !path.is_empty() && path.parse::<http::uri::PathAndQuery>().is_err() {
            return Err(format!("{ALLOWED} (`{path}` is not a path a URL can carry)"));
        }
        if path.contains("@connections") || path.contains("%40connections") {
            return Err(format!("{ALLOWED} (leave `/@connections` out: the adapter adds it)"));
        }
        Ok(ManagementEndpoint {
            scheme,
            authority: authority.to_string(),
            base_path: path.trim_end_matches('/').to_string(),
        })
    }

    /// `scheme://authority/base`, for messages.
    pub fn base_url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.base_path)
    }
}

/// Every bridge setting, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsConfig {
    /// Base path of `/connect`, `/message`, `/disconnect`, without a trailing `/` (`""` for `/`).
    pub path: String,
    pub reply: ReplyMode,
    pub callback_port: u16,
    pub endpoint: Option<ManagementEndpoint>,
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            path: DEFAULT_PATH.into(),
            reply: ReplyMode::Response,
            callback_port: DEFAULT_CALLBACK_PORT,
            endpoint: None,
        }
    }
}

impl WsConfig {
    /// Reads the `WS_*` settings; `app_port` is the app's port, which the callback port may not equal.
    pub(crate) fn from_settings<F: Fn(&str) -> Option<String>>(settings: &mut Settings<F>, app_port: u16) -> Result<WsConfig, ConfigError> {
        let path = settings.parse("WS_PATH", parse_base_path)?.unwrap_or_else(|| DEFAULT_PATH.into());
        let reply = settings.parse("WS_REPLY", parse_reply)?.unwrap_or(ReplyMode::Response);
        let callback_port = match settings.get("WS_CALLBACK_PORT") {
            Some(found) => {
                let port = parse_port(found.value.trim()).map_err(|allowed| found.error(allowed))?;
                if port == app_port {
                    return Err(found.error(format!(
                        "the adapter's @connections server cannot share the app's port {app_port}; choose a free port"
                    )));
                }
                port
            }
            // An app that happens to listen on the default port and never uses WebSockets must keep working:
            // the callback server moves to the next port (the app learns it from `x-ws-callback`).
            None if app_port == DEFAULT_CALLBACK_PORT => {
                let port = DEFAULT_CALLBACK_PORT + 1;
                settings.warn(format!(
                    "the app listens on {app_port}, the default @connections port; the adapter's push server uses {port} instead (set LWA_WS_CALLBACK_PORT to choose)"
                ));
                port
            }
            None => DEFAULT_CALLBACK_PORT,
        };
        let endpoint = settings.parse("WS_ENDPOINT", ManagementEndpoint::parse)?;
        Ok(WsConfig {
            path,
            reply,
            callback_port,
            endpoint,
        })
    }
}

fn parse_base_path(text: &str) -> Result<String, String> {
    Ok(parse_path(text)?.trim_end_matches('/').to_string())
}

fn parse_reply(text: &str) -> Result<ReplyMode, String> {
    match text.to_ascii_lowercase().as_str() {
        "response" => Ok(ReplyMode::Response),
        "post" => Ok(ReplyMode::Post),
        _ => Err("expected `response` (the Lambda response body; needs a route response) or `post` (sent through @connections)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)], app_port: u16) -> Result<WsConfig, ConfigError> {
        let mut settings = Settings::new(crate::config::lookup(vars));
        WsConfig::from_settings(&mut settings, app_port)
    }

    #[test]
    fn defaults() {
        assert_eq!(read(&[], 8080).unwrap(), WsConfig::default());
    }

    #[test]
    fn every_setting_under_both_names() {
        let config = read(
            &[
                ("LWA_WS_PATH", "/socket/"),
                ("AWS_LWA_WS_REPLY", "POST"),
                ("LWA_WS_CALLBACK_PORT", "9100"),
                ("LWA_WS_ENDPOINT", "https://api.example.com/chat/"),
            ],
            8080,
        )
        .unwrap();
        assert_eq!(config.path, "/socket");
        assert_eq!(config.reply, ReplyMode::Post);
        assert_eq!(config.callback_port, 9100);
        let endpoint = config.endpoint.unwrap();
        assert_eq!(endpoint.base_url(), "https://api.example.com/chat");
        assert_eq!(read(&[("LWA_WS_PATH", "/")], 8080).unwrap().path, "");
    }

    #[test]
    fn callback_port_must_differ_from_the_app_port() {
        let err = read(&[("LWA_WS_CALLBACK_PORT", "3000")], 3000).unwrap_err();
        assert_eq!((err.variable.as_str(), err.value.as_str()), ("LWA_WS_CALLBACK_PORT", "3000"));
        assert!(err.allowed.contains("app's port 3000"), "{err}");
        assert_eq!(read(&[], 9002).unwrap().callback_port, 9003, "a default that collides moves aside");
        assert_eq!(read(&[("LWA_WS_CALLBACK_PORT", "9003")], 9002).unwrap().callback_port, 9003);
    }

    #[test]
    fn invalid_values_say_what_is_allowed() {
        let err = read(&[("LWA_WS_REPLY", "send")], 8080).unwrap_err();
        assert!(err.allowed.contains("`response`") && err.allowed.contains("`post`"), "{err}");
        assert!(read(&[("LWA_WS_PATH", "ws")], 8080).is_err());
        assert!(read(&[("LWA_WS_CALLBACK_PORT", "0")], 8080).is_err());
        for bad in [
            "abc.execute-api.us-east-1.amazonaws.com/prod",
            "ftp://host/prod",
            "https:///prod",
            "https://host/prod?x=1",
            "https://host/prod/@connections",
            "https://host/pr\x01od",
            "https://ho\tst/prod",
            "https://host/a<b>",
            "https://user@host/prod",
            "https://127.0.0.1:99999/stage",
            "https://host:0/stage",
            "https://host:/stage",
            "https://[::1]:70000/stage",
        ] {
            let err = read(&[("LWA_WS_ENDPOINT", bad)], 8080).unwrap_err();
            assert_eq!(err.variable, "LWA_WS_ENDPOINT", "{bad}");
            assert!(err.allowed.contains("including the stage"), "{bad}: {err}");
        }
        assert_eq!(ManagementEndpoint::parse("https://[::1]:8443/s").unwrap().authority, "[::1]:8443");
        assert_eq!(ManagementEndpoint::parse("https://[::1]/s").unwrap().authority, "[::1]");
        let local = ManagementEndpoint::parse("http://127.0.0.1:4510/stage").unwrap();
        assert_eq!(
            (local.scheme.as_str(), local.authority.as_str(), local.base_path.as_str()),
            ("http", "127.0.0.1:4510", "/stage")
        );
    }
}
