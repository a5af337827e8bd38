//! Header values the adapter builds on every invocation (the Lambda context, the event's request context, the
//! wait-until URL), checked eight bytes at a time.
//!
//! `http::HeaderValue`'s constructors check a value byte by byte, and these values are most of the bytes an
//! invocation's request head carries: the check was some 14 instructions a byte, about 12,000 per invocation
//! (callgrind), where a word-at-a-time check takes about two. The bytes are checked here against the same
//! rule (or a stricter one), and only then handed to `HeaderValue` without its own pass.

use bytes::Bytes;
use http::HeaderValue;

use crate::words;

/// The bytes a value may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Charset {
    /// What `HeaderValue` accepts (RFC 9110 § 5.5 field content): any byte but controls and DEL, tab
    /// allowed; bytes above ASCII (obs-text) included.
    Field,
    /// Visible ASCII, space and tab: what `HeaderValue::to_str` gives back as text, so an app reading the
    /// value as a string always can.
    Ascii,
}

impl Charset {
    fn allows(self, byte: u8) -> bool {
        match self {
            Charset::Field => (byte >= 0x20 && byte != 0x7f) || byte == b'\t',
            Charset::Ascii => (0x20..0x7f).contains(&byte) || byte == b'\t',
        }
    }

    /// Whether `word` may hold a byte this charset refuses: a control (below 0x20, tab among them), DEL, and
    /// for `Ascii` a byte above ASCII. Never false when one is there; a word it flags is looked at byte by
    /// byte (tabs are rare).
    fn suspect(self, word: u64) -> bool {
        words::has_below(word, 0x20)
            || words::has(word, 0x7f)
            || match self {
                Charset::Field => false,
                Charset::Ascii => words::has_high(word),
            }
    }

    /// Whether every byte of `bytes` is allowed.
    pub(crate) fn admits(self, bytes: &[u8]) -> bool {
        words::all(bytes, |word| self.suspect(word), |byte| self.allows(byte))
    }
}

/// `text` as a header value when every byte is in `charset`; `None` otherwise. A `String` becomes the value
/// without a copy.
pub(crate) fn value(text: impl Into<Bytes>, charset: Charset) -> Option<HeaderValue> {
    let bytes: Bytes = text.into();
    if !charset.admits(&bytes) {
        return None;
    }
    // SAFETY: `from_maybe_shared_unchecked` asks for bytes `HeaderValue` would accept (no control but tab, no
    // DEL), and both charsets admit no other; debug builds have `http` check again.
    Some(unsafe { HeaderValue::from_maybe_shared_unchecked(bytes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value at every position of a word and of the tail agrees with the byte-by-byte rule, and
    /// `Field` agrees with `HeaderValue`'s own check.
    #[test]
    fn the_word_check_agrees_with_the_byte_rule_everywhere() {
        for charset in [Charset::Field, Charset::Ascii] {
            for len in [1, 7, 8, 9, 16, 21] {
                for position in 0..len {
                    for byte in 0..=255u8 {
                        let mut text = vec![b'a'; len];
                        text[position] = byte;
                        assert_eq!(
                            charset.admits(&text),
                            charset.allows(byte),
                            "{charset:?} byte {byte:#04x} at {position} of {len}"
                        );
                        if charset == Charset::Field {
                            assert_eq!(charset.admits(&text), HeaderValue::from_bytes(&text).is_ok(), "{byte:#04x}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn values_keep_their_bytes_and_refuse_what_a_header_cannot_carry() {
        let context = r#"{"request_id":"abc","identity":null,"tab":"	"}"#;
        assert_eq!(value(context.to_string(), Charset::Ascii).unwrap(), context);
        assert_eq!(
            value("r\u{e9}sum\u{e9}".to_string(), Charset::Field).unwrap().as_bytes(),
            "résumé".as_bytes()
        );
        assert!(value("r\u{e9}sum\u{e9}".to_string(), Charset::Ascii).is_none());
        for forged in ["a\r\nx-forged: 1", "a\nb", "nul\0", "del\x7f", "bell\x07 and more text"] {
            assert!(value(forged.to_string(), Charset::Field).is_none(), "{forged:?}");
            assert!(value(forged.to_string(), Charset::Ascii).is_none(), "{forged:?}");
        }
        assert_eq!(value(String::new(), Charset::Ascii).unwrap(), "");
    }
}
