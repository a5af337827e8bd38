//! Deterministic body contents, generated one chunk at a time.
//!
//! Tests check large streamed bodies by recomputing them, so the content is a formula rather than random
//! bytes, and a cheap one: both patterns are periodic, so a chunk is copied out of a small table instead of
//! computed byte by byte, and a 1 GiB download costs no more memory than one chunk.

use super::{Body, BoxError, streamed};
use bytes::Bytes;
use hyper::body::Frame;

/// The binary pattern: `byte[i] = ((i * 31 + 7) % 251) as u8`, with `i` counted from 0 across the whole body.
///
/// In Python: `bytes((i * 31 + 7) % 251 for i in range(n))`. It repeats every 251 bytes.
pub fn pattern_byte(i: u64) -> u8 {
    ((i * 31 + 7) % 251) as u8
}

/// One period of [`pattern_byte`].
pub static PATTERN: [u8; 251] = {
    let mut table = [0u8; 251];
    let mut i = 0;
    while i < 251 {
        table[i] = ((i * 31 + 7) % 251) as u8;
        i += 1;
    }
    table
};

/// One period of the text pattern: `a` to `z`, so `byte[i] = b'a' + (i % 26)`.
pub static ALPHABET: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";

/// Bytes `start..start + len` of the body that repeats `period` forever.
pub fn cyclic_chunk(period: &[u8], start: u64, len: usize) -> Bytes {
    let mut chunk = Vec::with_capacity(len);
    let mut offset = (start % period.len() as u64) as usize;
    while chunk.len() < len {
        let take = (period.len() - offset).min(len - chunk.len());
        chunk.extend_from_slice(&period[offset..offset + take]);
        offset = 0;
    }
    Bytes::from(chunk)
}

/// A streamed body of `total` bytes repeating `period`, one frame of `chunk` bytes (the last one shorter) at a
/// time; each frame is generated only when hyper asks for it, which is when the previous one has been taken.
pub fn cyclic_body(period: &'static [u8], total: u64, chunk: usize) -> Body {
    let step = chunk.max(1);
    let frames = (0..total).step_by(step).map(move |start| {
        let len = (total - start).min(step as u64) as usize;
        Ok::<_, BoxError>(Frame::data(cyclic_chunk(period, start, len)))
    });
    streamed(futures::stream::iter(frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_formula() {
        for i in 0..1000u64 {
            assert_eq!(PATTERN[(i % 251) as usize], pattern_byte(i));
        }
    }

    #[test]
    fn chunks_line_up_across_boundaries() {
        let whole: Vec<u8> = (0..10_000u64).map(pattern_byte).collect();
        let mut joined = Vec::new();
        let mut start = 0u64;
        for len in [1usize, 250, 251, 252, 1000, 0, 8246] {
            joined.extend_from_slice(&cyclic_chunk(&PATTERN, start, len));
            start += len as u64;
        }
        assert_eq!(joined, whole);
        assert_eq!(&cyclic_chunk(ALPHABET, 25, 3)[..], b"zab");
    }
}
