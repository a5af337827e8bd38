//! Pushes in flight, so an invocation is not completed while one is still on the wire.
//!
//! Lambda may freeze the sandbox as soon as the invocation's response is posted; a call to API Gateway still
//! in flight would then stall until the next invocation (minutes later, or never). So every push holds a
//! [`Guard`] from the moment the app's call arrives until API Gateway has answered, and the invocation waits
//! for the count to reach zero before it completes, bounded by the invocation's deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Counts pushes in flight.
#[derive(Clone, Default)]
pub(crate) struct InFlight {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    count: AtomicUsize,
    idle: Notify,
}

/// One push in flight; dropping it ends it.
pub(crate) struct Guard {
    inner: Arc<Inner>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.inner.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.inner.idle.notify_waiters();
        }
    }
}

impl InFlight {
    /// Marks a push as started.
    pub(crate) fn start(&self) -> Guard {
        self.inner.count.fetch_add(1, Ordering::AcqRel);
        Guard { inner: self.inner.clone() }
    }

    /// How many pushes are in flight.
    pub(crate) fn count(&self) -> usize {
        self.inner.count.load(Ordering::Acquire)
    }

    /// Waits until no push is in flight, or `deadline`. Returns whether every push finished.
    pub(crate) async fn settle(&self, deadline: Instant) -> bool {
        loop {
            let idle = self.inner.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            let count = self.count();
            if count == 0 {
                return true;
            }
            tracing::debug!(pushes = count, "holding the invocation's completion until pushes in flight finish");
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                tracing::warn!(
                    pushes = self.count(),
                    "the invocation's deadline came with @connections calls still in flight; they may stall while the sandbox is frozen"
                );
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn settles_at_once_when_idle() {
        let pushes = InFlight::default();
        assert!(pushes.settle(Instant::now()).await);
    }

    #[tokio::test]
    async fn waits_for_every_push() {
        let pushes = InFlight::default();
        let first = pushes.start();
        let second = pushes.start();
        let started = Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            drop(first);
            tokio::time::sleep(Duration::from_millis(30)).await;
            drop(second);
        });
        assert!(pushes.settle(Instant::now() + Duration::from_secs(5)).await);
        assert!(started.elapsed() >= Duration::from_millis(60));
        assert_eq!(pushes.count(), 0);
    }

    #[tokio::test]
    async fn gives_up_at_the_deadline() {
        let pushes = InFlight::default();
        let _stuck = pushes.start();
        assert!(!pushes.settle(Instant::now() + Duration::from_millis(20)).await);
    }
}
