//! JSON written straight into one buffer, field by field with literal keys: the documents and preludes the
//! adapter sends on every invocation. Building a `serde_json::Map` first (an insertion-ordered map that
//! hashes every key) and serialising it cost about as much as the rest of the encoding (callgrind).

use serde::Serialize;

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
}
