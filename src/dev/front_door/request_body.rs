//! Reading a request body whole, as an event source does before it invokes: up to the source's payload limit,
//! draining (not keeping) an oversized one so the client reads the 413, and giving up on a client that stops
//! sending for [`BODY_IDLE_TIMEOUT`], so a stalled upload does not hold its connection forever.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::net::serve::BODY_IDLE_TIMEOUT;

/// How much of an oversized request body is read and dropped before answering 413, so that a client still
/// sending it reads the answer instead of a reset connection.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    TooLarge,
    /// No byte arrived for [`BODY_IDLE_TIMEOUT`].
    Stalled,
    Failed(String),
}

/// Reads the request body up to `limit` bytes. Past the limit, the rest is read and dropped (up to
/// [`DRAIN_LIMIT`]) without being kept.
pub(crate) async fn read_body(mut body: Incoming, declared: Option<u64>, limit: usize) -> Result<Bytes, BodyError> {
    let mut kept = bytes::BytesMut::new();
    let mut seen = 0u64;
    let mut too_large = declared.is_some_and(|length| length > limit as u64);
    loop {
        let frame = match tokio::time::timeout(BODY_IDLE_TIMEOUT, body.frame()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(_) => return Err(BodyError::Stalled),
        };
        let frame = match frame {
            Ok(frame) => frame,
            Err(_) if too_large => break,
            Err(error) => return Err(BodyError::Failed(error.to_string())),
        };
        let Ok(data) = frame.into_data() else { continue };
        seen = seen.saturating_add(data.len() as u64);
        too_large |= seen > limit as u64;
        if too_large {
            kept.clear();
            if seen > DRAIN_LIMIT {
                break;
            }
        } else {
            kept.extend_from_slice(&data);
        }
    }
    if too_large { Err(BodyError::TooLarge) } else { Ok(kept.freeze()) }
}
