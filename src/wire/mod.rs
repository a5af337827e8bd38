//! The wire model both invoke modes share, owned by neither: the document shape each source reads
//! ([`Format`]) and the response head as a client gets it back ([`Head`], [`DecodeError`] and the helpers
//! that read header maps and cookie lists). `buffered` encodes and decodes whole documents over it, `stream`
//! the streaming prelude; sources name their format here, not in either mode.

mod error;
mod format;
mod head;

pub use error::DecodeError;
pub use format::{Format, HeaderForm};
pub(crate) use head::Head;
pub(crate) use head::{add_cookies, add_multi, add_single, status};

/// A document or prelude as JSON bytes, written straight into one buffer: `Value`'s `Display` (`to_string`)
/// goes through the formatter's indirection and a `String`, about twice the instructions (callgrind).
pub(crate) fn to_json_bytes(map: &serde_json::Map<String, serde_json::Value>) -> bytes::Bytes {
    let mut out = Vec::with_capacity(256);
    // A map with string keys writing into a `Vec` cannot fail; the fallback only keeps this total.
    match serde_json::to_writer(&mut out, map) {
        Ok(()) => bytes::Bytes::from(out),
        Err(_) => bytes::Bytes::from_static(b"{}"),
    }
}
