//! Why a function's answer does not fit its format: one variant per rule a source enforces, so the front door
//! and the tests can tell the cases apart without reading text, and the parser's own error (JSON, base64,
//! header syntax) stays reachable through [`std::error::Error::source`]. The messages are what `dev` prints
//! after "the function's response is not a valid … response:", so they name the field and the value.

use serde_json::Value;
use std::fmt;

/// The function's answer does not fit the format.
#[derive(Debug)]
pub enum DecodeError {
    /// A buffered response payload that is not JSON at all.
    PayloadNotJson(serde_json::Error),
    /// A streaming prelude that is not JSON at all.
    PreludeNotJson(serde_json::Error),
    /// A streaming prelude that is JSON but not an object.
    PreludeNotObject,
    /// A buffered document without `statusCode`, in a format that has no inferred form.
    NoStatusCode,
    /// `statusCode` is not a number from 100 to 599.
    Status(Value),
    /// A header map (`headers`, `multiValueHeaders`) that is not an object.
    NotObject { field: &'static str, value: Value },
    /// One value of `multiValueHeaders` that is not an array.
    MultiValueNotArray { name: String, value: Value },
    /// `cookies` that is not an array.
    CookiesNotArray(Value),
    /// A header value that is an array or an object.
    HeaderValueType { name: String, value: Value },
    /// A header name HTTP does not allow.
    HeaderName {
        name: String,
        source: http::header::InvalidHeaderName,
    },
    /// A header value with characters a header cannot carry.
    HeaderValue {
        name: String,
        source: http::header::InvalidHeaderValue,
    },
    /// `body` that is neither a string nor null.
    BodyNotString(Value),
    /// `body` marked `isBase64Encoded` that is not base64.
    BodyBase64(base64::DecodeError),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PayloadNotJson(e) => write!(f, "the response payload is not JSON: {e}"),
            Self::PreludeNotJson(e) => write!(f, "the streaming prelude is not JSON: {e}"),
            Self::PreludeNotObject => f.write_str("the streaming prelude is not a JSON object"),
            Self::NoStatusCode => f.write_str("the response document has no `statusCode`"),
            Self::Status(value) => write!(f, "`statusCode` must be a number from 100 to 599, not {value}"),
            Self::NotObject { field, value } => write!(f, "`{field}` must be an object, not {value}"),
            Self::MultiValueNotArray { name, value } => write!(f, "`multiValueHeaders.{name}` must be an array, not {value}"),
            Self::CookiesNotArray(value) => write!(f, "`cookies` must be an array of strings, not {value}"),
            Self::HeaderValueType { name, value } => write!(f, "header `{name}` must have a string value, not {value}"),
            Self::HeaderName { name, .. } => write!(f, "`{name}` is not a valid header name"),
            Self::HeaderValue { name, .. } => write!(f, "header `{name}` has characters a header cannot carry"),
            Self::BodyNotString(value) => write!(f, "`body` must be a string, not {value}"),
            Self::BodyBase64(e) => write!(f, "`body` is marked isBase64Encoded but is not valid base64: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::PayloadNotJson(e) | Self::PreludeNotJson(e) => Some(e),
            Self::HeaderName { source, .. } => Some(source),
            Self::HeaderValue { source, .. } => Some(source),
            Self::BodyBase64(e) => Some(e),
            Self::PreludeNotObject
            | Self::NoStatusCode
            | Self::Status(_)
            | Self::NotObject { .. }
            | Self::MultiValueNotArray { .. }
            | Self::CookiesNotArray(_)
            | Self::HeaderValueType { .. }
            | Self::BodyNotString(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Format, HeaderForm};
    use std::error::Error;

    #[test]
    fn messages_name_the_field_and_parser_errors_are_sources() {
        let not_json = crate::buffered::document::decode(Format::plain(HeaderForm::SingleAndMulti), b"{").unwrap_err();
        assert!(matches!(not_json, DecodeError::PayloadNotJson(_)));
        assert!(not_json.to_string().starts_with("the response payload is not JSON: "), "{not_json}");
        assert!(not_json.source().is_some());
        let bad_header = crate::stream::prelude::decode(br#"{"headers":{"a b":"x"}}"#).unwrap_err();
        assert_eq!(bad_header.to_string(), "`a b` is not a valid header name");
        assert!(bad_header.source().is_some());
        let status = crate::stream::prelude::decode(br#"{"statusCode":"200"}"#).unwrap_err();
        assert_eq!(status.to_string(), r#"`statusCode` must be a number from 100 to 599, not "200""#);
        assert!(status.source().is_none());
    }
}
