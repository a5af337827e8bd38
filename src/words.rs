//! Byte checks eight bytes at a time, for the text the adapter checks or escapes on every invocation (header
//! values, JSON strings): a branch per word instead of one per byte.
//!
//! Each test says whether a word may hold a byte of some class; it is never wrong when it says no, and the
//! callers look at a word it flags byte by byte (or take a slow path), so a flag in the wrong lane costs time,
//! never a wrong answer.

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// `byte` in every lane.
const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// Whether some byte of `word` is below `limit` (at most 0x80): the classic "has a byte less than n" test,
/// where such a byte borrows through its own high bit.
pub(crate) fn has_below(word: u64, limit: u8) -> bool {
    word.wrapping_sub(splat(limit)) & !word & HIGH != 0
}

/// Whether some byte of `word` is `byte`.
pub(crate) fn has(word: u64, byte: u8) -> bool {
    let zeroed = word ^ splat(byte);
    zeroed.wrapping_sub(ONES) & !zeroed & HIGH != 0
}

/// Whether some byte of `word` is above ASCII.
pub(crate) fn has_high(word: u64) -> bool {
    word & HIGH != 0
}

/// `chunk` (eight bytes) as a word.
pub(crate) fn word(chunk: &[u8]) -> u64 {
    u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8]))
}

/// Whether every byte of `bytes` passes `allows`, words first: a word `suspect` does not flag passes whole.
pub(crate) fn all(bytes: &[u8], suspect: impl Fn(u64) -> bool, allows: impl Fn(u8) -> bool) -> bool {
    let mut words = bytes.chunks_exact(8);
    let whole = words
        .by_ref()
        .all(|chunk| !suspect(word(chunk)) || chunk.iter().all(|&byte| allows(byte)));
    whole && words.remainder().iter().all(|&byte| allows(byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each test agrees with its byte rule for every byte value in every lane, with the other lanes holding
    /// bytes just beside the edges (where borrows would go wrong).
    #[test]
    fn the_word_tests_agree_with_the_byte_rules() {
        for filler in [b'a', 0x21, 0x23, 0x5d, 0x7f, 0x81, 0xff] {
            for lane in 0..8 {
                for byte in 0..=255u8 {
                    let mut bytes = [filler; 8];
                    bytes[lane] = byte;
                    let w = word(&bytes);
                    let any = |rule: &dyn Fn(u8) -> bool| bytes.iter().any(|&b| rule(b));
                    assert_eq!(
                        has_below(w, 0x20),
                        any(&|b| b < 0x20),
                        "{byte:#04x} in lane {lane}, filler {filler:#04x}"
                    );
                    assert_eq!(has(w, b'"'), any(&|b| b == b'"'), "{byte:#04x}");
                    assert_eq!(has(w, 0x7f), any(&|b| b == 0x7f), "{byte:#04x}");
                    assert_eq!(has_high(w), any(&|b| b >= 0x80), "{byte:#04x}");
                }
            }
        }
    }
}
