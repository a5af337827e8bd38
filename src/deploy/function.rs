//! The function itself: created, or updated in place (code first, then configuration), so that a second
//! `deploy` changes what changed and keeps everything that points at the function (its URL, its policy).
//!
//! Lambda applies updates asynchronously: after each change it reports `State: Pending` or
//! `LastUpdateStatus: InProgress`, and refuses another change until it is done, so every change is followed by
//! a bounded wait. A role created moments ago may not be assumable by Lambda yet (IAM propagates in seconds,
//! sometimes tens of them): creating the function is then retried, a bounded number of times, instead of failing.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, Environment, FunctionCode, LastUpdateStatus, PackageType, Runtime, State};

use super::args::Arch;
use super::aws::{Aws, Call, classify};
use super::error::DeployError;
use super::progress;

const GET: Call = Call {
    permission: "lambda:GetFunction",
    purpose: "look up the function",
};
const CREATE: Call = Call {
    permission: "lambda:CreateFunction",
    purpose: "create the function; it also takes iam:PassRole on the execution role",
};
const UPDATE_CODE: Call = Call {
    permission: "lambda:UpdateFunctionCode",
    purpose: "update the function's code",
};
const UPDATE_CONFIG: Call = Call {
    permission: "lambda:UpdateFunctionConfiguration",
    purpose: "update the function's configuration",
};

/// How many times creating the function is retried while a new role propagates, and how far apart.
const ROLE_RETRIES: u32 = 20;
const ROLE_RETRY_EVERY: Duration = Duration::from_secs(3);
/// How long a pending function or an update in progress is waited for.
const READY_WITHIN: Duration = Duration::from_secs(300);

/// The function's code.
pub(super) enum Code {
    /// A zip, with the runtime and handler it runs under and the layers it needs.
    Zip {
        zip: Vec<u8>,
        runtime: &'static str,
        handler: &'static str,
        layers: Vec<String>,
    },
    /// An image in ECR.
    Image(String),
}

/// Everything the function is set to.
pub(super) struct Spec {
    pub name: String,
    pub role: String,
    pub role_is_new: bool,
    pub code: Code,
    pub memory: i32,
    pub timeout: i32,
    pub env: BTreeMap<String, String>,
    pub arch: Arch,
}

impl Spec {
    fn package_type(&self) -> PackageType {
        match self.code {
            Code::Zip { .. } => PackageType::Zip,
            Code::Image(_) => PackageType::Image,
        }
    }

    fn environment(&self) -> Environment {
        Environment::builder()
            .set_variables(Some(self.env.clone().into_iter().collect()))
            .build()
    }
}

/// Creates or updates the function; its ARN.
pub(super) async fn ensure(aws: &Aws, spec: &Spec) -> Result<String, DeployError> {
    let existing = match aws.lambda.get_function().function_name(&spec.name).send().await {
        Ok(found) => found.configuration().cloned(),
        Err(error) if error.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => None,
        Err(error) => return Err(classify(GET, error)),
    };
    let Some(existing) = existing else {
        let arn = create(aws, spec).await?;
        wait_ready(aws, &spec.name).await?;
        return Ok(arn);
    };
    let existing_type = existing.package_type().cloned().unwrap_or(PackageType::Zip);
    if existing_type != spec.package_type() {
        return Err(DeployError::PackageTypeChange {
            name: spec.name.clone(),
            existing: if existing_type == PackageType::Image { "an image" } else { "a zip" },
            wanted: if spec.package_type() == PackageType::Image {
                "an image"
            } else {
                "a zip"
            },
        });
    }
    wait_ready(aws, &spec.name).await?;
    let update = aws
        .lambda
        .update_function_code()
        .function_name(&spec.name)
        .architectures(Architecture::from(spec.arch.lambda_name()));
    match &spec.code {
        Code::Zip { zip, .. } => {
            let call = update.zip_file(Blob::new(zip.clone())).send();
            progress::uploading("the function's code", zip.len(), call).await
        }
        Code::Image(uri) => update.image_uri(uri).send().await,
    }
    .map_err(|error| classify(UPDATE_CODE, error))?;
    wait_ready(aws, &spec.name).await?;
    let mut update = aws
        .lambda
        .update_function_configuration()
        .function_name(&spec.name)
        .role(&spec.role)
        .memory_size(spec.memory)
        .timeout(spec.timeout)
        .environment(spec.environment());
    update = match &spec.code {
        Code::Zip {
            runtime, handler, layers, ..
        } => update
            .runtime(Runtime::from(*runtime))
            .handler(*handler)
            .set_layers(Some(layers.clone())),
        Code::Image(_) => update,
    };
    update.send().await.map_err(|error| classify(UPDATE_CONFIG, error))?;
    wait_ready(aws, &spec.name).await?;
    progress::detail(&format!("updated {}", spec.name));
    Ok(existing.function_arn().unwrap_or_default().to_string())
}

async fn create(aws: &Aws, spec: &Spec) -> Result<String, DeployError> {
    let mut attempt = 0;
    loop {
        let mut request = aws
            .lambda
            .create_function()
            .function_name(&spec.name)
            .role(&spec.role)
            .package_type(spec.package_type())
            .architectures(Architecture::from(spec.arch.lambda_name()))
            .memory_size(spec.memory)
            .timeout(spec.timeout)
            .environment(spec.environment())
            .description("Deployed by lambda-adapter deploy");
        let size = match &spec.code {
            Code::Zip {
                zip,
                runtime,
                handler,
                layers,
            } => {
                request = request
                    .runtime(Runtime::from(*runtime))
                    .handler(*handler)
                    .set_layers(Some(layers.clone()))
                    .code(FunctionCode::builder().zip_file(Blob::new(zip.clone())).build());
                zip.len()
            }
            Code::Image(uri) => {
                request = request.code(FunctionCode::builder().image_uri(uri).build());
                0
            }
        };
        let result = if size > 0 {
            progress::uploading("the function's code", size, request.send()).await
        } else {
            request.send().await
        };
        match result {
            Ok(created) => {
                progress::detail(&format!("created {}", spec.name));
                return Ok(created.function_arn().unwrap_or_default().to_string());
            }
            // Lambda cannot assume a role IAM has not propagated yet, and says so with this code.
            Err(error)
                if spec.role_is_new
                    && attempt < ROLE_RETRIES
                    && error.as_service_error().is_some_and(|e| e.is_invalid_parameter_value_exception()) =>
            {
                attempt = attempt.saturating_add(1);
                progress::detail(&format!(
                    "the new role is not usable by Lambda yet (IAM propagates in seconds); retrying in {}s \
                     ({attempt}/{ROLE_RETRIES})",
                    ROLE_RETRY_EVERY.as_secs()
                ));
                tokio::time::sleep(ROLE_RETRY_EVERY).await;
            }
            Err(error) => return Err(classify(CREATE, error)),
        }
    }
}

/// Waits until the function is neither pending nor being updated.
async fn wait_ready(aws: &Aws, name: &str) -> Result<(), DeployError> {
    let started = std::time::Instant::now();
    loop {
        let config = aws
            .lambda
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
            .map_err(|error| classify(GET, error))?;
        let failed = |what: &str, reason: Option<&str>| DeployError::FunctionState {
            name: name.to_string(),
            detail: format!("{what}: {}", reason.unwrap_or("Lambda gave no reason")),
        };
        if config.state() == Some(&State::Failed) {
            return Err(failed("failed to start", config.state_reason()));
        }
        if config.last_update_status() == Some(&LastUpdateStatus::Failed) {
            return Err(failed("failed to update", config.last_update_status_reason()));
        }
        let busy = config.state() == Some(&State::Pending) || config.last_update_status() == Some(&LastUpdateStatus::InProgress);
        if !busy {
            return Ok(());
        }
        if started.elapsed() > READY_WITHIN {
            return Err(DeployError::FunctionState {
                name: name.to_string(),
                detail: format!("is still being updated after {}s; run deploy again later", READY_WITHIN.as_secs()),
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
