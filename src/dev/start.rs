//! Phase one of `dev`: everything that must exist before the first request, in the order that lets each
//! part find the ones before it. The front door's address and the signals first (a taken port or a missing
//! signal handler fails before any child runs); then the Runtime API emulator and `dev`'s `@connections` API,
//! whose addresses go into the adapter's environment; then the children; then the front door, which answers
//! from then on and makes early requests wait for init like a cold start.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::app_watch::AppWatch;
use super::banner::{bind_front_door, front_door_url};
use super::children::Children;
use super::cli::DevArgs;
use super::emulator::{Emulator, FunctionInfo};
use super::environment::{self, PortSource};
use super::error::DevError;
use super::free_port::free_port;
use super::front_door::FrontDoor;
use super::front_door::cold_start::{ColdStart, InitState};
use super::signals::Signals;
use super::websocket::{self, WsFront, connections::Connections, management::Management};

/// `dev` once started: what the later phases watch, answer and stop.
pub(super) struct Running {
    /// The front door's address.
    pub(super) listen: SocketAddr,
    pub(super) signals: Signals,
    pub(super) emulator: Arc<Emulator>,
    /// `dev`'s `@connections` API as the adapter is told it (`LWA_WS_ENDPOINT`).
    pub(super) ws_endpoint: String,
    pub(super) children: Children,
    /// Where the app listens, compared with where the adapter looks.
    pub(super) app_watch: AppWatch,
    /// What requests waiting for init are told.
    pub(super) gate: watch::Sender<InitState>,
    /// The front door and the `@connections` API.
    pub(super) servers: [AbortHandle; 2],
}

/// Starts the emulator, the `@connections` API, the app, the adapter and the front door.
pub(super) async fn start(args: &DevArgs, app_port: u16, port_source: &PortSource) -> Result<Running, DevError> {
    let lookup = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let listener = bind_front_door(args).await?;
    let listen = listener.local_addr().map_err(DevError::FrontDoorAddress)?;
    let signals = Signals::new().map_err(DevError::Signals)?;

    let lambda_env = environment::lambda_defaults(lookup);
    let mut function = function_info(&lambda_env, lookup);
    function.concurrency = args.concurrency;
    let emulator = Emulator::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), function)
        .await
        .map_err(DevError::Emulator)?;
    let emulator = Arc::new(emulator);
    let ws = WebSocketApi::start(app_port, &lambda_env, lookup).await?;

    let exe = std::env::current_exe().map_err(DevError::OwnPath)?;
    let mut child_env = lambda_env;
    child_env.extend(environment::port_vars(app_port, lookup));
    let mut adapter_env = child_env.clone();
    adapter_env.push(("AWS_LAMBDA_RUNTIME_API".into(), emulator.runtime_api()));
    if args.concurrency > 1 {
        adapter_env.push(("AWS_LAMBDA_MAX_CONCURRENCY".into(), args.concurrency.to_string()));
    }
    if args.snapstart {
        adapter_env.push(("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "snap-start".into()));
    }
    adapter_env.extend(ws.adapter_vars);
    let children = Children::start(&exe, &args.command, &child_env, &adapter_env).await?;

    let adapter_lookup = |name: &str| {
        adapter_env
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .or_else(|| lookup(name))
    };
    let app_watch = AppWatch::new(app_port, port_source.clone(), adapter_lookup);
    let (gate, readiness) = watch::channel(app_watch.init_state());
    let cold_start = ColdStart::new(readiness, app_watch.init_timeout());
    let websocket = WsFront::new(emulator.clone(), ws.connections, args.ws.clone(), args.timeout, listen.port());
    let door = FrontDoor::new(emulator.clone(), args.event, args.timeout, listen.port())
        .with_websocket(Arc::new(websocket))
        .with_cold_start(cold_start);
    let server = tokio::spawn(Arc::new(door).serve(listener));
    tracing::info!(
        "starting the app and the adapter; requests to {} wait for it, for at most {} s (a cold start)",
        front_door_url(listen),
        app_watch.init_timeout().as_secs_f64()
    );
    Ok(Running {
        listen,
        signals,
        emulator,
        ws_endpoint: ws.endpoint,
        children,
        app_watch,
        gate,
        servers: [server.abort_handle(), ws.server],
    })
}

/// `dev`'s `@connections` API: pushes come back to it, signed with credentials it can check.
struct WebSocketApi {
    connections: Arc<Connections>,
    endpoint: String,
    /// Credentials, endpoint and callback port for the adapter.
    adapter_vars: Vec<(String, String)>,
    server: AbortHandle,
}

impl WebSocketApi {
    async fn start(
        app_port: u16,
        lambda_env: &[(String, String)],
        lookup: impl Fn(&str) -> Option<String> + Copy,
    ) -> Result<WebSocketApi, DevError> {
        let connections = Arc::new(Connections::default());
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(DevError::ManagementListen)?;
        let port = listener.local_addr().map_err(DevError::ManagementAddress)?.port();
        let endpoint = format!("http://127.0.0.1:{port}/{}", websocket::events::STAGE);
        let (credentials, credential_vars) = websocket::management::adapter_credentials(lookup);
        let (endpoint_vars, replaced) = websocket::management::endpoint_vars(&endpoint, lookup);
        if let Some(warning) = replaced {
            tracing::warn!("{warning}");
        }
        let callback_vars = environment::callback_port_vars(app_port, lookup, free_port)?;
        let region = lookup("AWS_REGION")
            .or_else(|| lambda_env.iter().find(|(k, _)| k == "AWS_REGION").map(|(_, v)| v.clone()))
            .unwrap_or_default();
        let management = Arc::new(Management {
            connections: connections.clone(),
            credentials,
            region,
        });
        let server = tokio::spawn(management.serve(listener)).abort_handle();
        Ok(WebSocketApi {
            connections,
            endpoint,
            adapter_vars: credential_vars.into_iter().chain(endpoint_vars).chain(callback_vars).collect(),
            server,
        })
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
