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
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde::Deserialize;

use super::https::HttpsClient;
use crate::error::chain;

/// Reads an environment variable (a closure in tests).
pub(crate) type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where ECS's relative credentials URI is served.
const ECS_HOST: &str = "http://169.254.170.2";
/// Credentials are renewed this long before they expire.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);
/// How long to keep credentials whose `Expiration` is missing or unreadable.
const UNKNOWN_EXPIRY: Duration = Duration::from_secs(60);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The endpoint SnapStart and containers name.
const FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
/// ECS's endpoint, a path on [`ECS_HOST`].
const RELATIVE_URI: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
/// A file holding the `Authorization` value for the endpoint.
const TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";

/// No credentials could be found: what is missing, or which variable pointed where and what failed there.
#[derive(Debug)]
pub(crate) enum CredentialError {
    /// One half of the key pair is set without the other.
    HalfKey { missing: &'static str, set: &'static str },
    /// Neither keys nor a credentials endpoint are in the environment.
    Missing,
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` names a file that cannot be read.
    TokenFile { path: String, source: std::io::Error },
    /// The endpoint answered, but not with the credentials JSON.
    Answer(serde_json::Error),
    /// The endpoint named by `variable` (at `url`) failed.
    Endpoint {
        variable: &'static str,
        url: String,
        failure: EndpointFailure,
    },
}

/// How a credentials endpoint failed.
#[derive(Debug)]
pub(crate) enum EndpointFailure {
    /// The URL cannot make a request.
    Url(http::Error),
    /// No answer within [`FETCH_TIMEOUT`].
    Timeout,
    /// The connection or the request failed.
    Request(hyper_util::client::legacy::Error),
    /// The answer's body did not finish within [`FETCH_TIMEOUT`].
    Stalled,
    /// The answer's body failed.
    Body(hyper::Error),
    /// An answer that is not a success; `excerpt` is the start of its body.
    Status { status: StatusCode, excerpt: String },
}

impl fmt::Display for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HalfKey { missing, set } => write!(f, "{missing} is not set ({set} is)"),
            Self::Missing => f.write_str(
                "no AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set, nor AWS_CONTAINER_CREDENTIALS_FULL_URI",
            ),
            Self::TokenFile { path, source } => write!(f, "cannot read {TOKEN_FILE} {path}: {source}"),
            Self::Answer(e) => write!(
                f,
                "the credentials endpoint's answer is not the expected JSON (AccessKeyId, SecretAccessKey, Token, Expiration): {e}"
            ),
            Self::Endpoint { variable, url, failure } => write!(f, "the credentials endpoint {variable} ({url}) {failure}"),
        }
    }
}

impl fmt::Display for EndpointFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(e) => write!(f, "is not a usable URL: {e}"),
            Self::Timeout => write!(f, "did not answer within {FETCH_TIMEOUT:?}"),
            Self::Request(e) => write!(f, "failed: {}", chain(e)),
            Self::Stalled => f.write_str("stalled while sending its answer"),
            Self::Body(e) => write!(f, "failed while sending its answer: {e}"),
            Self::Status { status, excerpt } => write!(f, "answered {status}: {excerpt}"),
        }
    }
}

impl std::error::Error for CredentialError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::TokenFile { source, .. } => Some(source),
            Self::Answer(e) => Some(e),
            Self::Endpoint { failure, .. } => match failure {
                EndpointFailure::Url(e) => Some(e),
                EndpointFailure::Request(e) => Some(e),
                EndpointFailure::Body(e) => Some(e),
                EndpointFailure::Timeout | EndpointFailure::Stalled | EndpointFailure::Status { .. } => None,
            },
            Self::HalfKey { .. } | Self::Missing => None,
        }
    }
}

/// Where the environment says credentials are.
#[derive(Debug, PartialEq)]
pub(crate) enum Located {
    /// In the environment itself.
    Env(Credentials),
    /// At a credentials endpoint: the variable that named it, its URL and the `Authorization` value to send,
    /// if any.
    Endpoint {
        variable: &'static str,
        url: String,
        authorization: Option<String>,
    },
}

/// Finds credentials as Lambda provides them.
pub(crate) fn locate(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Located, CredentialError> {
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
        (Some(_), None) => {
            return Err(CredentialError::HalfKey {
                missing: "AWS_SECRET_ACCESS_KEY",
                set: "AWS_ACCESS_KEY_ID",
            });
        }
        (None, Some(_)) => {
            return Err(CredentialError::HalfKey {
                missing: "AWS_ACCESS_KEY_ID",
                set: "AWS_SECRET_ACCESS_KEY",
            });
        }
        (None, None) => {}
    }
    let (variable, url) = match (var(FULL_URI), var(RELATIVE_URI)) {
        (Some(full), _) => (FULL_URI, full),
        (None, Some(relative)) => (RELATIVE_URI, format!("{ECS_HOST}{relative}")),
        (None, None) => return Err(CredentialError::Missing),
    };
    let authorization = match (var("AWS_CONTAINER_AUTHORIZATION_TOKEN"), var(TOKEN_FILE)) {
        (Some(token), _) => Some(token),
        (None, Some(file)) => Some(
            std::fs::read_to_string(&file)
                .map_err(|source| CredentialError::TokenFile { path: file, source })?
                .trim()
                .to_string(),
        ),
        (None, None) => None,
    };
    Ok(Located::Endpoint {
        variable,
        url,
        authorization,
    })
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
pub(crate) fn parse_endpoint_answer(body: &[u8]) -> Result<(Credentials, Option<u64>), CredentialError> {
    let answer: EndpointAnswer = serde_json::from_slice(body).map_err(CredentialError::Answer)?;
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
pub(crate) struct CredentialSource {
    lookup: Lookup,
    cached: Mutex<Option<(Credentials, SystemTime)>>,
}

impl CredentialSource {
    pub(crate) fn new(lookup: Lookup) -> Self {
        CredentialSource {
            lookup,
            cached: Mutex::new(None),
        }
    }

    /// The credentials to sign the next call with.
    pub(crate) async fn get(&self, client: &HttpsClient) -> Result<Credentials, CredentialError> {
        let (variable, url, authorization) = match locate(&*self.lookup)? {
            Located::Env(credentials) => return Ok(credentials),
            Located::Endpoint {
                variable,
                url,
                authorization,
            } => (variable, url, authorization),
        };
        if let Ok(cached) = self.cached.lock()
            && let Some((credentials, renew_at)) = cached.as_ref()
            && SystemTime::now() < *renew_at
        {
            return Ok(credentials.clone());
        }
        let (credentials, expires) = fetch(client, variable, &url, authorization.as_deref()).await?;
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

async fn fetch(
    client: &HttpsClient,
    variable: &'static str,
    url: &str,
    authorization: Option<&str>,
) -> Result<(Credentials, Option<u64>), CredentialError> {
    let fail = |failure| CredentialError::Endpoint {
        variable,
        url: url.to_string(),
        failure,
    };
    let mut builder = Request::get(url);
    if let Some(token) = authorization {
        builder = builder.header(header::AUTHORIZATION, token);
    }
    let request = builder.body(Bytes::new()).map_err(|e| fail(EndpointFailure::Url(e)))?;
    let response = tokio::time::timeout(FETCH_TIMEOUT, client.request(request.map(http_body_util::Full::new)))
        .await
        .map_err(|_| fail(EndpointFailure::Timeout))?
        .map_err(|e| fail(EndpointFailure::Request(e)))?;
    let status = response.status();
    let body = tokio::time::timeout(FETCH_TIMEOUT, response.into_body().collect())
        .await
        .map_err(|_| fail(EndpointFailure::Stalled))?
        .map_err(|e| fail(EndpointFailure::Body(e)))?
        .to_bytes();
    if !status.is_success() {
        let excerpt: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        return Err(fail(EndpointFailure::Status { status, excerpt }));
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
                variable: "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                url: "http://127.0.0.1:9001/2021-04-23/credentials".into(),
                authorization: Some("tok".into())
            }
        );
        assert_eq!(
            locate_with(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x")]).unwrap(),
            Located::Endpoint {
                variable: "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                url: "http://169.254.170.2/v2/credentials/x".into(),
                authorization: None
            }
        );
    }

    #[test]
    fn missing_credentials_name_what_is_missing() {
        let err = locate_with(&[]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("AWS_ACCESS_KEY_ID") && text.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
            "{err}"
        );
        let err = locate_with(&[("AWS_ACCESS_KEY_ID", "AKID")]).unwrap_err();
        assert_eq!(err.to_string(), "AWS_SECRET_ACCESS_KEY is not set (AWS_ACCESS_KEY_ID is)");
        let err = locate_with(&[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/"),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/token"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/token"), "{err}");
    }

    #[test]
    fn endpoint_failures_name_the_variable_that_was_used() {
        let err = CredentialError::Endpoint {
            variable: RELATIVE_URI,
            url: "http://169.254.170.2/v2/credentials/x".into(),
            failure: EndpointFailure::Timeout,
        };
        assert_eq!(
            err.to_string(),
            "the credentials endpoint AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2/v2/credentials/x) did not answer within 5s"
        );
    }

    #[test]
    fn endpoint_answer() {
        let body = br#"{"AccessKeyId":"ASIA1","SecretAccessKey":"s","Token":"t","Expiration":"2024-03-16T06:46:22Z"}"#;
        let (credentials, expires) = parse_endpoint_answer(body).unwrap();
        assert_eq!((credentials.access_key_id(), credentials.session_token()), ("ASIA1", Some("t")));
        assert_eq!(expires, Some(1_710_571_582));
        let err = parse_endpoint_answer(b"{}").unwrap_err();
        assert!(err.to_string().contains("AccessKeyId"), "{err}");
    }
}
