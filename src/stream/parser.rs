//! Splits a streamed response's byte stream into the JSON prelude and the body, as Lambda does: the prelude
//! ends at the first eight NUL bytes, wherever chunk boundaries fall (JSON text cannot contain NUL).

use bytes::{Bytes, BytesMut};

use super::prelude::SEPARATOR;

/// The largest prelude accepted (Lambda's own limit is not documented; headers rarely pass a few KB).
pub const MAX_PRELUDE: usize = 64 * 1024;

/// Feeds chunks until the prelude is complete.
#[derive(Default)]
pub struct PreludeParser {
    buffer: BytesMut,
}

/// What a chunk completed.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// More bytes are needed.
    NeedMore,
    /// The prelude, and the body bytes that followed the separator in the same chunk.
    Done { prelude: Bytes, rest: Bytes },
}

/// The prelude grew past [`MAX_PRELUDE`] without a separator.
#[derive(Debug, PartialEq, Eq)]
pub struct PreludeTooLong;

impl std::fmt::Display for PreludeTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no 8-NUL separator within the first {MAX_PRELUDE} bytes of the streamed response"
        )
    }
}

impl std::error::Error for PreludeTooLong {}

impl PreludeParser {
    /// Adds a chunk. Errors when the prelude grows past [`MAX_PRELUDE`] without a separator.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Parsed, PreludeTooLong> {
        let search_from = self.buffer.len().saturating_sub(7);
        self.buffer.extend_from_slice(chunk);
        let fresh = self.buffer.get(search_from..).unwrap_or_default();
        if let Some(at) = fresh.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            let end = search_from.saturating_add(at);
            let mut all = std::mem::take(&mut self.buffer).freeze();
            let prelude = all.split_to(end);
            let rest = all.split_off(SEPARATOR.len());
            return Ok(Parsed::Done { prelude, rest });
        }
        if self.buffer.len() > MAX_PRELUDE {
            return Err(PreludeTooLong);
        }
        Ok(Parsed::NeedMore)
    }

    /// The bytes seen so far, for an error message when the stream ends early.
    pub fn seen(&self) -> usize {
        self.buffer.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_in_its_own_chunk() {
        let mut parser = PreludeParser::default();
        assert_eq!(parser.push(br#"{"statusCode":200}"#).unwrap(), Parsed::NeedMore);
        assert_eq!(
            parser.push(SEPARATOR).unwrap(),
            Parsed::Done {
                prelude: Bytes::from_static(br#"{"statusCode":200}"#),
                rest: Bytes::new()
            }
        );
    }

    #[test]
    fn separator_split_across_chunks_with_body_after() {
        let mut parser = PreludeParser::default();
        assert_eq!(parser.push(b"{}\0\0\0").unwrap(), Parsed::NeedMore);
        assert_eq!(
            parser.push(b"\0\0\0\0\0body").unwrap(),
            Parsed::Done {
                prelude: Bytes::from_static(b"{}"),
                rest: Bytes::from_static(b"body")
            }
        );
    }

    #[test]
    fn refuses_an_endless_prelude() {
        let mut parser = PreludeParser::default();
        assert!(parser.push(&vec![b'x'; MAX_PRELUDE + 1]).is_err());
    }
}
