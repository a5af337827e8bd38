//! The app's response head as event sources want it: header values grouped by name in order, and the
//! `Set-Cookie` values apart (payload 2.0 carries them in `cookies`).
//!
//! Connection-level headers (`Transfer-Encoding`, `Connection`, `Keep-Alive`) describe the hop from the app
//! to the adapter and are dropped: an event source that sees `Transfer-Encoding: chunked` on a buffered
//! body breaks the client's response.

use http::{HeaderMap, header};
use serde_json::{Map, Value};

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
        for name in headers.keys() {
            if crate::net::headers::is_hop_by_hop(name.as_str()) {
                continue;
            }
            let values: Vec<String> = headers
                .get_all(name)
                .iter()
                .map(|v| crate::net::headers::value_text(v.as_bytes()))
                .collect();
            if name == header::SET_COOKIE {
                meta.cookies = values;
            } else {
                meta.headers.push((name.as_str().to_string(), values));
            }
        }
        meta
    }

    /// `{"name": "v1,v2"}`, repeated values joined with `,` (payload 2.0, streaming prelude).
    pub(crate) fn joined_headers(&self) -> Map<String, Value> {
        self.headers
            .iter()
            .map(|(name, values)| (name.clone(), Value::String(values.join(","))))
            .collect()
    }

    /// `{"name": ["v1", "v2"]}`, with `set-cookie` among them when `with_cookies`.
    pub fn multi_value_headers(&self, with_cookies: bool) -> Map<String, Value> {
        let mut map: Map<String, Value> = self
            .headers
            .iter()
            .map(|(name, values)| (name.clone(), Value::from(values.clone())))
            .collect();
        if with_cookies && !self.cookies.is_empty() {
            map.insert("set-cookie".into(), Value::from(self.cookies.clone()));
        }
        map
    }

    /// The `Set-Cookie` values as a JSON array.
    pub(crate) fn cookies_json(&self) -> Value {
        Value::from(self.cookies.clone())
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
        assert_eq!(Value::Object(meta.joined_headers()), serde_json::json!({"x-a": "1,2"}));
        assert_eq!(
            Value::Object(meta.multi_value_headers(true)),
            serde_json::json!({"x-a": ["1", "2"], "set-cookie": ["a=1", "b=2; Path=/"]})
        );
    }
}
