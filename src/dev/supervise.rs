//! Phases two and three of `dev`: waiting for init, then serving, until something stops it. Each phase is a
//! race between the events that end it (the adapter polling or reporting `init/error`, a child exiting, a
//! signal); while init lasts `dev` also looks at where the app listens, so a wrong port is named at once
//! rather than after the whole init timeout.

use std::time::Duration;

use super::banner::print_banner;
use super::cli::DevArgs;
use super::emulator::Emulator;
use super::environment::PortSource;
use super::front_door::cold_start::InitState;
use super::listening;
use super::processes::describe;
use super::start::Running;
use super::stop::Stop;

/// When to remind the user that the app has not answered yet.
const SLOW_START_HINT: Duration = Duration::from_secs(10);
/// How often dev looks at the app's listening sockets while it waits for init (a wrong port is reported
/// within this, plus the time to read /proc).
const SCAN_EVERY: Duration = Duration::from_millis(250);
/// When dev stops during init, how long requests that waited for it have to receive their 503.
const ANSWER_WAITING: Duration = Duration::from_millis(200);

/// Init: until the adapter polls for the first invocation (`None`), or what ended it first. Meanwhile, where
/// does the app listen?
pub(super) async fn init(dev: &mut Running) -> Option<Stop> {
    let hint = tokio::time::sleep(SLOW_START_HINT);
    tokio::pin!(hint);
    let mut hinted = false;
    let mut scan = tokio::time::interval(SCAN_EVERY);
    scan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut scans: u32 = 0;
    let emulator = &dev.emulator;
    let (app, adapter) = (&mut dev.children.app, &mut dev.children.adapter);
    loop {
        tokio::select! {
            biased;
            report = emulator.wait_init_error() => return Some(Stop::InitError(report.message())),
            _ = emulator.wait_polling() => return None,
            status = adapter.wait() => return Some(adapter_exit(emulator, status).await),
            status = app.wait() => return Some(Stop::AppExited(status_text(status))),
            name = dev.signals.recv() => return Some(Stop::Signal(name)),
            _ = scan.tick() => {
                // After the slow-start hint, a look every second is enough.
                scans = scans.wrapping_add(1);
                if hinted && scans % 4 != 0 {
                    continue;
                }
                let Some(pid) = app.pid() else { continue };
                let listening = tokio::task::spawn_blocking(move || listening::listening(pid)).await.unwrap_or_default();
                let (warning, changed) = dev.app_watch.update(&listening);
                if let Some(warning) = warning {
                    tracing::warn!("{warning}");
                }
                if changed {
                    dev.gate.send_replace(dev.app_watch.init_state());
                }
            }
            _ = &mut hint, if !hinted => {
                hinted = true;
                if let Some(hint) = dev.app_watch.slow_start_hint() {
                    tracing::warn!("{hint}");
                }
            }
        }
    }
}

/// Init will not end: requests waiting for it learn why, before the server goes.
pub(super) async fn init_failed(dev: &Running, stop: Stop) -> Stop {
    dev.gate.send_replace(InitState::WillNotCome(stop.during_init()));
    tokio::time::sleep(ANSWER_WAITING).await;
    stop
}

/// Serving: the banner, then requests until a child exits or a signal comes.
pub(super) async fn serve(dev: &mut Running, args: &DevArgs, app_port: u16, port_source: &PortSource) -> Stop {
    dev.gate.send_replace(InitState::Ready);
    let runtime_api = dev.emulator.runtime_api();
    print_banner(
        args,
        dev.listen,
        app_port,
        port_source,
        dev.children.pids(),
        &runtime_api,
        &dev.ws_endpoint,
    );
    let emulator = &dev.emulator;
    tokio::select! {
        status = dev.children.adapter.wait() => adapter_exit(emulator, status).await,
        status = dev.children.app.wait() => Stop::AppExited(status_text(status)),
        name = dev.signals.recv() => Stop::Signal(name),
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
