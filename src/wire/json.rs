//! JSON written straight into one buffer, field by field with literal keys: the documents and preludes the
//! adapter sends on every invocation. Building a `serde_json::Map` first (an insertion-ordered map that
//! hashes every key) and serialising it cost about as much as the rest of the encoding (callgrind).

use serde::Serialize;
use std::fmt::Write;

/// Appends `value` as JSON (strings escaped, `None` as `null`). Writing to a `Vec` cannot fail, and the
/// values written here (strings, numbers, options and lists of them) all serialise.
pub(crate) fn value(out: &mut Vec<u8>, value: &(impl Serialize + ?Sized)) {
    let _ = serde_json::to_writer(out, value);
}

/// Appends repeated header values as one JSON string, joined with `,` (payload 2.0's `headers`).
pub(crate) fn joined(out: &mut Vec<u8>, values: &[String]) {
    match values {
        [one] => value(out, one),
        many => value(out, &many.join(",")),
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
        value(self.out, name);
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
