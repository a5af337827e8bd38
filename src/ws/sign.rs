//! SigV4 for `@connections` calls, through the `aws-sigv4` crate (smithy-rs, default features off).
//!
//! The one trap here is the path: the connection id is percent-encoded in the request path
//! (`/prod/@connections/R0oX%3D`), and SigV4's canonical URI encodes every segment once more
//! (`/prod/%40connections/R0oX%253D`). Several AWS SDKs once signed the single-encoded form and got 403s;
//! `aws-sigv4`'s default (`PercentEncodingMode::Double`) does what API Gateway checks, and the tests below hold
//! it to AWS's published vectors and to signatures computed by botocore, an independent signer.

use std::fmt;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningError, SigningSettings, sign as sigv4_sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http::{HeaderValue, Request, header};

/// The service name `@connections` is signed for.
pub(crate) const SERVICE: &str = "execute-api";

/// Signing failed, with the signer's own error where there is one.
#[derive(Debug)]
pub(crate) enum SignError {
    /// The request's URI has no host to sign.
    NoHost(http::Uri),
    /// The signing parameters are incomplete (region, name, time or identity).
    Params(v4::signing_params::BuildError),
    /// A header value is not visible ASCII, which SigV4 cannot canonicalise.
    HeaderNotAscii(http::header::ToStrError),
    /// The signer refused the request or failed to sign it.
    Signer(SigningError),
}

impl SignError {
    /// Why, without the "cannot sign the request" prefix: what a caller that names its own request prints.
    pub(crate) fn reason(&self) -> Reason<'_> {
        Reason(self)
    }
}

/// [`SignError::reason`]'s text.
pub(crate) struct Reason<'a>(&'a SignError);

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SignError::NoHost(uri) => write!(f, "`{uri}` has no host"),
            SignError::Params(e) => e.fmt(f),
            SignError::HeaderNotAscii(_) => f.write_str("a header value is not visible ASCII"),
            SignError::Signer(e) => e.fmt(f),
        }
    }
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot sign the request: {}", self.reason())
    }
}

impl std::error::Error for SignError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SignError::NoHost(_) => None,
            SignError::Params(e) => Some(e),
            SignError::HeaderNotAscii(e) => Some(e),
            SignError::Signer(e) => Some(e),
        }
    }
}

/// Signs `request` in place for `execute-api` in `region` at `time`: adds `Host`, `X-Amz-Date`,
/// `X-Amz-Security-Token` (with temporary credentials) and `Authorization`. Returns the signature.
///
/// Every header already on the request is signed, so add only the ones the receiver will see unchanged.
pub(crate) fn sign(request: &mut Request<Bytes>, credentials: &Credentials, region: &str, time: SystemTime) -> Result<String, SignError> {
    sign_for(request, credentials, region, SERVICE, time)
}

/// [`sign`] for any service name (the published test vectors use `service`).
pub(crate) fn sign_for(
    request: &mut Request<Bytes>,
    credentials: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
) -> Result<String, SignError> {
    let host = host_header(request.uri()).ok_or_else(|| SignError::NoHost(request.uri().clone()))?;
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(SignError::Params)?
        .into();
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .map(|(name, value)| value.to_str().map(|v| (name.as_str(), v)))
        .collect::<Result<_, _>>()
        .map_err(SignError::HeaderNotAscii)?;
    let uri = request.uri().to_string();
    let signable = SignableRequest::new(
        request.method().as_str(),
        uri,
        headers.into_iter(),
        SignableBody::Bytes(request.body()),
    )
    .map_err(SignError::Signer)?;
    let (instructions, signature) = sigv4_sign(signable, &params).map_err(SignError::Signer)?.into_parts();
    instructions.apply_to_request_http1x(request);
    request.headers_mut().insert(header::HOST, host);
    Ok(signature)
}

/// `host[:port]` as signed: default ports (443 for https, 80 for http) left out, as SigV4 signers do.
fn host_header(uri: &http::Uri) -> Option<HeaderValue> {
    let host = uri.host().filter(|h| !h.is_empty())?;
    let default_port = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    let text = match uri.port_u16() {
        Some(port) if Some(port) != default_port => format!("{host}:{port}"),
        _ => host.to_string(),
    };
    HeaderValue::from_str(&text).ok()
}

#[cfg(test)]
#[path = "sign_tests.rs"]
mod tests;
