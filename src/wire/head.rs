//! A response head as a client gets it, read back from what a function sent (a buffered document or a
//! streaming prelude): its status, its headers from single-value maps, multi-value maps and cookie lists,
//! each refusal a [`DecodeError`] variant. Both modes' decoders read heads the same way.

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value};

use super::DecodeError;

/// Status and headers for the client.
#[derive(Debug)]
pub struct Head {
    pub status: StatusCode,
    pub headers: HeaderMap,
}

pub(crate) fn status(value: &Value) -> Result<StatusCode, DecodeError> {
    value
        .as_u64()
        .and_then(|code| u16::try_from(code).ok())
        .filter(|code| (100..=599).contains(code))
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| DecodeError::Status(value.clone()))
}

fn object<'a>(value: Option<&'a Value>, field: &'static str) -> Result<Option<&'a Map<String, Value>>, DecodeError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(DecodeError::NotObject {
            field,
            value: other.clone(),
        }),
    }
}

fn append(headers: &mut HeaderMap, name: &str, value: &Value) -> Result<(), DecodeError> {
    let text = match value {
        Value::Null => return Ok(()),
        Value::String(text) => text.clone(),
        Value::Number(_) | Value::Bool(_) => value.to_string(),
        other => {
            return Err(DecodeError::HeaderValueType {
                name: name.to_string(),
                value: other.clone(),
            });
        }
    };
    let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|source| DecodeError::HeaderName {
        name: name.to_string(),
        source,
    })?;
    if crate::net::headers::is_hop_by_hop(header_name.as_str()) {
        return Ok(());
    }
    let header_value = HeaderValue::from_str(&text).map_err(|source| DecodeError::HeaderValue {
        name: name.to_string(),
        source,
    })?;
    headers.append(header_name, header_value);
    Ok(())
}

pub(crate) fn add_single(headers: &mut HeaderMap, value: Option<&Value>) -> Result<(), DecodeError> {
    for (name, value) in object(value, "headers")?.into_iter().flatten() {
        append(headers, name, value)?;
    }
    Ok(())
}

pub(crate) fn add_multi(headers: &mut HeaderMap, value: Option<&Value>) -> Result<(), DecodeError> {
    for (name, values) in object(value, "multiValueHeaders")?.into_iter().flatten() {
        match values {
            Value::Array(values) => values.iter().try_for_each(|value| append(headers, name, value))?,
            Value::Null => {}
            other => {
                return Err(DecodeError::MultiValueNotArray {
                    name: name.clone(),
                    value: other.clone(),
                });
            }
        }
    }
    Ok(())
}

pub(crate) fn add_cookies(headers: &mut HeaderMap, value: Option<&Value>) -> Result<(), DecodeError> {
    match value {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(cookies)) => cookies.iter().try_for_each(|cookie| append(headers, "set-cookie", cookie)),
        Some(other) => Err(DecodeError::CookiesNotArray(other.clone())),
    }
}
