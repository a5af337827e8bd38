//! An event as the Runtime API delivered it: its bytes, and the same bytes as text when they are UTF-8,
//! checked once.
//!
//! An event is read up to three times (its shape for detection, its `requestContext`'s, then the source's
//! `aws_lambda_events` type). `serde_json` reading bytes checks every string it reads for UTF-8 on its own,
//! a call per string (about 6,600 instructions per Function URL event, callgrind); reading text, it has
//! nothing left to check. Bytes that are not UTF-8 are read as bytes, as before, so such an event is read,
//! or refused, exactly as it was.

use serde::Deserialize;

/// The event's bytes, with their text when they are UTF-8.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event<'a> {
    bytes: &'a [u8],
    text: Option<&'a str>,
}

impl<'a> Event<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Event {
            bytes,
            text: std::str::from_utf8(bytes).ok(),
        }
    }

    pub(crate) fn bytes(self) -> &'a [u8] {
        self.bytes
    }

    /// Reads the event as `T`: from the text when there is one, else from the bytes.
    pub(crate) fn parse<T: Deserialize<'a>>(self) -> Result<T, serde_json::Error> {
        match self.text {
            Some(text) => serde_json::from_str(text),
            None => serde_json::from_slice(self.bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn text_and_bytes_read_the_same() {
        let event = Event::new(b"{\"a\": \"caf\\u00e9 caf\xc3\xa9\", \"b\": [1, null]}");
        assert!(event.text.is_some());
        let read: Value = event.parse().unwrap();
        assert_eq!(read, serde_json::from_slice::<Value>(event.bytes()).unwrap());
        assert_eq!(read["a"], "café café");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_read_as_bytes_as_before() {
        // Not UTF-8 where the reader skips it: read, as `serde_json` reading bytes does.
        let skipped = Event::new(b"{\"kept\": 1, \"skipped\": \"\xff\"}");
        assert!(skipped.text.is_none());
        #[derive(Deserialize)]
        struct Kept {
            kept: u8,
        }
        assert_eq!(skipped.parse::<Kept>().unwrap().kept, 1);
        // Not UTF-8 where it is read: the same error as before.
        let read = Event::new(b"{\"kept\": \"\xff\"}");
        let error = read.parse::<Value>().unwrap_err().to_string();
        assert_eq!(error, serde_json::from_slice::<Value>(read.bytes()).unwrap_err().to_string());
    }
}
