//! JSON written straight into one buffer, field by field with literal keys: the documents and preludes the
//! adapter sends on every invocation. Building a `serde_json::Map` first (an insertion-ordered map that
//! hashes every key) and serialising it cost about as much as the rest of the encoding (callgrind).

use serde::Serialize;
use std::fmt::Write;

use crate::words;

/// Appends `value` as JSON (strings escaped, `None` as `null`). Writing to a `Vec` cannot fail, and the
/// values written here (strings, numbers, options and lists of them) all serialise.
pub(crate) fn value(out: &mut Vec<u8>, value: &(impl Serialize + ?Sized)) {
    let _ = serde_json::to_writer(out, value);
}

/// Appends `text` as a JSON string. Text with nothing to escape (no control character, quote or backslash:
/// header names and values, ids, most bodies) is copied between quotes after a word-at-a-time check; other
/// text goes through `serde_json`'s escaper, which looks at every byte (about five times the instructions).
pub(crate) fn string(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let suspect = |word: u64| words::has_below(word, 0x20) || words::has(word, b'"') || words::has(word, b'\\');
    if words::all(bytes, suspect, |byte| byte >= 0x20 && byte != b'"' && byte != b'\\') {
        out.reserve(bytes.len().saturating_add(2));
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else {
        value(out, text);
    }
}

/// [`string`], or `null`.
pub(crate) fn optional_string(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => string(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends repeated header values as one JSON string, joined with `,` (payload 2.0's `headers`).
pub(crate) fn joined(out: &mut Vec<u8>, values: &[String]) {
    match values {
        [one] => string(out, one),
        many => string(out, &many.join(",")),
    }
}

/// Appends a JSON object whose members `write_members` appends through [`Members`].
pub(crate) fn object(out: &mut Vec<u8>, write_members: impl FnOnce(&mut Members)) {
    out.push(b'{');
    let mut members = Members { out, empty: true };
    write_members(&mut members);
    members.out.push(b'}');
}

/// The members of an object being written: each [`Members::key`] is followed by one value.
pub(crate) struct Members<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl Members<'_> {
    /// Appends the separator and `"name":`, and hands back the buffer for the value.
    pub(crate) fn key(&mut self, name: &str) -> &mut Vec<u8> {
        if !std::mem::take(&mut self.empty) {
            self.out.push(b',');
        }
        string(self.out, name);
        self.out.push(b':');
        self.out
    }
}

/// JSON text made fit for a header value: every character outside visible ASCII that the serialiser left as it
/// is (non-ASCII, DEL) becomes a `\uXXXX` escape, as UTF-16 units. Such characters only occur inside strings,
/// where the escape means the same character, and the serialiser has already escaped control characters.
pub(crate) fn ascii_escaped(json: &str) -> String {
    let mut out = String::with_capacity(json.len().saturating_add(32));
    for c in json.chars() {
        if c.is_ascii() && c != '\x7f' {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                // Writing to a `String` cannot fail.
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_and_joined_values_are_json() {
        let mut out = Vec::new();
        object(&mut out, |members| {
            joined(members.key("a\"b"), &["1".into(), "2\n".into()]);
            joined(members.key("single"), &["x".into()]);
            object(members.key("empty"), |_| {});
        });
        assert_eq!(String::from_utf8(out).unwrap(), r#"{"a\"b":"1,2\n","single":"x","empty":{}}"#);
    }

    /// Every byte value at every position of a word and of the tail is written as `serde_json` writes it.
    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for len in [1, 7, 8, 9, 16, 21] {
            for position in 0..len {
                for byte in 0..=127u8 {
                    let mut text = vec![b'a'; len];
                    text[position] = byte;
                    let text = String::from_utf8(text).unwrap();
                    let mut out = Vec::new();
                    string(&mut out, &text);
                    assert_eq!(out, serde_json::to_vec(&text).unwrap(), "{byte:#04x} at {position} of {len}");
                }
            }
        }
        for text in [
            "",
            "r\u{e9}sum\u{e9} \u{1f600} \u{7f}",
            "tab\there",
            "q\"\\\"",
            "https://example.com/a?b=c",
        ] {
            let mut out = Vec::new();
            string(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
        let mut out = Vec::new();
        optional_string(&mut out, None);
        optional_string(&mut out, Some("x"));
        assert_eq!(out, b"null\"x\"");
    }

    #[test]
    fn escaped_json_is_header_text_and_means_the_same() {
        let value = serde_json::json!({"name": "é \u{7f} 😀 \"q\" \u{1}", "n": 1});
        let json = value.to_string();
        let is_header_text = |text: &str| crate::net::header_text::Charset::Ascii.admits(text.as_bytes());
        assert!(!is_header_text(&json));
        let escaped = ascii_escaped(&json);
        assert!(is_header_text(&escaped), "{escaped}");
        assert!(escaped.contains(r"\u00e9") && escaped.contains(r"\u007f") && escaped.contains(r"\ud83d\ude00"));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&escaped).unwrap(), value);
        assert_eq!(ascii_escaped(r#"{"a":"b"}"#), r#"{"a":"b"}"#);
        assert!(http::HeaderValue::from_str(&escaped).is_ok());
    }
}
