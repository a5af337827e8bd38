//! The app's response head as event sources want it: header values grouped by name in order, and the
//! `Set-Cookie` values apart (payload 2.0 carries them in `cookies`).
//!
//! Connection-level headers (`Transfer-Encoding`, `Connection`, `Keep-Alive`) describe the hop from the app
//! to the adapter and are dropped: an event source that sees `Transfer-Encoding: chunked` on a buffered
//! body breaks the client's response.

use http::{HeaderMap, header};

use crate::wire::json;

/// Status, headers and cookies of a response, ready to encode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseMeta {
    pub status: u16,
    /// Every header but `Set-Cookie`, names lower-case, values in order.
    pub headers: Vec<(String, Vec<String>)>,
    /// Every `Set-Cookie` value, in order.
    pub cookies: Vec<String>,
}

impl ResponseMeta {
    pub fn new(status: u16, headers: &HeaderMap) -> Self {
        let mut meta = ResponseMeta {
            status,
            ..Default::default()
        };
        // `HeaderMap` yields a name's values one after another: grouped in one pass, without looking each name
        // up again.
        let mut last: Option<&http::HeaderName> = None;
        for (name, value) in headers {
            if crate::net::headers::is_hop_by_hop(name.as_str()) {
                continue;
            }
            let text = crate::net::headers::value_text(value.as_bytes());
            let same = last == Some(name);
            last = Some(name);
            if name == header::SET_COOKIE {
                meta.cookies.push(text);
            } else if let (true, Some((_, values))) = (same, meta.headers.last_mut()) {
                values.push(text);
            } else {
                meta.headers.push((name.as_str().to_string(), vec![text]));
            }
        }
        meta
    }

    /// Appends `{"name": "v1,v2"}`, repeated values joined with `,` (payload 2.0, streaming prelude), and
    /// `set-cookie` last when `cookie` is given (the single-value formats' one cookie).
    pub(crate) fn write_joined_headers(&self, out: &mut Vec<u8>, cookie: Option<&String>) {
        json::object(out, |members| {
            for (name, values) in &self.headers {
                json::joined(members.key(name), values);
            }
            if let Some(cookie) = cookie {
                json::string(members.key("set-cookie"), cookie);
            }
        });
    }

    /// Appends `{"name": ["v1", "v2"]}`, with `set-cookie` last when `with_cookies` and there are any.
    pub(crate) fn write_multi_value_headers(&self, out: &mut Vec<u8>, with_cookies: bool) {
        json::object(out, |members| {
            for (name, values) in &self.headers {
                json::value(members.key(name), values);
            }
            if with_cookies && !self.cookies.is_empty() {
                json::value(members.key("set-cookie"), &self.cookies);
            }
        });
    }

    /// Appends `{"name": "value"}` for the headers that have exactly one value, with `set-cookie` when there
    /// is exactly one cookie (payload 1.0's `headers`, beside `multiValueHeaders`).
    pub(crate) fn write_single_value_headers(&self, out: &mut Vec<u8>) {
        json::object(out, |members| {
            for (name, values) in &self.headers {
                if let [value] = values.as_slice() {
                    json::string(members.key(name), value);
                }
            }
            if let [cookie] = self.cookies.as_slice() {
                json::string(members.key("set-cookie"), cookie);
            }
        });
    }
}

/// A response head with everything that varies between the formats: repeated headers and cookies.
#[cfg(test)]
pub(crate) fn varied() -> ResponseMeta {
    let mut headers = HeaderMap::new();
    headers.append("content-type", "image/png".parse().unwrap());
    headers.append("x-multi", "a".parse().unwrap());
    headers.append("x-multi", "b".parse().unwrap());
    headers.append("set-cookie", "a=1".parse().unwrap());
    headers.append("set-cookie", "b=2; Path=/".parse().unwrap());
    ResponseMeta::new(201, &headers)
}

/// Every value of `name`, in order.
#[cfg(test)]
pub(crate) fn values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers.get_all(name).iter().map(|v| v.to_str().unwrap().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_headers_and_separates_cookies() {
        let mut headers = HeaderMap::new();
        headers.append("x-a", "1".parse().unwrap());
        headers.append("set-cookie", "a=1".parse().unwrap());
        headers.append("x-a", "2".parse().unwrap());
        headers.append("set-cookie", "b=2; Path=/".parse().unwrap());
        headers.append("transfer-encoding", "chunked".parse().unwrap());
        let meta = ResponseMeta::new(200, &headers);
        assert_eq!(meta.cookies, ["a=1", "b=2; Path=/"]);
        let written = |write: &dyn Fn(&mut Vec<u8>)| {
            let mut out = Vec::new();
            write(&mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(written(&|out| meta.write_joined_headers(out, None)), r#"{"x-a":"1,2"}"#);
        assert_eq!(
            written(&|out| meta.write_joined_headers(out, meta.cookies.last())),
            r#"{"x-a":"1,2","set-cookie":"b=2; Path=/"}"#
        );
        assert_eq!(
            written(&|out| meta.write_multi_value_headers(out, true)),
            r#"{"x-a":["1","2"],"set-cookie":["a=1","b=2; Path=/"]}"#
        );
        assert_eq!(written(&|out| meta.write_multi_value_headers(out, false)), r#"{"x-a":["1","2"]}"#);
        assert_eq!(written(&|out| meta.write_single_value_headers(out)), r#"{}"#);
    }
}
