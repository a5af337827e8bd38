//! The Function URL and the resource-policy statements that let the public call it.
//!
//! Since October 2025 a public (`AuthType: NONE`) Function URL needs two statements in the function's
//! policy: `lambda:InvokeFunctionUrl` conditioned on `lambda:FunctionUrlAuthType = NONE`, and
//! `lambda:InvokeFunction` conditioned on `lambda:InvokedViaFunctionUrl = true`. Each has a fixed statement
//! id; the policy is read first and only missing ones are added, so a redeploy adds no duplicate. Switching
//! to `--auth iam` removes them (signed callers need an identity policy, not these).

use aws_sdk_lambda::types::{FunctionUrlAuthType, InvokeMode};

use super::args::Auth;
use super::aws::{Aws, Call, classify};
use super::error::DeployError;
use super::progress;

/// The statement ids, as the Lambda console names them.
pub(super) const URL_STATEMENT: &str = "FunctionURLAllowPublicAccess";
pub(super) const INVOKE_STATEMENT: &str = "FunctionURLInvokeAllowPublicAccess";

const GET: Call = Call {
    permission: "lambda:GetFunctionUrlConfig",
    purpose: "look up the Function URL",
};
const CREATE: Call = Call {
    permission: "lambda:CreateFunctionUrlConfig",
    purpose: "create the Function URL",
};
const UPDATE: Call = Call {
    permission: "lambda:UpdateFunctionUrlConfig",
    purpose: "update the Function URL",
};
const GET_POLICY: Call = Call {
    permission: "lambda:GetPolicy",
    purpose: "read the function's resource policy",
};
const ADD: Call = Call {
    permission: "lambda:AddPermission",
    purpose: "allow public calls to the Function URL",
};
const REMOVE: Call = Call {
    permission: "lambda:RemovePermission",
    purpose: "remove the public statements for --auth iam",
};

/// Creates or updates the Function URL; the URL.
pub(super) async fn ensure(aws: &Aws, function: &str, auth: Auth, buffered: bool) -> Result<String, DeployError> {
    let auth_type = FunctionUrlAuthType::from(auth.auth_type());
    let mode = if buffered {
        InvokeMode::Buffered
    } else {
        InvokeMode::ResponseStream
    };
    let url = match aws.lambda.get_function_url_config().function_name(function).send().await {
        Ok(found) if found.auth_type() == &auth_type && found.invoke_mode() == Some(&mode) => {
            progress::detail("the Function URL is unchanged");
            found.function_url().to_string()
        }
        Ok(_) => {
            let updated = aws
                .lambda
                .update_function_url_config()
                .function_name(function)
                .auth_type(auth_type)
                .invoke_mode(mode.clone())
                .send()
                .await
                .map_err(|error| classify(UPDATE, error))?;
            progress::detail(&format!("updated the Function URL: auth {}, {}", auth.auth_type(), mode.as_str()));
            updated.function_url().to_string()
        }
        Err(error) if error.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => {
            let created = aws
                .lambda
                .create_function_url_config()
                .function_name(function)
                .auth_type(auth_type)
                .invoke_mode(mode.clone())
                .send()
                .await
                .map_err(|error| classify(CREATE, error))?;
            progress::detail(&format!("created the Function URL: auth {}, {}", auth.auth_type(), mode.as_str()));
            created.function_url().to_string()
        }
        Err(error) => return Err(classify(GET, error)),
    };
    permissions(aws, function, auth).await?;
    Ok(url)
}

/// Makes the public statements present for `--auth none` and absent for `--auth iam`.
async fn permissions(aws: &Aws, function: &str, auth: Auth) -> Result<(), DeployError> {
    let present = statement_ids(aws, function).await?;
    for id in [URL_STATEMENT, INVOKE_STATEMENT] {
        let has = present.iter().any(|p| p == id);
        match auth {
            Auth::None if !has => {
                let request = aws.lambda.add_permission().function_name(function).statement_id(id).principal("*");
                let request = if id == URL_STATEMENT {
                    request
                        .action("lambda:InvokeFunctionUrl")
                        .function_url_auth_type(FunctionUrlAuthType::None)
                } else {
                    request.action("lambda:InvokeFunction").invoked_via_function_url(true)
                };
                request.send().await.map_err(|error| classify(ADD, error))?;
                progress::detail(&format!("added the policy statement {id}"));
            }
            Auth::Iam if has => {
                aws.lambda
                    .remove_permission()
                    .function_name(function)
                    .statement_id(id)
                    .send()
                    .await
                    .map_err(|error| classify(REMOVE, error))?;
                progress::detail(&format!("removed the public policy statement {id}"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The `Sid`s of the function's resource policy; none when it has no policy.
async fn statement_ids(aws: &Aws, function: &str) -> Result<Vec<String>, DeployError> {
    let policy = match aws.lambda.get_policy().function_name(function).send().await {
        Ok(found) => found.policy().unwrap_or_default().to_string(),
        Err(error) if error.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => {
            return Ok(Vec::new());
        }
        Err(error) => return Err(classify(GET_POLICY, error)),
    };
    // A policy that does not parse is treated as having none of ours; adding then fails loudly if they exist.
    let parsed: serde_json::Value = serde_json::from_str(&policy).unwrap_or_default();
    Ok(parsed["Statement"]
        .as_array()
        .map(|statements| statements.iter().filter_map(|s| s["Sid"].as_str().map(str::to_string)).collect())
        .unwrap_or_default())
}
