//! A periodic tick finer than tokio's timer, for the readiness checks.
//!
//! tokio's timer wheel counts whole milliseconds and its driver parks with a millisecond timeout, so a 1 ms
//! sleep lasts 1 to 2 ms, and checks spaced that way leave the app listening unanswered for over a millisecond
//! on average: cold-start time every user pays. A `timerfd` ticks on the kernel's high-resolution clock and
//! wakes the runtime's own thread through its epoll, so the period is what was asked, at the same wake-up
//! rate (no busy loop, no second thread). Where `timerfd` is refused (a seccomp profile), tokio's sleep stands
//! in.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Ticks every `period`, from the moment it is made or its period last changed.
pub(crate) struct Ticks {
    timer: Option<AsyncFd<OwnedFd>>,
    period: Duration,
}

impl Ticks {
    pub(crate) fn new(period: Duration) -> Self {
        // SAFETY: the `OwnedFd` is the timer's only owner, so its descriptor stays open and the same for as
        // long as the `AsyncFd` holds it.
        let timer = timerfd().and_then(|fd| unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.ok());
        let mut ticks = Ticks { timer, period };
        ticks.arm();
        ticks
    }

    /// Changes the period, starting from now.
    pub(crate) fn set_period(&mut self, period: Duration) {
        if period != self.period {
            self.period = period;
            self.arm();
        }
    }

    /// Waits for the next tick; ticks missed meanwhile are not made up.
    pub(crate) async fn tick(&mut self) {
        let Some(timer) = &self.timer else {
            return tokio::time::sleep(self.period).await;
        };
        loop {
            let Ok(mut ready) = timer.readable().await else {
                return tokio::time::sleep(self.period).await;
            };
            let mut expirations = [0u8; 8];
            // SAFETY: reads at most 8 bytes into an 8-byte buffer from a descriptor this value owns.
            let read = unsafe { libc::read(timer.as_raw_fd(), expirations.as_mut_ptr().cast(), expirations.len()) };
            if read == 8 {
                // Read, the expirations are counted anew from zero: not readable again before the next one,
                // so the next tick waits for epoll instead of trying a read that would fail.
                ready.clear_ready();
                return;
            }
            // Not yet expired (EAGAIN): wait for epoll to say so again.
            ready.clear_ready();
        }
    }

    fn arm(&mut self) {
        let Some(timer) = &self.timer else { return };
        // A zero period would disarm the timer instead.
        let period = self.period.max(Duration::from_micros(1));
        let spec = libc::timespec {
            tv_sec: period.as_secs() as libc::time_t,
            tv_nsec: period.subsec_nanos() as libc::c_long,
        };
        let value = libc::itimerspec {
            it_interval: spec,
            it_value: spec,
        };
        // SAFETY: `value` is a valid itimerspec and the old value is not asked for.
        let set = unsafe { libc::timerfd_settime(timer.as_raw_fd(), 0, &value, std::ptr::null_mut()) };
        if set != 0 {
            self.timer = None;
        }
    }
}

/// A non-blocking monotonic timerfd, or `None` where the kernel refuses one.
fn timerfd() -> Option<OwnedFd> {
    // SAFETY: plain syscall; the descriptor it returns is owned by the `OwnedFd` and closed with it.
    let fd = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test]
    async fn ticks_come_no_sooner_than_the_period() {
        let mut ticks = Ticks::new(Duration::from_micros(300));
        assert!(ticks.timer.is_some(), "timerfd is available on the test machine");
        let start = Instant::now();
        for _ in 0..20 {
            ticks.tick().await;
        }
        assert!(start.elapsed() >= Duration::from_micros(5_700), "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn a_new_period_takes_effect_at_once() {
        let mut ticks = Ticks::new(Duration::from_secs(60));
        ticks.set_period(Duration::from_micros(200));
        let tick = tokio::time::timeout(Duration::from_secs(10), ticks.tick()).await;
        assert!(tick.is_ok(), "the 200 µs period replaced the 60 s one");
    }
}
