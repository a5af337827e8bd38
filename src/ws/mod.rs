//! The WebSocket bridge: API Gateway WebSocket APIs in front of any HTTP app (issue 7).
//!
//! Lambda cannot hold a socket. API Gateway holds it and invokes the function once per event; the bridge
//! turns each event into a plain `POST` to the app and its answer into what API Gateway expects. To talk back, the app calls `@connections` on the adapter's loopback server ([`callback`]),
//! which signs the call with the function's own credentials ([`credentials`], [`sign`]) and forwards it to
//! API Gateway over HTTPS ([`forward`]): no AWS SDK in the app, and the same code locally and on Lambda.
//! Pushes still in flight hold their own invocation's completion ([`inflight`], [`InvocationPushes`]) so
//! none stalls in a frozen sandbox, and concurrent invocations never wait on each other's pushes. Mapping
//! events and answers is the WebSocket source's job (`crate::sources::websocket`); this module is I/O.
//! The same loopback server takes the app's "wait until" holds ([`wait_until`], [`holds`]): work after the
//! response that the next invocation waits for.
//!
//! Facts (event shapes, limits, the signing pitfall): PROTOCOL.md § 7.

pub mod callback;
pub(crate) mod credentials;
pub(crate) mod forward;
pub(crate) mod holds;
pub(crate) mod https;
pub(crate) mod inflight;
pub(crate) mod reply;
pub(crate) mod sign;
pub(crate) mod wait_until;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tokio::time::Instant;

use crate::config::{ManagementEndpoint, WsConfig};
use crate::sources::websocket::WsEvent;
use credentials::{CredentialSource, Lookup};
use forward::{Answer, Call, PushError};
use holds::Holds;
use https::HttpsClient;
use inflight::InFlight;

/// The API a WebSocket event came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SeenApi {
    api_id: String,
    stage: String,
}

impl SeenApi {
    fn of(event: &WsEvent) -> Option<SeenApi> {
        Some(SeenApi {
            api_id: event.api_id.clone()?,
            stage: event.stage.clone()?,
        })
    }
}

/// An invocation the bridge knows: its pushes in flight, the API its event came from, and the app's holds
/// (made at the first one: most invocations never hold).
struct Active {
    pushes: InFlight,
    api: Option<SeenApi>,
    holds: Option<Arc<Holds>>,
}

/// Why a hold could not be opened or released.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HoldError {
    /// The invocation is over (or was never this adapter's): nothing waits for the work any more.
    Ended,
    /// The invocation has no such hold open.
    Unknown,
}

#[derive(Default)]
struct State {
    /// Invocations in progress, by request id.
    active: HashMap<String, Active>,
    /// The API of the last WebSocket event: where pushes that belong to no invocation go.
    last_seen: Option<SeenApi>,
}

/// Where a push came from, once the bridge has placed it.
pub(crate) struct Attributed {
    /// The pushes of the invocation whose completion it holds, if any.
    pub pushes: Option<InFlight>,
    api: Option<SeenApi>,
}

/// The bridge's shared state: settings, the invocations in progress, and the HTTPS client (built at the
/// first push: loading TLS roots costs start-up time that functions without WebSockets never need).
pub(crate) struct Bridge {
    config: WsConfig,
    lookup: Lookup,
    state: Mutex<State>,
    client: OnceLock<Result<HttpsClient, https::TlsError>>,
    credentials: CredentialSource,
}

impl Bridge {
    /// A bridge reading `AWS_REGION` and credentials from the process environment.
    pub(crate) fn new(config: WsConfig) -> Arc<Self> {
        Self::with_lookup(config, Arc::new(|name: &str| std::env::var(name).ok()))
    }

    /// A bridge reading the environment through `lookup`.
    pub(crate) fn with_lookup(config: WsConfig, lookup: Lookup) -> Arc<Self> {
        Arc::new(Bridge {
            config,
            credentials: CredentialSource::new(lookup.clone()),
            lookup,
            state: Mutex::new(State::default()),
            client: OnceLock::new(),
        })
    }

    pub(crate) fn config(&self) -> &WsConfig {
        &self.config
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated; go on with them.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts tracking invocation `request_id`, whose event is `event` when it is a WebSocket event. Pushes
    /// made through its `x-ws-callback` URL hold its completion and go to its event's API; dropping the
    /// returned value forgets it.
    pub(crate) fn begin(self: &Arc<Self>, request_id: &str, event: Option<&WsEvent>) -> InvocationPushes {
        let pushes = InFlight::default();
        let api = event.and_then(SeenApi::of);
        let mut state = self.state();
        if api.is_some() {
            state.last_seen.clone_from(&api);
        }
        state.active.insert(
            request_id.to_string(),
            Active {
                pushes: pushes.clone(),
                api,
                holds: None,
            },
        );
        InvocationPushes {
            bridge: self.clone(),
            request_id: request_id.to_string(),
            pushes,
        }
    }

    /// Places a push: the invocation its URL names, else the only invocation in progress (an app that
    /// builds its own callback URL, one invocation at a time), else none, going to the last API seen.
    pub(crate) fn attribute(&self, request_id: Option<&str>) -> Attributed {
        let state = self.state();
        let named = request_id.and_then(|id| state.active.get(id));
        let only = || (state.active.len() == 1).then(|| state.active.values().next()).flatten();
        match named.or_else(only) {
            Some(active) => Attributed {
                pushes: Some(active.pushes.clone()),
                api: active.api.clone().or_else(|| state.last_seen.clone()),
            },
            None => Attributed {
                pushes: None,
                api: state.last_seen.clone(),
            },
        }
    }

    /// Opens a hold on invocation `request_id` for the app's work after the response.
    pub(crate) fn open_hold(&self, request_id: &str) -> Result<u64, HoldError> {
        let mut state = self.state();
        let active = state.active.get_mut(request_id).ok_or(HoldError::Ended)?;
        active.holds.get_or_insert_with(Arc::default).open().ok_or(HoldError::Ended)
    }

    /// Releases hold `hold` of invocation `request_id`.
    pub(crate) fn release_hold(&self, request_id: &str, hold: u64) -> Result<(), HoldError> {
        let state = self.state();
        let active = state.active.get(request_id).ok_or(HoldError::Ended)?;
        match &active.holds {
            Some(holds) if holds.release(hold) => Ok(()),
            _ => Err(HoldError::Unknown),
        }
    }

    /// Where `@connections` calls for `api` go: `LWA_WS_ENDPOINT`, else that API in this region.
    pub(crate) fn endpoint(&self, api: Option<&SeenApi>) -> Result<ManagementEndpoint, PushError> {
        if let Some(endpoint) = &self.config.endpoint {
            return Ok(endpoint.clone());
        }
        let api = api.ok_or(PushError::NoEndpoint)?;
        let region = self.region()?;
        Ok(ManagementEndpoint {
            scheme: "https".into(),
            authority: format!("{}.execute-api.{region}.amazonaws.com", api.api_id),
            base_path: format!("/{}", api.stage),
        })
    }

    fn region(&self) -> Result<String, PushError> {
        (self.lookup)("AWS_REGION")
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .ok_or(PushError::NoRegion)
    }

    /// Makes one `@connections` call for a push placed by [`Bridge::attribute`]. Callers hold an
    /// [`inflight::Guard`] of its invocation while it runs.
    pub(crate) async fn push(&self, call: Call, attributed: &Attributed) -> Result<Answer, PushError> {
        if call.body.len() > forward::MAX_POST {
            return Err(PushError::TooLarge { size: call.body.len() });
        }
        let client = self
            .client
            .get_or_init(https::client)
            .as_ref()
            .map_err(|e| PushError::Tls(e.clone()))?;
        let endpoint = self.endpoint(attributed.api.as_ref())?;
        let region = self.region()?;
        let method = call.method.clone();
        let result = forward::send(client, &self.credentials, &endpoint, &region, call).await;
        match &result {
            Ok(answer) => tracing::debug!(%method, status = answer.status.as_u16(), "@connections call to {}", endpoint.base_url()),
            Err(error) => tracing::warn!(%method, "@connections call failed: {error}"),
        }
        result
    }
}

/// One invocation's pushes: its completion waits for them ([`InvocationPushes::settle`]), never for another
/// invocation's.
pub(crate) struct InvocationPushes {
    bridge: Arc<Bridge>,
    request_id: String,
    pushes: InFlight,
}

impl InvocationPushes {
    /// Waits for this invocation's pushes in flight to finish, at most until `deadline`.
    pub(crate) async fn settle(&self, deadline: Instant) {
        self.pushes.settle(deadline).await;
    }

    /// After the invocation's answer is posted: waits until the app releases every hold it opened, at most
    /// until `deadline` (then warns, naming the request id and the holds cut). The invocation takes no hold
    /// after this.
    pub(crate) async fn release_holds(&self, deadline: Instant) {
        let holds = {
            let mut state = self.bridge.state();
            let holds = state.active.get(&self.request_id).and_then(|active| active.holds.clone());
            if holds.is_none() {
                // Never held: over at once, so a late hold is refused (410) rather than left waiting.
                state.active.remove(&self.request_id);
            }
            holds
        };
        let Some(holds) = holds else { return };
        tracing::debug!("waiting for the app's work after the response (wait-until holds) before the next invocation");
        if let Err(open) = holds.settle(deadline).await {
            tracing::warn!(
                request_id = %self.request_id,
                "the invocation's deadline came with wait-until holds still open ({open:?}); going on to the next invocation, and the app's work may stall while the sandbox is frozen"
            );
        }
    }

    /// Sends a message's reply through `@connections` (`LWA_WS_REPLY=post`), as a push of this invocation.
    pub(crate) async fn post(&self, call: Call) -> Result<Answer, PushError> {
        let _guard = self.pushes.start();
        let attributed = self.bridge.attribute(Some(&self.request_id));
        self.bridge.push(call, &attributed).await
    }
}

impl Drop for InvocationPushes {
    fn drop(&mut self) {
        self.bridge.state().active.remove(&self.request_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::websocket::WsEventType;

    fn bridge(vars: &[(&str, &str)], endpoint: Option<&str>) -> Arc<Bridge> {
        let lookup = crate::config::lookup(vars);
        let config = WsConfig {
            endpoint: endpoint.map(|e| ManagementEndpoint::parse(e).unwrap()),
            ..WsConfig::default()
        };
        Bridge::with_lookup(config, Arc::new(lookup))
    }

    fn event(api_id: &str, stage: &str) -> WsEvent {
        WsEvent {
            event_type: WsEventType::Message,
            connection_id: "c=".into(),
            api_id: Some(api_id.into()),
            stage: Some(stage.into()),
            offered_protocols: vec![],
        }
    }

    fn endpoint_for(bridge: &Bridge, request_id: Option<&str>) -> Result<String, PushError> {
        bridge.endpoint(bridge.attribute(request_id).api.as_ref()).map(|e| e.base_url())
    }

    #[test]
    fn each_invocation_pushes_to_its_own_events_api() {
        let bridge = bridge(&[("AWS_REGION", "us-east-1")], None);
        assert!(matches!(endpoint_for(&bridge, None), Err(PushError::NoEndpoint)));
        let first = bridge.begin("req-1", Some(&event("k3x9q2w1ab", "production")));
        let second = bridge.begin("req-2", Some(&event("other", "dev")));
        assert_eq!(
            endpoint_for(&bridge, Some("req-1")).unwrap(),
            "https://k3x9q2w1ab.execute-api.us-east-1.amazonaws.com/production"
        );
        assert_eq!(
            endpoint_for(&bridge, Some("req-2")).unwrap(),
            "https://other.execute-api.us-east-1.amazonaws.com/dev"
        );
        assert!(
            bridge.attribute(None).pushes.is_none(),
            "two in progress: an unnamed push holds neither"
        );
        drop(second);
        assert!(bridge.attribute(None).pushes.is_some(), "one in progress: an unnamed push is its");
        drop(first);
        assert_eq!(
            endpoint_for(&bridge, Some("req-1")).unwrap(),
            "https://other.execute-api.us-east-1.amazonaws.com/dev",
            "after the invocation, the last API seen"
        );
        let configured = super::tests::bridge(&[], Some("https://api.example.com/chat"));
        let _held = configured.begin("req-3", Some(&event("k3x9q2w1ab", "production")));
        assert_eq!(endpoint_for(&configured, Some("req-3")).unwrap(), "https://api.example.com/chat");
    }

    #[tokio::test]
    async fn one_invocations_pushes_never_hold_another() {
        let bridge = bridge(&[], None);
        let slow = bridge.begin("slow", Some(&event("a", "s")));
        let quick = bridge.begin("quick", Some(&event("a", "s")));
        let _push = bridge.attribute(Some("slow")).pushes.unwrap().start();
        let started = Instant::now();
        quick.settle(Instant::now() + std::time::Duration::from_secs(5)).await;
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
        slow.settle(Instant::now() + std::time::Duration::from_millis(50)).await;
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(50),
            "the slow one waits for its push"
        );
    }

    #[test]
    fn missing_region_is_named() {
        let bridge = bridge(&[], None);
        let _held = bridge.begin("req", Some(&event("k3x9q2w1ab", "production")));
        let err = endpoint_for(&bridge, Some("req")).unwrap_err();
        assert!(matches!(err, PushError::NoRegion));
        assert!(err.to_string().contains("AWS_REGION"));
        assert_eq!(err.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn oversized_posts_are_refused_locally() {
        let bridge = bridge(&[], Some("http://127.0.0.1:9/stage"));
        let call = Call {
            method: http::Method::POST,
            connection_id: "c=".into(),
            body: bytes::Bytes::from(vec![b'x'; forward::MAX_POST + 1]),
        };
        let err = bridge.push(call, &bridge.attribute(None)).await.unwrap_err();
        assert_eq!(err.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
        assert!(err.to_string().contains("131072"), "{err}");
    }

    #[tokio::test]
    async fn missing_credentials_are_named_before_calling_out() {
        let bridge = bridge(&[("AWS_REGION", "us-east-1")], Some("http://127.0.0.1:9/stage"));
        let call = Call {
            method: http::Method::GET,
            connection_id: "c=".into(),
            body: bytes::Bytes::new(),
        };
        let err = bridge.push(call, &bridge.attribute(None)).await.unwrap_err();
        assert_eq!(err.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
        assert!(err.to_string().contains("AWS_ACCESS_KEY_ID"), "{err}");
    }
}
