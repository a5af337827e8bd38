//! The open WebSocket connections of `dev`, shared by the front door (which owns each socket) and the
//! management API (which pushes to, describes and closes them by id).
//!
//! A connection is registered while its `$connect` runs but is not open yet: API Gateway answers 410 to a
//! push made during `$connect`, and so does `dev`. Each socket is written by its own task alone; others reach
//! it through an unbounded channel of [`Outgoing`] frames, so a push never waits for an invocation and an
//! invocation never waits for a slow client.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

use super::events::ConnectionFacts;
use crate::context::now_ms;

/// What another task asks a socket's task to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outgoing {
    Text(String),
    Binary(Bytes),
    /// Send a close frame and end the connection (`DELETE @connections/{id}`).
    Close {
        code: u16,
        reason: String,
    },
}

/// One connection as the management API sees it.
pub(crate) struct Connection {
    pub facts: ConnectionFacts,
    last_active_ms: AtomicU64,
    open: AtomicBool,
    out: mpsc::UnboundedSender<Outgoing>,
}

impl Connection {
    /// A connection whose `$connect` is running, and the receiving end of its frames.
    pub(crate) fn new(facts: ConnectionFacts) -> (Arc<Connection>, mpsc::UnboundedReceiver<Outgoing>) {
        let (out, rx) = mpsc::unbounded_channel();
        let connection = Connection {
            last_active_ms: AtomicU64::new(facts.connected_at_ms),
            facts,
            open: AtomicBool::new(false),
            out,
        };
        (Arc::new(connection), rx)
    }

    pub(crate) fn id(&self) -> &str {
        &self.facts.connection_id
    }

    /// `$connect` accepted it: pushes are delivered from now on.
    pub(crate) fn set_open(&self) {
        self.open.store(true, Ordering::Release);
    }

    pub(crate) fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire) && !self.out.is_closed()
    }

    /// A message went either way (pings do not count, as in API Gateway).
    pub(crate) fn touch(&self) {
        self.last_active_ms.store(now_ms(), Ordering::Relaxed);
    }

    pub(crate) fn last_active_ms(&self) -> u64 {
        self.last_active_ms.load(Ordering::Relaxed)
    }

    /// Queues a frame; `false` when the socket's task has ended.
    pub(crate) fn send(&self, frame: Outgoing) -> bool {
        self.out.send(frame).is_ok()
    }
}

/// Every connection by id.
#[derive(Default)]
pub(crate) struct Connections {
    by_id: Mutex<HashMap<String, Arc<Connection>>>,
}

impl Connections {
    pub(crate) fn insert(&self, connection: Arc<Connection>) {
        self.lock().insert(connection.id().to_string(), connection);
    }

    pub(crate) fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// The connection, when it is open (not unknown, closed, or still in `$connect`).
    pub(crate) fn open(&self, id: &str) -> Option<Arc<Connection>> {
        self.lock().get(id).filter(|c| c.is_open()).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Connection>>> {
        self.by_id.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: &str) -> ConnectionFacts {
        ConnectionFacts {
            connection_id: id.into(),
            connected_at_ms: 1,
            source_ip: "127.0.0.1".parse().unwrap(),
            user_agent: None,
        }
    }

    #[test]
    fn only_open_connections_are_reachable() {
        let connections = Connections::default();
        let (connection, mut rx) = Connection::new(facts("a="));
        connections.insert(connection.clone());
        assert!(connections.open("a=").is_none(), "still in $connect");
        connection.set_open();
        let found = connections.open("a=").expect("open");
        assert!(found.send(Outgoing::Text("hi".into())));
        assert_eq!(rx.try_recv(), Ok(Outgoing::Text("hi".into())));
        drop(rx);
        assert!(connections.open("a=").is_none(), "its socket task has ended");
        assert!(!connection.send(Outgoing::Text("late".into())));
        connections.remove("a=");
        assert!(connections.open("b=").is_none());
    }
}
