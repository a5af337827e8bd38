//! `--calls N`: a fixed load for profilers, ours only. One adapter process makes N sequential buffered
//! `GET /health` invocations, a second N streamed ones, a third N invocations 64 at once (the app answering in
//! 20 ms), each after one warm-up invocation; each then gets Lambda's SHUTDOWN and exits by itself. With
//! `--ours` naming a wrapper script that execs the binary under a profiler (`valgrind --tool=callgrind`), each
//! process leaves one profile; two runs,
//! N and M, differ by exactly M - N invocations of each kind, so start-up cancels out of their difference. A
//! build that counts its allocations (feature `count-allocations`) also gets them printed per invocation.

use super::measure;
use super::process::{Adapter, Mode, Program};
use std::time::Duration;

/// How long a process (under a profiler, which is slow to write its profile) may take to exit.
const EXIT_WAIT: Duration = Duration::from_secs(10);

/// Runs the three sessions; an error names the one that failed.
pub async fn run(calls: usize, program: &Program, port: u16) -> Result<(), String> {
    let health = measure::event("/health");
    for mode in [Mode::Buffered, Mode::Streaming] {
        let mut adapter = Adapter::start(program, mode, port).await?;
        let with_log = |error: String| format!("{mode:?}: {error}{}", adapter.log_tail());
        measure::invoke_small(&adapter.emulator, &health, mode).await.map_err(with_log)?;
        let before = adapter.allocations();
        for _ in 0..calls {
            measure::invoke_small(&adapter.emulator, &health, mode).await.map_err(with_log)?;
        }
        match before.zip(adapter.allocations()) {
            Some((before, after)) if calls > 0 => eprintln!(
                "{mode:?}: {calls} invocations, {:.1} allocations each",
                after.saturating_sub(before) as f64 / calls as f64
            ),
            _ => eprintln!("{mode:?}: {calls} invocations"),
        }
        exit(&mut adapter).await;
    }
    const CONCURRENCY: usize = 64;
    let slow = measure::event("/slow?ms=20");
    let mut adapter = Adapter::spawn(program, Mode::Buffered, port, CONCURRENCY).await?;
    adapter.wait_polling(program).await?;
    let with_log = |error: String| format!("64 at once: {error}{}", adapter.log_tail());
    let (emulator, slow) = (&adapter.emulator, &slow);
    let callers = (0..CONCURRENCY).map(|caller| async move {
        // One warm-up each, then N in all spread evenly over the callers.
        let share = calls / CONCURRENCY + usize::from(caller < calls % CONCURRENCY);
        for _ in 0..=share {
            measure::invoke_small(emulator, slow, Mode::Buffered).await?;
        }
        Ok::<(), String>(())
    });
    futures::future::try_join_all(callers).await.map_err(with_log)?;
    eprintln!("64 at once: {calls} invocations (and 64 warm-up)");
    exit(&mut adapter).await;
    Ok(())
}

/// Asks the process to exit; one that does not (the bare loop has no extension) is killed when dropped.
async fn exit(adapter: &mut Adapter) {
    if let Err(error) = adapter.shut_down(EXIT_WAIT).await {
        eprintln!("{error}; killing it");
    }
}
