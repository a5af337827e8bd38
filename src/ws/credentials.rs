//! The function's AWS credentials, for signing `@connections` calls without an AWS SDK.
//!
//! Lambda gives the execution role's credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
//! `AWS_SESSION_TOKEN`; they are read on every call, so a test or a local stand-in can change them. Under
//! SnapStart (and in containers) they come instead from `AWS_CONTAINER_CREDENTIALS_FULL_URI`, asked with the
//! `Authorization` header from `AWS_CONTAINER_AUTHORIZATION_TOKEN` (or the file named by
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`); those are cached until five minutes before they expire.
//! `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (ECS) is understood too. Missing credentials are an error that
//! names what is missing, never a silent unsigned call.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use bytes::Bytes;
use http::{Request, header};
use http_body_util::BodyExt;
use serde::Deserialize;

use super::https::HttpsClient;
use crate::error::chain;

/// Reads an environment variable (a closure in tests).
pub type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where ECS's relative credentials URI is served.
const ECS_HOST: &str = "http://169.254.170.2";
/// Credentials are renewed this long before they expire.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);
/// How long to keep credentials whose `Expiration` is missing or unreadable.
const UNKNOWN_EXPIRY: Duration = Duration::from_secs(60);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// No credentials could be found; the message names what is missing or what failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialError(pub String);

impl fmt::Display for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CredentialError {}

/// Where the environment says credentials are.
#[derive(Debug, PartialEq)]
pub enum Located {
    /// In the environment itself.
    Env(Credentials),
    /// At a credentials endpoint: its URL and the `Authorization` value to send, if any.
    Endpoint { url: String, authorization: Option<String> },
}

/// Finds credentials as Lambda provides them.
pub fn locate(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Located, CredentialError> {
    let var = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(key), Some(secret)) => {
            return Ok(Located::Env(Credentials::new(
                key,
                secret,
                var("AWS_SESSION_TOKEN"),
                None,
                "environment",
            )));
        }
        (Some(_), None) => return Err(CredentialError("AWS_SECRET_ACCESS_KEY is not set (AWS_ACCESS_KEY_ID is)".into())),
        (None, Some(_)) => return Err(CredentialError("AWS_ACCESS_KEY_ID is not set (AWS_SECRET_ACCESS_KEY is)".into())),
        (None, None) => {}
    }
    let url = match (
        var("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
    ) {
        (Some(full), _) => full,
        (None, Some(relative)) => format!("{ECS_HOST}{relative}"),
        (None, None) => {
            return Err(CredentialError(
                "no AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set, nor AWS_CONTAINER_CREDENTIALS_FULL_URI".into(),
            ));
        }
    };
    let authorization = match (
        var("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
        var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
    ) {
        (Some(token), _) => Some(token),
        (None, Some(file)) => Some(
            std::fs::read_to_string(&file)
                .map_err(|e| CredentialError(format!("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {file}: {e}")))?
                .trim()
                .to_string(),
        ),
        (None, None) => None,
    };
    Ok(Located::Endpoint { url, authorization })
}

/// The credentials endpoint's answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EndpointAnswer {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
    expiration: Option<String>,
}

/// Reads a credentials endpoint's JSON; returns the credentials and when they expire (epoch seconds).
pub fn parse_endpoint_answer(body: &[u8]) -> Result<(Credentials, Option<u64>), CredentialError> {
    let answer: EndpointAnswer = serde_json::from_slice(body).map_err(|e| {
        CredentialError(format!(
            "the credentials endpoint's answer is not the expected JSON (AccessKeyId, SecretAccessKey, Token, Expiration): {e}"
        ))
    })?;
    let expires = answer.expiration.as_deref().and_then(crate::dates::parse_rfc3339);
    let credentials = Credentials::new(
        answer.access_key_id,
        answer.secret_access_key,
        answer.token.filter(|t| !t.is_empty()),
        expires.and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s))),
        "container endpoint",
    );
    Ok((credentials, expires))
}

/// Gives credentials for each call: from the environment every time, or from the endpoint's cache.
pub struct CredentialSource {
    lookup: Lookup,
    cached: Mutex<Option<(Credentials, SystemTime)>>,
}

impl CredentialSource {
    pub fn new(lookup: Lookup) -> Self {
        CredentialSource {
            lookup,
            cached: Mutex::new(None),
        }
    }

    /// The credentials to sign the next call with.
    pub async fn get(&self, client: &HttpsClient) -> Result<Credentials, CredentialError> {
        let (url, authorization) = match locate(&*self.lookup)? {
            Located::Env(credentials) => return Ok(credentials),
            Located::Endpoint { url, authorization } => (url, authorization),
        };
        if let Ok(cached) = self.cached.lock()
            && let Some((credentials, renew_at)) = cached.as_ref()
            && SystemTime::now() < *renew_at
        {
            return Ok(credentials.clone());
        }
        let (credentials, expires) = fetch(client, &url, authorization.as_deref()).await?;
        let renew_at = match expires {
            Some(secs) => UNIX_EPOCH
                .checked_add(Duration::from_secs(secs))
                .and_then(|expiry| expiry.checked_sub(REFRESH_BEFORE))
                .unwrap_or(UNIX_EPOCH),
            None => {
                let now = SystemTime::now();
                now.checked_add(UNKNOWN_EXPIRY).unwrap_or(now)
            }
        };
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((credentials.clone(), renew_at));
        }
        Ok(credentials)
    }
}

async fn fetch(client: &HttpsClient, url: &str, authorization: Option<&str>) -> Result<(Credentials, Option<u64>), CredentialError> {
    let fail = |what: String| {
        CredentialError(format!(
            "the credentials endpoint AWS_CONTAINER_CREDENTIALS_FULL_URI ({url}) {what}"
        ))
    };
    let mut builder = Request::get(url);
    if let Some(token) = authorization {
        builder = builder.header(header::AUTHORIZATION, token);
    }
    let request = builder.body(Bytes::new()).map_err(|e| fail(format!("is not a usable URL: {e}")))?;
    let response = tokio::time::timeout(FETCH_TIMEOUT, client.request(request.map(http_body_util::Full::new)))
        .await
        .map_err(|_| fail(format!("did not answer within {FETCH_TIMEOUT:?}")))?
        .map_err(|e| fail(format!("failed: {}", chain(&e))))?;
    let status = response.status();
    let body = tokio::time::timeout(FETCH_TIMEOUT, response.into_body().collect())
        .await
        .map_err(|_| fail("stalled while sending its answer".into()))?
        .map_err(|e| fail(format!("failed while sending its answer: {e}")))?
        .to_bytes();
    if !status.is_success() {
        let excerpt: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        return Err(fail(format!("answered {status}: {excerpt}")));
    }
    parse_endpoint_answer(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locate_with(vars: &[(&str, &str)]) -> Result<Located, CredentialError> {
        locate(&crate::config::lookup(vars))
    }

    #[test]
    fn environment_first() {
        let found = locate_with(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds"),
        ])
        .unwrap();
        let Located::Env(credentials) = found else { panic!("{found:?}") };
        assert_eq!(credentials.access_key_id(), "AKID");
        assert_eq!(credentials.session_token(), Some("token"));
    }

    #[test]
    fn container_endpoint_as_snapstart_sets_it() {
        assert_eq!(
            locate_with(&[
                ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9001/2021-04-23/credentials"),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok"),
            ])
            .unwrap(),
            Located::Endpoint {
                url: "http://127.0.0.1:9001/2021-04-23/credentials".into(),
                authorization: Some("tok".into())
            }
        );
        assert_eq!(
            locate_with(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x")]).unwrap(),
            Located::Endpoint {
                url: "http://169.254.170.2/v2/credentials/x".into(),
                authorization: None
            }
        );
    }

    #[test]
    fn missing_credentials_name_what_is_missing() {
        let err = locate_with(&[]).unwrap_err();
        assert!(
            err.0.contains("AWS_ACCESS_KEY_ID") && err.0.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
            "{err}"
        );
        let err = locate_with(&[("AWS_ACCESS_KEY_ID", "AKID")]).unwrap_err();
        assert_eq!(err.0, "AWS_SECRET_ACCESS_KEY is not set (AWS_ACCESS_KEY_ID is)");
        let err = locate_with(&[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/"),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/token"),
        ])
        .unwrap_err();
        assert!(err.0.contains("/nonexistent/token"), "{err}");
    }

    #[test]
    fn endpoint_answer() {
        let body = br#"{"AccessKeyId":"ASIA1","SecretAccessKey":"s","Token":"t","Expiration":"2024-03-16T06:46:22Z"}"#;
        let (credentials, expires) = parse_endpoint_answer(body).unwrap();
        assert_eq!((credentials.access_key_id(), credentials.session_token()), ("ASIA1", Some("t")));
        assert_eq!(expires, Some(1_710_571_582));
        let err = parse_endpoint_answer(b"{}").unwrap_err();
        assert!(err.0.contains("AccessKeyId"), "{err}");
    }
}
