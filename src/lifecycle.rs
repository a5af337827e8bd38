//! The adapter's life in a Lambda execution environment: register as an extension, check the settings,
//! wait for the app, then serve invocations until Lambda shuts the environment down.
//!
//! An invalid setting or an app that never becomes ready ends init through the Runtime API's
//! `init/error` call with a message naming the cause, and the process exits non-zero: users of the
//! reference adapter otherwise wait for the function's timeout with nothing in the log.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::Instant;

use crate::config::environment::ProcessEnv;
use crate::config::runtime_api::{EndpointError, runtime_endpoint};
use crate::config::{Config, ConfigError};
use crate::context::FunctionEnv;
use crate::error::{AdapterError, ErrorKind};
use crate::invoke::{Adapter, DeadlineAnchor};
use crate::runtime_api::{ExtensionEvent, RuntimeClient};
use crate::sources::TranslateOptions;

/// How long async init waits before letting init finish (Lambda's init phase is limited to 10 s).
pub(crate) const ASYNC_INIT_WAIT: Duration = Duration::from_millis(9_800);

/// Runs the adapter; returns the process exit code. `log_setting` is how reading the log's settings went
/// (an invalid `LWA_LOG` fails init like any other setting).
pub async fn run(log_setting: Result<(), ConfigError>) -> i32 {
    let started = Instant::now();
    let env = ProcessEnv::new();
    let endpoint = match runtime_endpoint(|name| env.get(name)) {
        Ok(endpoint) => endpoint,
        // An invalid proxy address is still reported through Lambda's own Runtime API, when that is valid.
        Err(EndpointError {
            message,
            report_to: Some(endpoint),
        }) => return init_failed(&RuntimeClient::new(endpoint), AdapterError::new(ErrorKind::InvalidConfig, message)).await,
        Err(EndpointError { message, report_to: None }) => {
            tracing::error!("{message}");
            return 2;
        }
    };
    let runtime = RuntimeClient::new(endpoint);
    // A proxy setting that is not UTF-8 was read as unset: init fails through Lambda's own Runtime API.
    if let Err(error) = log_setting.and(env.check()) {
        return init_failed(&runtime, AdapterError::new(ErrorKind::InvalidConfig, error.to_string())).await;
    }

    let (config, warnings) = Config::from_env();
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    let config = match config {
        Ok(config) => config,
        Err(error) => return init_failed(&runtime, AdapterError::new(ErrorKind::InvalidConfig, error.to_string())).await,
    };

    // Everything an invocation needs (the app's connection pool, the layers, the WebSocket bridge and its
    // `@connections` server) is built while the app starts: once it is ready, only the first `next` is left.
    let until = if config.async_init {
        started.checked_add(ASYNC_INIT_WAIT)
    } else {
        config.readiness_timeout.and_then(|t| started.checked_add(t))
    };
    let options = TranslateOptions::from_config(&config, FunctionEnv::from_env());
    let adapter = Arc::new(Adapter::new(config, runtime.clone(), options));
    // Registering as an extension and waiting for the app overlap: neither needs the other, and init goes on
    // when both are done (one round trip less between spawn and the first `next`).
    let ready = async {
        start_ws_callbacks(&adapter).await;
        adapter.wait_ready(until).await
    };
    let ((), ready) = tokio::join!(register_extension(&runtime), ready);
    let config = adapter.config();
    match ready {
        Ok(()) => {}
        Err(not_ready) if config.async_init => tracing::info!(
            "async init: the app is not ready after {:?} ({} → {}); init ends now and the first invocation waits for it",
            not_ready.waited,
            not_ready.target,
            not_ready.last
        ),
        Err(not_ready) => {
            let message = format!(
                "the app was not ready after {:.1} s (LWA_READINESS_CHECK_TIMEOUT): {} → {}",
                not_ready.waited.as_secs_f64(),
                not_ready.target,
                not_ready.last
            );
            return init_failed(&runtime, AdapterError::new(ErrorKind::AppNotReady, message)).await;
        }
    }

    if config.snap_start {
        match snapstart_lifecycle(config, &runtime).await {
            Ok(()) => {}
            Err(code) => return code,
        }
    }

    tracing::info!(
        mode = ?config.invoke_mode,
        app = %config.app_base_url(),
        startup_ms = started.elapsed().as_millis() as u64,
        "lambda-adapter {} serving invocations from {}",
        env!("CARGO_PKG_VERSION"),
        runtime.endpoint()
    );
    let concurrency = config.max_concurrency;
    let failures = Arc::new(AtomicU32::new(0));
    if concurrency == 1 {
        return poll(&adapter, &runtime, &failures).await;
    }
    // Lambda Managed Instances: one `next` poll outstanding per invocation that may run at once, all on the
    // adapter's one thread (an invocation is mostly waiting on sockets; see the README for the measurement).
    tracing::info!("serving up to {concurrency} invocations at once (AWS_LAMBDA_MAX_CONCURRENCY)");
    let pollers = tokio::task::LocalSet::new();
    pollers
        .run_until(async {
            let mut running = tokio::task::JoinSet::new();
            for _ in 0..concurrency {
                let (adapter, runtime, failures) = (adapter.clone(), runtime.clone(), failures.clone());
                running.spawn_local(async move { poll(&adapter, &runtime, &failures).await });
            }
            // A poller ends only when the Runtime API keeps failing; the process exits with it.
            running.join_next().await.and_then(Result::ok).unwrap_or(1)
        })
        .await
}

/// SnapStart: the app's checkpoint hook, the snapshot (`restore/next` answers once restored), readiness and
/// the restore hook. `Err` is the exit code, after reporting where the sequence stopped.
async fn snapstart_lifecycle(config: &Config, runtime: &RuntimeClient) -> Result<(), i32> {
    use crate::snapstart::{self, Stop};
    let stop = async {
        snapstart::before_checkpoint(config).await?;
        tracing::info!("SnapStart: init done; waiting for the restore (runtime/restore/next)");
        runtime.restore_next().await.map_err(|error| Stop::Restore(error.to_string()))?;
        tracing::info!("SnapStart: restored");
        snapstart::after_restore(config).await
    };
    match stop.await {
        Ok(()) => Ok(()),
        Err(Stop::Init(error)) => Err(init_failed(runtime, error).await),
        Err(Stop::Restore(message)) => {
            tracing::error!("SnapStart: {message}");
            Err(1)
        }
        Err(Stop::Restored(error)) => {
            tracing::error!("restore failed: {error}");
            if let Err(post) = runtime.restore_error(&error.diagnostic()).await {
                tracing::error!("could not report the restore failure: {post}");
            }
            Err(1)
        }
    }
}

/// Takes invocations one after another until the Runtime API fails five times in a row (counted across
/// every poller: one success resets it). Returns the exit code.
async fn poll(adapter: &Adapter, runtime: &RuntimeClient, failures: &AtomicU32) -> i32 {
    const MAX_FAILURES: u32 = 5;
    let mut anchor = DeadlineAnchor::new();
    loop {
        match runtime.next().await {
            Ok(invocation) => {
                failures.store(0, Ordering::Relaxed);
                adapter.handle(invocation, &mut anchor).await;
            }
            Err(error) => {
                let count = failures.fetch_add(1, Ordering::Relaxed).saturating_add(1);
                tracing::error!("{error}");
                if count >= MAX_FAILURES {
                    tracing::error!("the Runtime API failed {count} times in a row; exiting");
                    return 1;
                }
                tokio::time::sleep(Duration::from_millis(100).saturating_mul(count)).await;
            }
        }
    }
}

/// Serves `@connections` for the app on loopback. A port already taken is logged, not fatal: apps that do
/// not push keep working.
async fn start_ws_callbacks(adapter: &Adapter) {
    match crate::ws::callback::start(adapter.ws().clone()).await {
        Ok(address) => tracing::debug!("@connections server on http://{address}"),
        Err(error) => tracing::error!(
            "cannot serve @connections on 127.0.0.1:{}: {error}; WebSocket pushes through x-ws-callback will fail (set LWA_WS_CALLBACK_PORT to a free port)",
            adapter.ws().config().callback_port
        ),
    }
}

async fn init_failed(runtime: &RuntimeClient, error: AdapterError) -> i32 {
    tracing::error!("init failed: {error}");
    if let Err(post) = runtime.init_error(&error.diagnostic()).await {
        tracing::error!("could not report the init failure: {post}");
    }
    1
}

/// Registers with the Extensions API for SHUTDOWN and watches for it in the background. An emulator without
/// an Extensions API gets a warning, not a failure: the Runtime API is all the adapter needs to serve.
async fn register_extension(runtime: &RuntimeClient) {
    let id = match runtime.register_extension().await {
        Ok(id) => id,
        Err(error) => {
            tracing::warn!("could not register as an extension ({error}); serving without shutdown notice");
            return;
        }
    };
    // The long poll gets connections of its own: the one `register` used stays pooled, warm for the first
    // `invocation/next` (one connect fewer between the app being ready and the first `next`).
    let runtime = runtime.with_own_connections();
    tokio::spawn(async move {
        loop {
            match runtime.extension_next(&id).await {
                Ok(ExtensionEvent::Shutdown { reason }) => {
                    tracing::info!("shutdown ({reason})");
                    std::process::exit(0);
                }
                Ok(ExtensionEvent::Invoke) => {}
                Err(error) => {
                    tracing::warn!("extension event/next failed: {error}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
}
