//! What `deploy` tells the user while it works, all on stderr (stdout carries only the URL, for scripts):
//! one line per step, and a running indication while a long call, an upload, is in flight. On a terminal
//! the indication rewrites one line every second; in a log it adds a line every ten seconds.

use std::future::Future;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Prints a step.
pub(super) fn step(text: &str) {
    eprintln!("==> {text}");
}

/// Prints a detail under the current step.
pub(super) fn detail(text: &str) {
    eprintln!("    {text}");
}

/// Runs `call`, an upload of `bytes` bytes described by `what`, with a progress indication.
pub(super) async fn uploading<F: Future>(what: &str, bytes: usize, call: F) -> F::Output {
    let size = format!("{:.1} MB", bytes as f64 / 1e6);
    let terminal = std::io::stderr().is_terminal();
    let started = Instant::now();
    let every = if terminal {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(10)
    };
    let now = tokio::time::Instant::now();
    let mut ticks = tokio::time::interval_at(now.checked_add(every).unwrap_or(now), every);
    let line = |elapsed: Duration| format!("    uploading {what} ({size}) … {}s", elapsed.as_secs());
    if terminal {
        eprint!("{}", line(Duration::ZERO));
    } else {
        eprintln!("{}", line(Duration::ZERO));
    }
    tokio::pin!(call);
    let output = loop {
        tokio::select! {
            output = &mut call => break output,
            _ = ticks.tick() => {
                if terminal {
                    eprint!("\r{}", line(started.elapsed()));
                } else {
                    eprintln!("{}", line(started.elapsed()));
                }
            }
        }
    };
    if terminal {
        eprint!("\r\x1b[2K");
    }
    eprintln!("    uploaded {what} ({size}) in {:.1}s", started.elapsed().as_secs_f64());
    output
}
