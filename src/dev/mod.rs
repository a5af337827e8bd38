//! `lambda-adapter dev`: the whole Lambda path on a laptop, with no Docker and any language.
//!
//! `dev` starts an embedded Runtime API and Extensions API ([`emulator`]), the user's app, and this very
//! binary as the adapter pointed at the emulator (so the code under test is the code that runs in Lambda,
//! settings included), then serves a front door ([`front_door`]) that turns each HTTP request into the chosen
//! source's event and the function's answer back into HTTP. The end-to-end tests and the benchmark use the
//! same emulator.
//!
//! Lifecycle, as in Lambda: init ends when the adapter polls `invocation/next` (then the banner prints the
//! URL); an `init/error` from the adapter is printed and ends `dev`; Ctrl-C or SIGTERM sends SHUTDOWN to the
//! extension and SIGTERM to the app's process group, then SIGKILL to whatever is left; an app that exits on
//! its own ends `dev` with a non-zero status, since nothing could answer requests any more.

pub(crate) mod cli;
pub mod emulator;
pub(crate) mod environment;
pub(crate) mod front_door;
pub(crate) mod processes;
pub mod websocket;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

use cli::{CliError, DevArgs};
use emulator::{Emulator, FunctionInfo};
use environment::PortSource;
use front_door::FrontDoor;
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
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {} (--listen): {e}", args.listen))?;
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
    let region = lookup("AWS_REGION")
        .or_else(|| lambda_env.iter().find(|(k, _)| k == "AWS_REGION").map(|(_, v)| v.clone()))
        .unwrap_or_default();
    let management = Arc::new(Management {
        connections: connections.clone(),
        credentials,
        region,
    });
    let management_server = tokio::spawn(management.serve(management_listener));

    let mut child_env = lambda_env.clone();
    child_env.extend(environment::port_vars(app_port, lookup));
    let mut app = Process::spawn("app", &args.command[0], &args.command[1..], &child_env).map_err(|e| e.to_string())?;
    let mut adapter_env = child_env.clone();
    adapter_env.push(("AWS_LAMBDA_RUNTIME_API".into(), emulator.runtime_api()));
    if args.concurrency > 1 {
        adapter_env.push(("AWS_LAMBDA_MAX_CONCURRENCY".into(), args.concurrency.to_string()));
    }
    if args.snapstart {
        adapter_env.push(("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "snap-start".into()));
    }
    adapter_env.extend(ws_vars);
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program's own path to start the adapter: {e}"))?;
    let mut adapter = match Process::spawn("adapter", exe, &[], &adapter_env) {
        Ok(adapter) => adapter,
        Err(error) => {
            app.stop(APP_GRACE).await;
            return Err(error.to_string());
        }
    };

    // Init: until the adapter polls for the first invocation.
    let hint = tokio::time::sleep(SLOW_START_HINT);
    tokio::pin!(hint);
    let mut hinted = false;
    let stop = loop {
        tokio::select! {
            biased;
            report = emulator.wait_init_error() => break Some(Stop::InitError(report.message())),
            _ = emulator.wait_polling() => break None,
            status = adapter.wait() => break Some(adapter_exit(&emulator, status).await),
            status = app.wait() => break Some(Stop::AppExited(status_text(status))),
            name = signals.recv() => break Some(Stop::Signal(name)),
            _ = &mut hint, if !hinted => {
                hinted = true;
                tracing::warn!("still waiting for the app to answer on 127.0.0.1:{app_port}: does it listen on $PORT ({app_port})?");
            }
        }
    };

    let server = match stop {
        Some(_) => None,
        None => {
            let pids = (app.pid(), adapter.pid());
            print_banner(&args, listen, app_port, &port_source, pids, &emulator.runtime_api(), &ws_endpoint);
            let websocket = WsFront::new(emulator.clone(), connections, args.ws.clone(), args.timeout, listen.port());
            let door = FrontDoor::new(emulator.clone(), args.event, args.timeout, listen.port()).with_websocket(Arc::new(websocket));
            let door = Arc::new(door);
            Some(tokio::spawn(door.serve(listener)))
        }
    };
    let stop = match stop {
        Some(stop) => stop,
        None => tokio::select! {
            status = adapter.wait() => adapter_exit(&emulator, status).await,
            status = app.wait() => Stop::AppExited(status_text(status)),
            name = signals.recv() => Stop::Signal(name),
        },
    };
    if let Some(server) = server {
        server.abort();
    }
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
            tracing::error!("init failed: {message}");
            1
        }
    };
    emulator.shutdown("spindown");
    let (adapter_status, app_status) = tokio::join!(adapter_stop(&mut adapter), app.stop(APP_GRACE));
    tracing::debug!(adapter = ?adapter_status, app = ?app_status, "children stopped");
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
