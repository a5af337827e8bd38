//! `lambda-adapter dev`: the whole Lambda path on a laptop, with no Docker and any language.
//!
//! `dev` starts an embedded Runtime API and Extensions API ([`emulator`]), the user's app, and this very
//! binary as the adapter pointed at the emulator (so the code under test is the code that runs in Lambda,
//! settings included), then serves a front door ([`front_door`]) that turns each HTTP request into the chosen
//! source's event and the function's answer back into HTTP. The end-to-end tests and the benchmark use the
//! same emulator.
//!
//! Lifecycle, as in Lambda: init ends when the adapter polls `invocation/next` (then the banner prints the
//! URL); until then the front door answers `503` with the reason, and `dev` watches which ports the app's
//! processes listen on, to say at once when the app listens somewhere the adapter does not look
//! ([`AppWatch`]). An `init/error` from the adapter ends `dev` (the adapter has printed it); Ctrl-C or
//! SIGTERM sends SHUTDOWN to the extension and SIGTERM to the app's process group, then SIGKILL to whatever
//! is left; an app that exits on its own ends `dev` with a non-zero status, since nothing could answer
//! requests any more. If `dev` itself is killed, its guardian ([`processes::Guardian`]) stops both process
//! groups, so no process outlives `dev`.

pub(crate) mod cli;
pub mod emulator;
pub(crate) mod environment;
pub(crate) mod front_door;
pub(crate) mod processes;
pub mod websocket;

pub use cli::EXAMPLE;
pub use processes::{GUARD_COMMAND, guard_main};

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{Config, ReadinessProtocol, Settings};
use cli::{CliError, DevArgs};
use emulator::{Emulator, FunctionInfo};
use environment::PortSource;
use front_door::FrontDoor;
use processes::{Finding, Guardian, Process, describe};
use websocket::WsFront;
use websocket::connections::Connections;
use websocket::management::Management;

/// How long the app has to exit after SIGTERM before the rest of its group is killed.
const APP_GRACE: Duration = Duration::from_secs(3);
/// How long the adapter has to exit after SHUTDOWN (Lambda's whole shutdown phase is 2 s).
const ADAPTER_GRACE: Duration = Duration::from_secs(2);
/// When to remind the user that the app has not answered yet.
const SLOW_START_HINT: Duration = Duration::from_secs(10);
/// How often dev looks at the app's listening sockets while it waits for init (a wrong port is reported
/// within this, plus the time to read /proc).
const SCAN_EVERY: Duration = Duration::from_millis(250);
/// How long dev waits for its guardian to exit, once everything is stopped and released.
const GUARDIAN_EXIT: Duration = Duration::from_secs(1);

/// Runs `dev` with the arguments after `dev`; returns the process exit code.
pub async fn main(args: Vec<String>) -> i32 {
    let args = match cli::parse(&args) {
        Ok(args) => args,
        Err(CliError::Help) => {
            print!("{}", cli::USAGE);
            return 0;
        }
        Err(error) => {
            eprintln!("{error}");
            return 2;
        }
    };
    let lookup = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (app_port, port_source) = match environment::app_port(&args, lookup, free_port) {
        Ok(port) => port,
        Err(message) => {
            eprintln!("lambda-adapter dev: {message}");
            return 2;
        }
    };
    match run(args, app_port, port_source).await {
        Ok(code) => code,
        Err(message) => {
            tracing::error!("{message}");
            1
        }
    }
}

/// Why `dev` stopped serving.
enum Stop {
    Signal(&'static str),
    AppExited(String),
    AdapterExited(String),
    InitError(String),
}

async fn run(args: DevArgs, app_port: u16, port_source: PortSource) -> Result<i32, String> {
    let lookup = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let listener = bind_front_door(&args).await?;
    let listen = listener
        .local_addr()
        .map_err(|e| format!("cannot read the front door's address: {e}"))?;
    let mut signals = Signals::new().map_err(|e| format!("cannot watch for signals: {e}"))?;

    let lambda_env = environment::lambda_defaults(lookup);
    let mut function = function_info(&lambda_env, lookup);
    function.concurrency = args.concurrency;
    let emulator = Emulator::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), function)
        .await
        .map_err(|e| format!("cannot start the Runtime API emulator: {e}"))?;
    let emulator = Arc::new(emulator);

    // WebSockets: pushes come back to dev's own @connections API, signed with credentials dev can check.
    let connections = Arc::new(Connections::default());
    let management_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|e| format!("cannot listen for dev's @connections API: {e}"))?;
    let management_port = management_listener
        .local_addr()
        .map_err(|e| format!("cannot read the @connections API's address: {e}"))?
        .port();
    let ws_endpoint = format!("http://127.0.0.1:{management_port}/{}", websocket::events::STAGE);
    let (credentials, credential_vars) = websocket::management::adapter_credentials(lookup);
    let (endpoint_vars, replaced) = websocket::management::endpoint_vars(&ws_endpoint, lookup);
    if let Some(warning) = replaced {
        tracing::warn!("{warning}");
    }
    let ws_vars: Vec<(String, String)> = credential_vars.into_iter().chain(endpoint_vars).collect();
    let callback_vars = environment::callback_port_vars(app_port, lookup, free_port)
        .map_err(|e| format!("cannot find a free port for the adapter's @connections server: {e}"))?;
    let region = lookup("AWS_REGION")
        .or_else(|| lambda_env.iter().find(|(k, _)| k == "AWS_REGION").map(|(_, v)| v.clone()))
        .unwrap_or_default();
    let management = Arc::new(Management {
        connections: connections.clone(),
        credentials,
        region,
    });
    let management_server = tokio::spawn(management.serve(management_listener));

    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program's own path to start the adapter: {e}"))?;
    // Started before the children, so that no moment exists when one of them could outlive a killed dev.
    let mut guardian = match Guardian::spawn(&exe) {
        Ok(guardian) => {
            tracing::debug!(pid = guardian.pid(), "the guardian is started");
            Some(guardian)
        }
        Err(error) => {
            tracing::warn!("cannot start dev's guardian ({error}): if dev is killed, what the app started may live on");
            None
        }
    };
    let mut child_env = lambda_env.clone();
    child_env.extend(environment::port_vars(app_port, lookup));
    let mut app = Process::spawn("app", &args.command[0], &args.command[1..], &child_env).map_err(|e| e.to_string())?;
    if let Some(guardian) = guardian.as_mut() {
        guardian.guard(app.pid());
    }
    let mut adapter_env = child_env.clone();
    adapter_env.push(("AWS_LAMBDA_RUNTIME_API".into(), emulator.runtime_api()));
    if args.concurrency > 1 {
        adapter_env.push(("AWS_LAMBDA_MAX_CONCURRENCY".into(), args.concurrency.to_string()));
    }
    if args.snapstart {
        adapter_env.push(("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "snap-start".into()));
    }
    adapter_env.extend(ws_vars);
    adapter_env.extend(callback_vars);
    let mut adapter = match Process::spawn("adapter", &exe, &[], &adapter_env) {
        Ok(adapter) => adapter,
        Err(error) => {
            app.stop(APP_GRACE).await;
            if let Some(mut guardian) = guardian {
                guardian.release(app.pid());
                guardian.finish(GUARDIAN_EXIT).await;
            }
            return Err(error.to_string());
        }
    };
    if let Some(guardian) = guardian.as_mut() {
        guardian.guard(adapter.pid());
    }

    // The front door serves from now on: until init ends, every request gets 503 with the reason.
    let adapter_lookup = |name: &str| {
        adapter_env
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .or_else(|| lookup(name))
    };
    let mut app_watch = AppWatch::new(app_port, port_source.clone(), adapter_lookup);
    let (gate, not_ready) = watch::channel(Some(app_watch.reason()));
    let websocket = WsFront::new(emulator.clone(), connections, args.ws.clone(), args.timeout, listen.port());
    let door = FrontDoor::new(emulator.clone(), args.event, args.timeout, listen.port())
        .with_websocket(Arc::new(websocket))
        .with_readiness(not_ready);
    let server = tokio::spawn(Arc::new(door).serve(listener));
    tracing::info!(
        "starting the app and the adapter; {} answers 503 until the app is ready",
        front_door_url(listen)
    );

    // Init: until the adapter polls for the first invocation. Meanwhile, where does the app listen?
    let hint = tokio::time::sleep(SLOW_START_HINT);
    tokio::pin!(hint);
    let mut hinted = false;
    let mut scan = tokio::time::interval(SCAN_EVERY);
    scan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut scans: u32 = 0;
    let stop = loop {
        tokio::select! {
            biased;
            report = emulator.wait_init_error() => break Some(Stop::InitError(report.message())),
            _ = emulator.wait_polling() => break None,
            status = adapter.wait() => break Some(adapter_exit(&emulator, status).await),
            status = app.wait() => break Some(Stop::AppExited(status_text(status))),
            name = signals.recv() => break Some(Stop::Signal(name)),
            _ = scan.tick() => {
                // After the slow-start hint, a look every second is enough.
                scans = scans.wrapping_add(1);
                if hinted && scans % 4 != 0 {
                    continue;
                }
                let Some(pid) = app.pid() else { continue };
                let listening = tokio::task::spawn_blocking(move || processes::listening(pid)).await.unwrap_or_default();
                let (warning, changed) = app_watch.update(&listening);
                if let Some(warning) = warning {
                    tracing::warn!("{warning}");
                }
                if changed {
                    gate.send_replace(Some(app_watch.reason()));
                }
            }
            _ = &mut hint, if !hinted => {
                hinted = true;
                if let Some(hint) = app_watch.slow_start_hint() {
                    tracing::warn!("{hint}");
                }
            }
        }
    };

    let stop = match stop {
        Some(stop) => stop,
        None => {
            gate.send_replace(None);
            let pids = (app.pid(), adapter.pid());
            print_banner(&args, listen, app_port, &port_source, pids, &emulator.runtime_api(), &ws_endpoint);
            tokio::select! {
                status = adapter.wait() => adapter_exit(&emulator, status).await,
                status = app.wait() => Stop::AppExited(status_text(status)),
                name = signals.recv() => Stop::Signal(name),
            }
        }
    };
    server.abort();
    management_server.abort();

    let code = match &stop {
        Stop::Signal(name) => {
            tracing::info!("{name}: shutting down (SHUTDOWN to the adapter, SIGTERM to the app)");
            0
        }
        Stop::AppExited(status) => {
            tracing::error!("the app exited by itself ({status}); nothing can answer requests, so dev stops");
            1
        }
        Stop::AdapterExited(status) => {
            tracing::error!("the adapter exited unexpectedly ({status})");
            1
        }
        Stop::InitError(message) => {
            // The adapter printed the error itself (it shares dev's stderr); once is enough.
            tracing::error!("the adapter's init failed (its error is above), so dev stops");
            tracing::debug!("init error: {message}");
            1
        }
    };
    emulator.shutdown("spindown");
    let (adapter_status, app_status) = tokio::join!(adapter_stop(&mut adapter), app.stop(APP_GRACE));
    tracing::debug!(adapter = ?adapter_status, app = ?app_status, "children stopped");
    if let Some(mut guardian) = guardian {
        guardian.release(app.pid());
        guardian.release(adapter.pid());
        guardian.finish(GUARDIAN_EXIT).await;
    }
    Ok(code)
}

/// Binds `--listen`. When it was not given and the default port is taken (another `dev`, say), a free port
/// on the same address is used instead, and the banner shows it.
async fn bind_front_door(args: &DevArgs) -> Result<TcpListener, String> {
    match TcpListener::bind(args.listen).await {
        Ok(listener) => Ok(listener),
        Err(error) if !args.listen_given && error.kind() == std::io::ErrorKind::AddrInUse => {
            let listener = TcpListener::bind(SocketAddr::new(args.listen.ip(), 0))
                .await
                .map_err(|e| format!("cannot listen on {} or on a free port: {e}", args.listen))?;
            tracing::warn!(
                "{} is taken, so the front door listens on a free port instead (choose one with --listen)",
                args.listen
            );
            Ok(listener)
        }
        Err(error) => Err(format!("cannot listen on {} (--listen): {error}", args.listen)),
    }
}

/// `http://host:port/` of the front door, with a usable host for an unspecified address.
fn front_door_url(listen: SocketAddr) -> String {
    let host = if listen.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else if listen.is_ipv6() {
        format!("[{}]", listen.ip())
    } else {
        listen.ip().to_string()
    };
    format!("http://{host}:{}/", listen.port())
}

/// Where the app listens, while `dev` waits for init: the reason the front door gives for its 503, and the
/// warning printed (once) when the app listens where the adapter does not look.
///
/// `dev` never adopts the port it finds. Deployed, the adapter connects to `$PORT` (or `LWA_PORT`) and
/// nothing else; an app that ignores `$PORT` would never become ready on Lambda, and init would fail there
/// after a long wait. Quietly pointing dev's adapter at the port the app chose would make the app work on
/// the laptop and fail in the cloud, which is the opposite of what dev is for. So dev says what is wrong, at
/// once, and how to fix it for both: `--app-port` (and the matching `LWA_PORT` when deploying), or an app
/// that reads `$PORT`.
struct AppWatch {
    port: u16,
    source: PortSource,
    /// The adapter's host (`LWA_HOST`), which the app must be reachable on.
    host: String,
    /// What the adapter's readiness check does, for messages: `GET http://127.0.0.1:3000/`.
    check: String,
    finding: Finding,
    warned: bool,
}

impl AppWatch {
    /// `lookup` reads the adapter's environment, to learn its host and readiness check as it will.
    fn new(port: u16, source: PortSource, lookup: impl Fn(&str) -> Option<String>) -> AppWatch {
        let mut settings = Settings::new(lookup);
        let (host, check) = match Config::from_settings(&mut settings) {
            Ok(config) => {
                let check = match config.readiness_protocol {
                    ReadinessProtocol::Http => format!("GET http://{}{}", config.readiness_address, config.readiness_path),
                    ReadinessProtocol::Tcp => format!("a TCP connection to {}", config.readiness_address),
                };
                (config.host, check)
            }
            // The adapter reports the invalid setting itself.
            Err(_) => ("127.0.0.1".to_string(), format!("127.0.0.1:{port}")),
        };
        AppWatch {
            port,
            source,
            host,
            check,
            finding: Finding::NotListening,
            warned: false,
        }
    }

    /// Takes what the app listens on now. Returns the warning to print (the first time the app is found
    /// where the adapter does not look, and never again) and whether [`AppWatch::reason`] changed.
    fn update(&mut self, listening: &[SocketAddr]) -> (Option<String>, bool) {
        let finding = processes::find(listening, self.port, &self.host);
        let changed = finding != self.finding;
        self.finding = finding;
        let warning = self.advice().filter(|_| !self.warned);
        self.warned |= warning.is_some();
        (warning, changed)
    }

    /// The front door's one-line answer while init goes on.
    fn reason(&self) -> String {
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
    fn slow_start_hint(&self) -> Option<String> {
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

async fn adapter_stop(adapter: &mut Process) -> Option<std::process::ExitStatus> {
    match tokio::time::timeout(ADAPTER_GRACE, adapter.wait()).await {
        Ok(Ok(status)) => Some(status),
        _ => adapter.stop(Duration::from_millis(200)).await,
    }
}

/// The adapter exited: with an `init/error` report when it made one (it reports, then exits).
async fn adapter_exit(emulator: &Emulator, status: std::io::Result<std::process::ExitStatus>) -> Stop {
    match tokio::time::timeout(Duration::from_millis(300), emulator.wait_init_error()).await {
        Ok(report) => Stop::InitError(report.message()),
        Err(_) => Stop::AdapterExited(status_text(status)),
    }
}

fn status_text(status: std::io::Result<std::process::ExitStatus>) -> String {
    match status {
        Ok(status) => describe(status),
        Err(error) => format!("its status could not be read: {error}"),
    }
}

fn function_info(lambda_env: &[(String, String)], lookup: impl Fn(&str) -> Option<String>) -> FunctionInfo {
    let get = |key: &str| {
        lookup(key)
            .or_else(|| lambda_env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
            .unwrap_or_default()
    };
    let (name, region) = (get("AWS_LAMBDA_FUNCTION_NAME"), get("AWS_REGION"));
    FunctionInfo {
        arn: format!("arn:aws:lambda:{region}:{}:function:{name}", front_door::events::ACCOUNT_ID),
        name,
        ..FunctionInfo::default()
    }
}

fn free_port() -> std::io::Result<u16> {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()
        .map(|a| a.port())
}

fn print_banner(
    args: &DevArgs,
    listen: SocketAddr,
    app_port: u16,
    port_source: &PortSource,
    pids: (Option<u32>, Option<u32>),
    runtime_api: &str,
    ws_endpoint: &str,
) {
    let lookup = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let host = if listen.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else if listen.is_ipv6() {
        format!("[{}]", listen.ip())
    } else {
        listen.ip().to_string()
    };
    let port_from = match port_source {
        PortSource::Flag => "--app-port".to_string(),
        PortSource::Variable(name) => name.clone(),
        PortSource::Free => "free port".to_string(),
    };
    let pid = |pid: Option<u32>| pid.map_or_else(String::new, |pid| format!(", pid {pid}"));
    let (app_pid, adapter_pid) = (pid(pids.0), pid(pids.1));
    let banner = format!(
        "\nlambda-adapter dev: ready\n  \
           open      http://{host}:{port}/\n  \
           event     {event} ({describe})\n  \
           invoke    {mode}\n  \
           timeout   {timeout} s\n  \
           app       {command} (port {app_port} from {port_from}{app_pid})\n  \
           adapter   Runtime API at {runtime_api}{adapter_pid}\n  \
           websocket ws://{host}:{port}/ (routes {routes}; idle {idle} s, max {max} s; @connections at {ws_endpoint})\n\
         Ctrl-C stops.\n",
        port = listen.port(),
        event = args.event.flag(),
        describe = args.event.describe(),
        mode = environment::invoke_mode(lookup),
        timeout = args.timeout.as_secs(),
        command = args.command.join(" "),
        routes = args.ws.routes.join(","),
        idle = args.ws.idle_timeout.as_secs(),
        max = args.ws.max_duration.as_secs(),
    );
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(banner.as_bytes());
    let _ = stdout.flush();
}

/// Ctrl-C and SIGTERM.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Resolves with the signal's name.
    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.interrupt.recv() => "Ctrl-C",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
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

    #[tokio::test]
    async fn a_taken_default_address_moves_to_a_free_port_but_a_given_one_does_not() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut args = cli::parse(&["app".to_string()]).unwrap();
        args.listen = taken.local_addr().unwrap();
        let moved = bind_front_door(&args).await.unwrap().local_addr().unwrap();
        assert_ne!(moved.port(), args.listen.port());
        assert_eq!(moved.ip(), args.listen.ip());
        args.listen_given = true;
        let error = bind_front_door(&args).await.err().unwrap();
        assert!(error.contains("(--listen)"), "{error}");
    }

    #[test]
    fn front_door_urls() {
        assert_eq!(front_door_url("0.0.0.0:9000".parse().unwrap()), "http://127.0.0.1:9000/");
        assert_eq!(front_door_url("[::1]:9000".parse().unwrap()), "http://[::1]:9000/");
        assert_eq!(front_door_url("127.0.0.1:9001".parse().unwrap()), "http://127.0.0.1:9001/");
    }
}
