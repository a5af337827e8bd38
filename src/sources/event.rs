//! An event as the Runtime API delivered it: its bytes, and the same bytes as text, checked for UTF-8 once.
//!
//! An event is read up to three times (its shape for detection, its `requestContext`'s, then the source's
//! `aws_lambda_events` type). `serde_json` reading bytes checks every string it reads for UTF-8 on its own,
//! a call per string (about 6,600 instructions per Function URL event, callgrind); reading text, it has
//! nothing left to check. Every read goes through text, so each type's reader is built once (reading bytes
//! as well would build every event type's reader twice: 160 KB of the static binary).
//!
//! JSON is UTF-8 (RFC 8259 § 8.1), and every AWS service sends it so. Bytes that are not are read for
//! detection with U+FFFD in their place, but an HTTP source's event must be UTF-8 ([`Event::utf8`]): it is
//! refused with the offset of the first bad byte rather than read with characters replaced. A pass-through
//! event is the app's body, and keeps its bytes as they came.

use std::borrow::Cow;

use serde::Deserialize;

use super::EventError;
use super::source::Source;

/// The event's bytes, and its text.
#[derive(Debug)]
pub(crate) struct Event<'a> {
    bytes: &'a [u8],
    /// Borrowed from `bytes` when they are UTF-8, else with U+FFFD for each bad sequence.
    text: Cow<'a, str>,
}

impl<'a> Event<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        // `from_utf8` first: it checks ASCII a word at a time, where `from_utf8_lossy` goes sequence by
        // sequence (about 3,000 instructions more for a Function URL event, callgrind).
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        Event { bytes, text }
    }

    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Reads the event as `T`.
    pub(crate) fn parse<'t, T: Deserialize<'t>>(&'t self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.text)
    }

    /// `Ok` when the event is UTF-8 as it came, else `kind`'s error naming the first bad byte.
    pub(crate) fn utf8(&self, kind: &'static Source) -> Result<(), EventError> {
        match &self.text {
            Cow::Borrowed(_) => Ok(()),
            Cow::Owned(_) => Err(EventError::NotUtf8 {
                kind,
                offset: std::str::from_utf8(self.bytes).err().map_or(0, |e| e.valid_up_to()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::function_url;
    use serde_json::Value;

    #[test]
    fn text_reads_as_bytes_would() {
        let event = Event::new(b"{\"a\": \"caf\\u00e9 caf\xc3\xa9\", \"b\": [1, null]}");
        let read: Value = event.parse().unwrap();
        assert_eq!(read, serde_json::from_slice::<Value>(event.bytes()).unwrap());
        assert_eq!(read["a"], "café café");
        assert!(event.utf8(function_url::SOURCE).is_ok());
    }

    #[test]
    fn bytes_that_are_not_utf8_are_named_not_replaced() {
        let event = Event::new(b"{\"kept\": 1, \"bad\": \"ab\xff\"}");
        let read: Value = event.parse().unwrap();
        assert_eq!(read["bad"], "ab\u{fffd}", "detection reads a replacement character");
        assert_eq!(event.bytes(), b"{\"kept\": 1, \"bad\": \"ab\xff\"}", "the bytes are kept");
        let error = event.utf8(function_url::SOURCE).unwrap_err();
        assert!(matches!(error, EventError::NotUtf8 { offset: 22, .. }), "{error:?}");
        assert!(error.to_string().contains("byte 22"), "{error}");
    }
}
