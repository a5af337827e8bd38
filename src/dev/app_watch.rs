//! Where the app listens while `dev` waits for the adapter's init: the reason the front door gives for its
//! 503, and the warning printed once when the app listens where the adapter does not look.

use std::net::SocketAddr;
use std::time::Duration;

use super::environment::PortSource;
use super::front_door::cold_start::InitState;
use super::listening::{self, Finding};
use crate::config::{Config, ReadinessProtocol, Settings};

/// Where the app listens, while `dev` waits for init: the reason the front door gives for its 503, and the
/// warning printed (once) when the app listens where the adapter does not look.
///
/// `dev` never adopts the port it finds. Deployed, the adapter connects to `$PORT` (or `LWA_PORT`) and
/// nothing else; an app that ignores `$PORT` would never become ready on Lambda, and init would fail there
/// after a long wait. Quietly pointing dev's adapter at the port the app chose would make the app work on
/// the laptop and fail in the cloud, which is the opposite of what dev is for. So dev says what is wrong, at
/// once, and how to fix it for both: `--app-port` (and the matching `LWA_PORT` when deploying), or an app
/// that reads `$PORT`.
pub(super) struct AppWatch {
    port: u16,
    source: PortSource,
    /// The adapter's host (`LWA_HOST`), which the app must be reachable on.
    host: String,
    /// What the adapter's readiness check does, for messages: `GET http://127.0.0.1:3000/`.
    check: String,
    finding: Finding,
    warned: bool,
    /// How long init may last: the adapter's `LWA_READINESS_CHECK_TIMEOUT`, else [`LAMBDA_INIT`].
    init_timeout: Duration,
}

/// Lambda's init phase: how long a request arriving during a cold start waits for the app, unless the
/// adapter's readiness check has a timeout of its own.
pub(super) const LAMBDA_INIT: Duration = Duration::from_secs(10);

impl AppWatch {
    /// `lookup` reads the adapter's environment, to learn its host and readiness check as it will.
    pub(super) fn new(port: u16, source: PortSource, lookup: impl Fn(&str) -> Option<String>) -> AppWatch {
        let mut settings = Settings::new(lookup);
        let (host, check, init_timeout) = match Config::from_settings(&mut settings) {
            Ok(config) => {
                let check = match config.readiness_protocol {
                    ReadinessProtocol::Http => format!("GET http://{}{}", config.readiness_address, config.readiness_path),
                    ReadinessProtocol::Tcp => format!("a TCP connection to {}", config.readiness_address),
                };
                (config.host, check, config.readiness_timeout.unwrap_or(LAMBDA_INIT))
            }
            // The adapter reports the invalid setting itself.
            Err(_) => ("127.0.0.1".to_string(), format!("127.0.0.1:{port}"), LAMBDA_INIT),
        };
        AppWatch {
            port,
            source,
            host,
            check,
            finding: Finding::NotListening,
            warned: false,
            init_timeout,
        }
    }

    /// How long a request arriving during init may wait for the app.
    pub(super) fn init_timeout(&self) -> Duration {
        self.init_timeout
    }

    /// What the front door does with a request now: wait, or answer 503 at once when the app listens where
    /// the adapter does not look (it will never become ready there).
    pub(super) fn init_state(&self) -> InitState {
        match self.advice() {
            Some(_) => InitState::WillNotCome(self.reason()),
            None => InitState::Starting(self.reason()),
        }
    }

    /// Takes what the app listens on now. Returns the warning to print (the first time the app is found
    /// where the adapter does not look, and never again) and whether [`AppWatch::reason`] changed.
    pub(super) fn update(&mut self, listening: &[SocketAddr]) -> (Option<String>, bool) {
        let finding = listening::find(listening, self.port, &self.host);
        let changed = finding != self.finding;
        self.finding = finding;
        let warning = self.advice().filter(|_| !self.warned);
        self.warned |= warning.is_some();
        (warning, changed)
    }

    /// The front door's one-line answer while init goes on.
    pub(super) fn reason(&self) -> String {
        let base = format!("the app is not ready yet: the adapter waits for {}", self.check);
        match self.advice() {
            Some(advice) => format!("{base} ({advice})"),
            None if self.finding == Finding::Reachable => format!("{base} (the app listens there; see dev's log for its answers)"),
            None => base,
        }
    }

    /// What is wrong with where the app listens, and how to fix it.
    fn advice(&self) -> Option<String> {
        let port = self.port;
        match &self.finding {
            Finding::NotListening | Finding::Reachable => None,
            Finding::OtherPorts(found) => {
                let first = found.first().map_or(0, SocketAddr::port);
                Some(match self.source {
                    PortSource::Flag => format!(
                        "your app listens on {}, not on --app-port {port}: use --app-port {first}, or make it listen on {port} ($PORT)",
                        list(found)
                    ),
                    _ => format!(
                        "your app listens on {}, not on $PORT={port}: add --app-port {first} or make it read $PORT",
                        list(found)
                    ),
                })
            }
            Finding::OtherAddresses(found) => Some(format!(
                "your app listens on {}, which the adapter cannot reach at {}:{port}: make it listen on {} or on every address (0.0.0.0), or set LWA_HOST to its address",
                list(found),
                self.host,
                self.host
            )),
        }
    }

    /// The reminder when init is slow, unless the problem was reported already.
    pub(super) fn slow_start_hint(&self) -> Option<String> {
        let port = self.port;
        match &self.finding {
            Finding::NotListening => Some(format!(
                "still waiting for the app to answer on {}:{port}: it listens on no TCP port yet; does it listen on $PORT ({port})?",
                self.host
            )),
            Finding::Reachable => Some(format!(
                "still waiting for the app: it listens on {port}, but the adapter's readiness check ({}) has not passed yet",
                self.check
            )),
            _ => None,
        }
    }
}

/// `127.0.0.1:8000` or `127.0.0.1:8000, [::]:9229`.
fn list(addresses: &[SocketAddr]) -> String {
    addresses.iter().map(SocketAddr::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    fn app_watch(source: PortSource, vars: &[(&str, &str)]) -> AppWatch {
        AppWatch::new(43761, source, crate::config::lookup(vars))
    }

    #[test]
    fn a_wrong_port_is_said_once_with_the_fix() {
        let mut watch = app_watch(PortSource::Free, &[("PORT", "43761")]);
        assert_eq!(
            watch.reason(),
            "the app is not ready yet: the adapter waits for GET http://127.0.0.1:43761/"
        );
        assert_eq!(watch.update(&[]), (None, false));
        let (warning, changed) = watch.update(&addrs(&["127.0.0.1:8000"]));
        assert_eq!(
            warning.as_deref(),
            Some("your app listens on 127.0.0.1:8000, not on $PORT=43761: add --app-port 8000 or make it read $PORT")
        );
        assert!(changed);
        assert_eq!(
            watch.reason(),
            "the app is not ready yet: the adapter waits for GET http://127.0.0.1:43761/ (your app listens on \
             127.0.0.1:8000, not on $PORT=43761: add --app-port 8000 or make it read $PORT)"
        );
        assert_eq!(watch.update(&addrs(&["127.0.0.1:8000"])), (None, false), "said once");
        assert_eq!(watch.slow_start_hint(), None, "said already");
        let (warning, changed) = watch.update(&addrs(&["127.0.0.1:8000", "0.0.0.0:43761"]));
        assert_eq!((warning, changed), (None, true));
        assert!(watch.reason().ends_with("(the app listens there; see dev's log for its answers)"));
        assert!(
            watch
                .slow_start_hint()
                .unwrap()
                .contains("readiness check (GET http://127.0.0.1:43761/)")
        );
    }

    #[test]
    fn requests_wait_unless_the_app_listens_where_the_adapter_does_not_look() {
        let mut watch = app_watch(PortSource::Free, &[("PORT", "43761")]);
        assert_eq!(watch.init_timeout(), LAMBDA_INIT);
        assert_eq!(watch.init_state(), InitState::Starting(watch.reason()));
        watch.update(&addrs(&["127.0.0.1:8000"]));
        assert_eq!(watch.init_state(), InitState::WillNotCome(watch.reason()));
        watch.update(&addrs(&["127.0.0.1:8000", "127.0.0.1:43761"]));
        assert_eq!(watch.init_state(), InitState::Starting(watch.reason()), "it may still come");
        let set = app_watch(PortSource::Free, &[("PORT", "43761"), ("LWA_READINESS_CHECK_TIMEOUT", "2.5")]);
        assert_eq!(set.init_timeout(), Duration::from_millis(2500));
    }

    #[test]
    fn the_advice_fits_where_the_port_came_from_and_the_adapters_host() {
        let mut flag = app_watch(PortSource::Flag, &[("PORT", "43761")]);
        let (warning, _) = flag.update(&addrs(&["[::]:8000"]));
        assert_eq!(
            warning.as_deref(),
            Some("your app listens on [::]:8000, not on --app-port 43761: use --app-port 8000, or make it listen on 43761 ($PORT)")
        );
        let mut host = app_watch(PortSource::Free, &[("PORT", "43761")]);
        let (warning, _) = host.update(&addrs(&["[::1]:43761"]));
        assert!(
            warning
                .unwrap()
                .starts_with("your app listens on [::1]:43761, which the adapter cannot reach at 127.0.0.1:43761")
        );
        let tcp = app_watch(
            PortSource::Free,
            &[("PORT", "43761"), ("LWA_READINESS_CHECK_PROTOCOL", "tcp"), ("LWA_HOST", "::1")],
        );
        assert_eq!(
            tcp.reason(),
            "the app is not ready yet: the adapter waits for a TCP connection to [::1]:43761"
        );
        let silent = app_watch(PortSource::Free, &[("PORT", "43761")]);
        assert!(silent.slow_start_hint().unwrap().contains("listens on no TCP port yet"));
    }
}
