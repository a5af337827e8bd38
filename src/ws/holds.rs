//! Work after the response ("wait until"): holds an app opens on its invocation so the adapter does not
//! ask for the next invocation, which lets Lambda freeze the sandbox, while the app still works.
//!
//! FastAPI's `BackgroundTasks`, an Express handler that answers and then writes to a database, Next.js
//! `after()`: the client has its answer, the work goes on. On Lambda the sandbox freezes as soon as the
//! runtime asks for the next invocation, so such work stops midway. The adapter is the one that asks, so it
//! waits: the invocation's answer goes to Lambda at once, and only the next `next` waits until every hold
//! is released or the invocation's deadline comes. Holds are per invocation, so under Managed Instances only
//! the held invocation's poller waits.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::time::Instant;

/// One invocation's holds.
#[derive(Default)]
pub(crate) struct Holds {
    state: Mutex<State>,
    released: Notify,
}

#[derive(Default)]
struct State {
    next: u64,
    open: BTreeSet<u64>,
    /// Settled: the invocation is over and takes no new hold.
    closed: bool,
}

impl Holds {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a hold; `None` once the invocation is over.
    pub(crate) fn open(&self) -> Option<u64> {
        let mut state = self.state();
        if state.closed {
            return None;
        }
        state.next = state.next.wrapping_add(1);
        let id = state.next;
        state.open.insert(id);
        Some(id)
    }

    /// Releases hold `id`; whether it was open.
    pub(crate) fn release(&self, id: u64) -> bool {
        let released = self.state().open.remove(&id);
        if released {
            self.released.notify_waiters();
        }
        released
    }

    /// Waits until every hold is released, or `deadline`; then takes no new hold. `Err` has the holds still
    /// open at the deadline.
    pub(crate) async fn settle(&self, deadline: Instant) -> Result<(), Vec<u64>> {
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            {
                let mut state = self.state();
                if state.open.is_empty() {
                    state.closed = true;
                    return Ok(());
                }
            }
            if tokio::time::timeout_at(deadline, released).await.is_err() {
                let mut state = self.state();
                state.closed = true;
                return Err(std::mem::take(&mut state.open).into_iter().collect());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn settles_when_every_hold_is_released_and_then_takes_no_more() {
        let holds = Arc::new(Holds::default());
        let (a, b) = (holds.open().unwrap(), holds.open().unwrap());
        assert_ne!(a, b);
        let releaser = holds.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(releaser.release(a));
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(releaser.release(b));
            assert!(!releaser.release(b), "a hold is released once");
        });
        let started = Instant::now();
        assert_eq!(holds.settle(Instant::now() + Duration::from_secs(5)).await, Ok(()));
        assert!(started.elapsed() >= Duration::from_millis(40));
        assert_eq!(holds.open(), None);
    }

    #[tokio::test]
    async fn the_deadline_cuts_the_holds_still_open() {
        let holds = Holds::default();
        let stuck = holds.open().unwrap();
        assert_eq!(holds.settle(Instant::now() + Duration::from_millis(20)).await, Err(vec![stuck]));
        assert_eq!(holds.open(), None);
        assert!(!holds.release(stuck));
    }
}
