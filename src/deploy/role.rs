//! The function's execution role, made when `--role` is not given: `lambda-adapter-NAME`, trusted by
//! `lambda.amazonaws.com`, with `AWSLambdaBasicExecutionRole` (logs) attached. Reused when it exists, and
//! the policy attached again (attaching is idempotent), so a run stopped between the two finishes the job.

use super::aws::{Aws, Call, classify};
use super::error::DeployError;
use super::progress;

pub(super) const BASIC_EXECUTION: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

pub(super) const TRUST: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

const GET: Call = Call {
    permission: "iam:GetRole",
    purpose: "look up the function's execution role",
};
const CREATE: Call = Call {
    permission: "iam:CreateRole",
    purpose: "create the function's execution role",
};
const ATTACH: Call = Call {
    permission: "iam:AttachRolePolicy",
    purpose: "attach AWSLambdaBasicExecutionRole to the execution role",
};

/// The role, and whether this run created it (so that Lambda may not see it yet).
pub(super) struct Role {
    pub arn: String,
    pub created: bool,
}

/// The role's name for a function: at most 64 characters, as IAM allows.
pub(super) fn role_name(function: &str) -> String {
    format!("lambda-adapter-{function}").chars().take(64).collect()
}

/// Finds or creates the role for `function`, with the basic execution policy attached.
pub(super) async fn ensure(aws: &Aws, function: &str) -> Result<Role, DeployError> {
    let name = role_name(function);
    let role = match aws.iam.get_role().role_name(&name).send().await {
        Ok(found) => {
            progress::detail(&format!("role {name} exists"));
            Role {
                arn: found.role().map(|r| r.arn().to_string()).unwrap_or_default(),
                created: false,
            }
        }
        Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_entity_exception()) => {
            let created = aws
                .iam
                .create_role()
                .role_name(&name)
                .assume_role_policy_document(TRUST)
                .description("Execution role of a function deployed by lambda-adapter deploy")
                .send()
                .await
                .map_err(|error| classify(CREATE, error))?;
            progress::detail(&format!("created role {name}"));
            Role {
                arn: created.role().map(|r| r.arn().to_string()).unwrap_or_default(),
                created: true,
            }
        }
        Err(error) => return Err(classify(GET, error)),
    };
    aws.iam
        .attach_role_policy()
        .role_name(&name)
        .policy_arn(BASIC_EXECUTION)
        .send()
        .await
        .map_err(|error| classify(ATTACH, error))?;
    Ok(role)
}
