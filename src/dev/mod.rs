//! `lambda-adapter dev`: the whole Lambda path on a laptop, with no Docker and any language.
//!
//! `dev` starts an embedded Runtime API and Extensions API ([`emulator`]), the user's app, and this very
//! binary as the adapter pointed at the emulator (so the code under test is the code that runs in Lambda,
//! settings included), then serves a front door ([`front_door`]) that turns each HTTP request into the chosen
//! source's event and the function's answer back into HTTP. The end-to-end tests and the benchmark use the
//! same emulator.
//!
//! Lifecycle, as in Lambda: init ends when the adapter polls `invocation/next` (then the banner prints the
//! URL); a request arriving before waits for it like a cold start, at most the init phase (10 s, or the
//! adapter's `LWA_READINESS_CHECK_TIMEOUT`), and gets `503` with the reason at once when `dev` knows the app
//! will not come ([`front_door::cold_start`]): `dev` watches which ports the app's processes listen on, to say
//! at once when the app listens somewhere the adapter does not look ([`AppWatch`]). `dev`'s own APIs answer
//! only loopback callers that are not web pages ([`loopback`]). An `init/error` from the adapter ends `dev`
//! (the adapter has printed it); Ctrl-C or SIGTERM sends SHUTDOWN to the extension and SIGTERM to the app's
//! process group, then SIGKILL to whatever is left; an app that exits on its own ends `dev` with a non-zero
//! status, since nothing could answer requests any more. If `dev` itself is killed, its guardian
//! ([`processes::Guardian`]) stops both process groups, so no process outlives `dev`.

mod app_watch;
mod banner;
pub(crate) mod cli;
pub mod emulator;
pub(crate) mod environment;
pub(crate) mod front_door;
pub(crate) mod guardian;
pub(crate) mod listening;
pub(crate) mod loopback;
pub(crate) mod processes;
pub mod websocket;

pub use cli::EXAMPLE;
pub use guardian::{GUARD_COMMAND, guard_main};

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

use app_watch::AppWatch;
use banner::{bind_front_door, front_door_url, print_banner};
use cli::{CliError, DevArgs};
use emulator::{Emulator, FunctionInfo};
use environment::PortSource;
use front_door::FrontDoor;
use front_door::cold_start::{ColdStart, Readiness};
use guardian::Guardian;
use processes::{Process, describe};
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
/// When dev stops during init, how long requests that waited for it have to receive their 503.
const ANSWER_WAITING: Duration = Duration::from_millis(200);

/// Runs `dev` with the arguments after `dev`; returns the process exit code.
pub async fn main(args: Vec<OsString>) -> i32 {
    let args = match cli::parse(args) {
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

impl Stop {
    /// The 503's reason for requests that waited for an init this ended.
    fn during_init(&self) -> String {
        match self {
            Stop::Signal(name) => format!("dev is shutting down ({name}) before the app was ready"),
            Stop::AppExited(status) => format!("the app exited before it was ready ({status}); see dev's log"),
            Stop::AdapterExited(status) => format!("the adapter exited before the app was ready ({status})"),
            Stop::InitError(message) => format!("the adapter's init failed: {message}"),
        }
    }
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

    let adapter_lookup = |name: &str| {
        adapter_env
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .or_else(|| lookup(name))
    };
    let mut app_watch = AppWatch::new(app_port, port_source.clone(), adapter_lookup);
    let (gate, readiness) = watch::channel(app_watch.readiness());
    let cold_start = ColdStart::new(readiness, app_watch.init_timeout());
    let websocket = WsFront::new(emulator.clone(), connections, args.ws.clone(), args.timeout, listen.port());
    let door = FrontDoor::new(emulator.clone(), args.event, args.timeout, listen.port())
        .with_websocket(Arc::new(websocket))
        .with_cold_start(cold_start);
    let server = tokio::spawn(Arc::new(door).serve(listener));
    tracing::info!(
        "starting the app and the adapter; requests to {} wait for it, for at most {} s (a cold start)",
        front_door_url(listen),
        app_watch.init_timeout().as_secs_f64()
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
                let listening = tokio::task::spawn_blocking(move || listening::listening(pid)).await.unwrap_or_default();
                let (warning, changed) = app_watch.update(&listening);
                if let Some(warning) = warning {
                    tracing::warn!("{warning}");
                }
                if changed {
                    gate.send_replace(app_watch.readiness());
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
        Some(stop) => {
            // Requests waiting for init learn why it will not end, before the server goes.
            gate.send_replace(Readiness::WillNotCome(stop.during_init()));
            tokio::time::sleep(ANSWER_WAITING).await;
            stop
        }
        None => {
            gate.send_replace(Readiness::Ready);
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
        arn: format!("arn:aws:lambda:{region}:{}:function:{name}", crate::sources::emulate::ACCOUNT_ID),
        name,
        ..FunctionInfo::default()
    }
}

fn free_port() -> std::io::Result<u16> {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()
        .map(|a| a.port())
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
