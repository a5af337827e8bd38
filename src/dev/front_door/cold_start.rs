//! A request that reaches the front door while the app is still starting, as in a Lambda cold start: it
//! waits for init to end, then is served. Lambda's init phase lasts at most 10 s (or the adapter's
//! `LWA_READINESS_CHECK_TIMEOUT`, when set), counted from the start; a request still waiting then gets `503`
//! with the reason. When `dev` knows the app will not come (it listens on another port, it exited, the
//! adapter's init failed, `dev` is stopping), waiting requests and new ones get `503` at once, saying why: a
//! request never hangs on an init that cannot end.

use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// How far init is, as `dev` sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum InitState {
    /// Init goes on; the reason is what a request still waiting at the deadline is told.
    Starting(String),
    /// Init cannot end well: requests get `503` with this reason at once.
    WillNotCome(String),
    /// The function takes requests.
    Ready,
}

/// Why a request cannot be served: its `Display` is the one-line reason the `503` gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NotServed {
    /// Init cannot end well (the app exited, listens elsewhere, ...): the reason.
    WillNotCome(String),
    /// `dev` stops.
    ShuttingDown,
    /// Init was still going (for `reason`) when its time, `timeout`, ran out.
    InitTimedOut { reason: String, timeout: Duration },
}

impl std::fmt::Display for NotServed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotServed::WillNotCome(reason) => f.write_str(reason),
            NotServed::ShuttingDown => f.write_str("dev is shutting down"),
            NotServed::InitTimedOut { reason, timeout } => write!(
                f,
                "{reason}; init did not end within {} s (Lambda's init phase; LWA_READINESS_CHECK_TIMEOUT sets it)",
                timeout.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for NotServed {}

/// What a request waits on, and until when.
#[derive(Clone)]
pub(crate) struct ColdStart {
    state: watch::Receiver<InitState>,
    deadline: Instant,
    timeout: Duration,
}

impl ColdStart {
    /// `state` is what `dev` learns; init started now and may last `timeout`.
    pub(crate) fn new(state: watch::Receiver<InitState>, timeout: Duration) -> ColdStart {
        ColdStart {
            state,
            deadline: crate::context::instant_after(timeout),
            timeout,
        }
    }

    /// Waits until the function takes requests (`Ok`), or returns why it will not in time (`Err`).
    pub(crate) async fn wait(&self) -> Result<(), NotServed> {
        let mut state = self.state.clone();
        let settled = async move {
            let settled = state.wait_for(|state| !matches!(state, InitState::Starting(_))).await;
            settled.map(|state| state.clone())
        };
        match tokio::time::timeout_at(self.deadline, settled).await {
            Ok(Ok(InitState::WillNotCome(reason))) => Err(NotServed::WillNotCome(reason)),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(NotServed::ShuttingDown),
            Err(_) => {
                let reason = match &*self.state.borrow() {
                    InitState::Starting(reason) | InitState::WillNotCome(reason) => reason.clone(),
                    InitState::Ready => return Ok(()),
                };
                Err(NotServed::InitTimedOut {
                    reason,
                    timeout: self.timeout,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starting() -> InitState {
        InitState::Starting("the app is not ready yet".into())
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_waits_for_init_then_is_served() {
        let (tx, rx) = watch::channel(starting());
        let cold = ColdStart::new(rx, Duration::from_secs(10));
        let started = Instant::now();
        let (waited, ()) = tokio::join!(cold.wait(), async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            tx.send_replace(InitState::Ready);
        });
        assert_eq!(waited, Ok(()));
        assert_eq!(started.elapsed(), Duration::from_secs(3));
        assert_eq!(cold.wait().await, Ok(()), "once ready, at once");
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_ends_at_the_init_deadline_with_the_reason() {
        let (_tx, rx) = watch::channel(starting());
        let cold = ColdStart::new(rx, Duration::from_millis(2500));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let started = Instant::now();
        let reason = cold.wait().await.unwrap_err().to_string();
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(1500),
            "the deadline counts from init's start"
        );
        assert_eq!(
            reason,
            "the app is not ready yet; init did not end within 2.5 s (Lambda's init phase; LWA_READINESS_CHECK_TIMEOUT sets it)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_app_that_will_not_come_is_said_at_once_even_to_waiting_requests() {
        let (tx, rx) = watch::channel(starting());
        let cold = ColdStart::new(rx, Duration::from_secs(10));
        let started = Instant::now();
        let (waited, ()) = tokio::join!(cold.wait(), async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            tx.send_replace(InitState::WillNotCome("the app exited".into()));
        });
        assert_eq!(waited.map_err(|e| e.to_string()), Err("the app exited".to_string()));
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        tx.send_replace(starting());
        tx.send_replace(InitState::WillNotCome("it listens on 8000".into()));
        assert_eq!(cold.wait().await.map_err(|e| e.to_string()), Err("it listens on 8000".to_string()));
        drop(tx);
        assert_eq!(
            cold.wait().await.map_err(|e| e.to_string()),
            Err("it listens on 8000".to_string()),
            "the last word stands"
        );
    }
}
