//! The WebSocket bridge: API Gateway WebSocket APIs in front of any HTTP app (issue 7).
//!
//! Lambda cannot hold a socket. API Gateway holds it and invokes the function once per event; the bridge
//! turns each event into a plain `POST` to the app ([`event`]) and its answer into what API Gateway expects
//! ([`reply`]). To talk back, the app calls `@connections` on the adapter's loopback server ([`callback`]),
//! which signs the call with the function's own credentials ([`credentials`], [`sign`]) and forwards it to
//! API Gateway over HTTPS ([`forward`]): no AWS SDK in the app, and the same code locally and on Lambda.
//! Pushes still in flight hold the invocation's completion ([`inflight`]) so none stalls in a frozen sandbox.
//!
//! Facts (event shapes, limits, the signing pitfall): PROTOCOL.md § 7.

pub mod callback;
pub mod credentials;
pub mod event;
pub mod forward;
pub mod inflight;
pub mod reply;
pub mod settings;
pub mod sign;

use std::sync::{Arc, Mutex};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::time::Instant;

pub use event::{WsEvent, WsEventType, WsRoutes};
pub use settings::{ManagementEndpoint, ReplyMode, WsConfig};

use credentials::{CredentialSource, Lookup};
use forward::{Answer, Call, HttpsClient, PushError};
use inflight::InFlight;

/// Everything but RFC 3986's unreserved characters: how a connection id goes into a path segment (as the
/// AWS SDKs encode it: `=` → `%3D`, `/` → `%2F`, `+` → `%2B`).
const ID_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A connection id as one path segment.
pub fn encode_id(connection_id: &str) -> String {
    utf8_percent_encode(connection_id, ID_SEGMENT).to_string()
}

/// The API a WebSocket event came from.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SeenApi {
    api_id: String,
    stage: String,
}

/// The bridge's shared state: settings, the last API seen, pushes in flight, and the HTTPS client.
pub struct Bridge {
    config: WsConfig,
    lookup: Lookup,
    seen: Mutex<Option<SeenApi>>,
    pushes: InFlight,
    client: Result<HttpsClient, String>,
    credentials: CredentialSource,
}

impl Bridge {
    /// A bridge reading `AWS_REGION` and credentials from the process environment.
    pub fn new(config: WsConfig) -> Arc<Self> {
        Self::with_lookup(config, Arc::new(|name: &str| std::env::var(name).ok()))
    }

    /// A bridge reading the environment through `lookup`.
    pub fn with_lookup(config: WsConfig, lookup: Lookup) -> Arc<Self> {
        let client = forward::client();
        if let Err(error) = &client {
            tracing::error!("{error}");
        }
        Arc::new(Bridge {
            config,
            credentials: CredentialSource::new(lookup.clone()),
            lookup,
            seen: Mutex::new(None),
            pushes: InFlight::default(),
            client,
        })
    }

    pub fn config(&self) -> &WsConfig {
        &self.config
    }

    /// Pushes in flight.
    pub fn pushes(&self) -> &InFlight {
        &self.pushes
    }

    /// Remembers the API a WebSocket event came from: pushes go there until another is seen.
    pub fn observe(&self, event: &WsEvent) {
        if let (Some(api_id), Some(stage)) = (&event.api_id, &event.stage)
            && let Ok(mut seen) = self.seen.lock()
        {
            *seen = Some(SeenApi {
                api_id: api_id.clone(),
                stage: stage.clone(),
            });
        }
    }

    /// Where `@connections` calls go: `LWA_WS_ENDPOINT`, else the API of the last WebSocket event.
    pub fn endpoint(&self) -> Result<ManagementEndpoint, PushError> {
        if let Some(endpoint) = &self.config.endpoint {
            return Ok(endpoint.clone());
        }
        let seen = self.seen.lock().ok().and_then(|seen| seen.clone()).ok_or(PushError::NoEndpoint)?;
        let region = self.region()?;
        Ok(ManagementEndpoint {
            scheme: "https".into(),
            authority: format!("{}.execute-api.{region}.amazonaws.com", seen.api_id),
            base_path: format!("/{}", seen.stage),
        })
    }

    fn region(&self) -> Result<String, PushError> {
        (self.lookup)("AWS_REGION")
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .ok_or(PushError::NoRegion)
    }

    /// Makes one `@connections` call. Callers hold an [`inflight::Guard`] while it runs.
    pub async fn push(&self, call: Call) -> Result<Answer, PushError> {
        if call.body.len() > forward::MAX_POST {
            return Err(PushError::TooLarge { size: call.body.len() });
        }
        let client = self.client.as_ref().map_err(|e| PushError::Tls(e.clone()))?;
        let endpoint = self.endpoint()?;
        let region = self.region()?;
        let method = call.method.clone();
        let result = forward::send(client, &self.credentials, &endpoint, &region, call).await;
        match &result {
            Ok(answer) => tracing::debug!(%method, status = answer.status.as_u16(), "@connections call to {}", endpoint.base_url()),
            Err(error) => tracing::warn!(%method, "@connections call failed: {error}"),
        }
        result
    }

    /// Waits for pushes in flight to finish, at most until `deadline`.
    pub async fn settle(&self, deadline: Instant) {
        self.pushes.settle(deadline).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn bridge(vars: &[(&str, &str)], endpoint: Option<&str>) -> Arc<Bridge> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let config = WsConfig {
            endpoint: endpoint.map(|e| ManagementEndpoint::parse(e).unwrap()),
            ..WsConfig::default()
        };
        Bridge::with_lookup(config, Arc::new(move |name: &str| map.get(name).cloned()))
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

    #[test]
    fn ids_are_encoded_as_sdks_encode_them() {
        assert_eq!(encode_id("Ya1aXeR8IAMCLnw="), "Ya1aXeR8IAMCLnw%3D");
        assert_eq!(encode_id("a/b+c=="), "a%2Fb%2Bc%3D%3D");
        assert_eq!(encode_id("A-z_0.9~"), "A-z_0.9~");
    }

    #[test]
    fn endpoint_follows_the_last_event_unless_configured() {
        let bridge = bridge(&[("AWS_REGION", "us-east-1")], None);
        assert_eq!(bridge.endpoint(), Err(PushError::NoEndpoint));
        bridge.observe(&event("k3x9q2w1ab", "production"));
        assert_eq!(
            bridge.endpoint().unwrap().base_url(),
            "https://k3x9q2w1ab.execute-api.us-east-1.amazonaws.com/production"
        );
        bridge.observe(&event("other", "dev"));
        assert_eq!(
            bridge.endpoint().unwrap().base_url(),
            "https://other.execute-api.us-east-1.amazonaws.com/dev"
        );

        let configured = super::tests::bridge(&[], Some("https://api.example.com/chat"));
        configured.observe(&event("k3x9q2w1ab", "production"));
        assert_eq!(configured.endpoint().unwrap().base_url(), "https://api.example.com/chat");
    }

    #[test]
    fn missing_region_is_named() {
        let bridge = bridge(&[], None);
        bridge.observe(&event("k3x9q2w1ab", "production"));
        let err = bridge.endpoint().unwrap_err();
        assert_eq!(err, PushError::NoRegion);
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
        let err = bridge.push(call).await.unwrap_err();
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
        let err = bridge.push(call).await.unwrap_err();
        assert_eq!(err.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
        assert!(err.to_string().contains("AWS_ACCESS_KEY_ID"), "{err}");
    }
}
