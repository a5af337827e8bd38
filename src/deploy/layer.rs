//! The adapter's layer, `lambda-adapter`, published only when its content changed.
//!
//! The zip is deterministic (zip.rs), so its SHA-256 identifies the content; each version carries it in its
//! description, and a version whose description holds the same hash is reused instead of publishing another.
//! This needs only `lambda:ListLayerVersions`, and survives a layer version deleted by hand.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, LayerVersionContentInput};
use sha2::{Digest, Sha256};

use super::args::Arch;
use super::aws::{Aws, Call, classify};
use super::error::DeployError;
use super::progress;

/// The layer's name.
pub(super) const LAYER: &str = "lambda-adapter";

const LIST: Call = Call {
    permission: "lambda:ListLayerVersions",
    purpose: "find the adapter layer's versions",
};
const PUBLISH: Call = Call {
    permission: "lambda:PublishLayerVersion",
    purpose: "publish the adapter layer",
};

/// The hash a version's description carries.
pub(super) fn content_marker(zip: &[u8]) -> String {
    let digest = Sha256::digest(zip);
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// The ARN of a layer version with exactly this content, published now if none has it.
pub(super) async fn ensure(aws: &Aws, zip: &[u8], arch: Arch) -> Result<String, DeployError> {
    let marker = content_marker(zip);
    let mut marker_page = None::<String>;
    loop {
        let mut request = aws.lambda.list_layer_versions().layer_name(LAYER);
        if let Some(page) = &marker_page {
            request = request.marker(page);
        }
        let listed = match request.send().await {
            Ok(listed) => listed,
            Err(error) if error.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => break,
            Err(error) => return Err(classify(LIST, error)),
        };
        for version in listed.layer_versions() {
            if version.description().is_some_and(|d| d.contains(&marker)) {
                if let Some(arn) = version.layer_version_arn() {
                    progress::detail(&format!("{LAYER}:{} already has this adapter ({marker:.19}…)", version.version()));
                    return Ok(arn.to_string());
                }
            }
        }
        match listed.next_marker() {
            Some(next) if !next.is_empty() => marker_page = Some(next.to_string()),
            _ => break,
        }
    }
    let description = format!(
        "lambda-adapter {} ({}), content {marker}",
        env!("CARGO_PKG_VERSION"),
        arch.lambda_name()
    );
    let publish = aws
        .lambda
        .publish_layer_version()
        .layer_name(LAYER)
        .description(description)
        .compatible_architectures(Architecture::from(arch.lambda_name()))
        .content(LayerVersionContentInput::builder().zip_file(Blob::new(zip.to_vec())).build())
        .send();
    let published = progress::uploading("the adapter layer", zip.len(), publish)
        .await
        .map_err(|error| classify(PUBLISH, error))?;
    let arn = published.layer_version_arn().unwrap_or_default().to_string();
    progress::detail(&format!("published {LAYER}:{}", published.version()));
    Ok(arn)
}
