//! The AWS side's plumbing: the SDK's configuration from the standard chain, checked before any call, and
//! AWS's errors turned into [`DeployError`]s that name the permission a call needs.
//!
//! Credentials, region and profile come from aws-config's default chain (environment, ~/.aws/config and
//! credentials, SSO, web identity, container and instance roles), and `AWS_ENDPOINT_URL` /
//! `AWS_ENDPOINT_URL_<SERVICE>` redirect calls (the tests point them at moto's server). The HTTPS client is
//! hyper 1 with rustls on ring, the stack the adapter already builds. Errors are told apart by AWS's error
//! codes and the SDK's error kinds, never by their message text.

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_lambda::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::error::DeployError;

/// The clients `deploy` calls, for one region.
pub(super) struct Aws {
    pub lambda: aws_sdk_lambda::Client,
    pub iam: aws_sdk_iam::Client,
    pub region: String,
}

/// A call `deploy` makes: the IAM action it needs, and what it is for (both end up in error messages).
#[derive(Debug, Clone, Copy)]
pub(super) struct Call {
    pub permission: &'static str,
    pub purpose: &'static str,
}

/// Loads the configuration, and checks that it has a region and that credentials can be had, before any
/// call: these are the two mistakes every first deployment makes.
pub(super) async fn connect(region: Option<&str>) -> Result<Aws, DeployError> {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    let config = loader.load().await;
    let region = config.region().map(ToString::to_string).ok_or(DeployError::NoRegion)?;
    let Some(provider) = config.credentials_provider() else {
        return Err(DeployError::NoCredentials {
            detail: "no credential provider is configured".into(),
        });
    };
    if let Err(error) = provider.provide_credentials().await {
        return Err(DeployError::NoCredentials {
            detail: DisplayErrorContext(&error).to_string(),
        });
    }
    Ok(Aws {
        lambda: aws_sdk_lambda::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        region,
    })
}

/// Turns an SDK error into what the user can act on.
pub(super) fn classify<E>(call: Call, error: SdkError<E, HttpResponse>) -> DeployError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if matches!(error, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) {
        return DeployError::Unreachable {
            purpose: call.purpose,
            detail: DisplayErrorContext(&error).to_string(),
        };
    }
    let status = error.raw_response().map(|response| response.status().as_u16());
    let message = match error.message() {
        Some(message) => message.to_string(),
        None => DisplayErrorContext(&error).to_string(),
    };
    // An error body the SDK cannot read still has its HTTP status: 403 is a refusal, 401 a bad signature.
    let code = match (error.code(), status) {
        (Some(code), _) => code.to_string(),
        (None, Some(403)) => "AccessDenied".to_string(),
        (None, Some(401)) => "UnrecognizedClientException".to_string(),
        (None, _) => "unknown".to_string(),
    };
    match code.as_str() {
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => DeployError::AccessDenied {
            permission: call.permission,
            purpose: call.purpose,
            message,
        },
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch"
        | "InvalidSignatureException" => DeployError::BadCredentials { code, message },
        _ => DeployError::Aws {
            permission: call.permission,
            purpose: call.purpose,
            code,
            message,
        },
    }
}
