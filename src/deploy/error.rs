//! What can stop `deploy` or `init`, each with a message a user can act on: it names the flag, the value,
//! the file or the AWS permission, and says what to do. Decisions are taken on these variants and on AWS's
//! error codes, never on message text.

use std::fmt;
use std::path::PathBuf;

/// One failure of `deploy` or `init`. A usage error exits 2; everything else exits 1.
#[derive(Debug)]
pub(crate) enum DeployError {
    /// A command-line problem: the message, and the list of valid flags is printed after it.
    Usage(String),
    /// The folder holds nothing `deploy` knows how to package, and no start command was given.
    UnknownApp { dir: PathBuf, looked_for: &'static [&'static str] },
    /// A detected app needs a start command that was not given and cannot be guessed.
    NoStartCommand {
        dir: PathBuf,
        kind: &'static str,
        found: String,
        example: &'static str,
    },
    /// A file or folder could not be read or written.
    Io {
        what: String,
        path: PathBuf,
        error: std::io::Error,
    },
    /// A local tool (go, pip, npm) is missing.
    ToolMissing { tool: &'static str, need: &'static str },
    /// A local tool ran and failed: its output, as it printed it.
    ToolFailed { what: String, output: String },
    /// No static adapter binary for the requested architecture.
    AdapterMissing { arch: &'static str, how: String },
    /// `--adapter PATH` (or the source tree's build) is not a binary that may be shipped.
    AdapterUnfit { path: PathBuf, why: String },
    /// The function's zip is larger than a direct upload allows.
    TooLarge { what: &'static str, bytes: usize, limit: usize },
    /// No AWS credentials in the standard chain.
    NoCredentials { detail: String },
    /// No region from `--region`, the environment or the profile.
    NoRegion,
    /// AWS refused a call for want of a permission.
    AccessDenied {
        permission: &'static str,
        purpose: &'static str,
        message: String,
    },
    /// AWS did not accept the credentials it was given.
    BadCredentials { code: String, message: String },
    /// AWS could not be reached at all.
    Unreachable { purpose: &'static str, detail: String },
    /// Any other answer from AWS: the call, its code and message.
    Aws {
        permission: &'static str,
        purpose: &'static str,
        code: String,
        message: String,
    },
    /// `init` would replace a file it did not write.
    WouldOverwrite { path: PathBuf },
    /// The function exists as the other package type (zip versus image), which Lambda cannot change.
    PackageTypeChange {
        name: String,
        existing: &'static str,
        wanted: &'static str,
    },
    /// Lambda reported the function as failed, or it stayed busy past our bound.
    FunctionState { name: String, detail: String },
}

impl DeployError {
    /// The process's exit status for this error.
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            DeployError::Usage(_) => 2,
            _ => 1,
        }
    }

    pub(crate) fn io(what: impl Into<String>, path: impl Into<PathBuf>, error: std::io::Error) -> DeployError {
        DeployError::Io {
            what: what.into(),
            path: path.into(),
            error,
        }
    }
}

impl fmt::Display for DeployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeployError::Usage(message) => write!(f, "{message}"),
            DeployError::UnknownApp { dir, looked_for } => write!(
                f,
                "cannot tell what app {} holds: looked for {}, and found none. Name the start command after `--` \
                 (`lambda-adapter deploy -- ./server --port 8080`), or deploy an image with --image URI",
                dir.display(),
                looked_for.join(", ")
            ),
            DeployError::NoStartCommand { dir, kind, found, example } => write!(
                f,
                "{} is a {kind} app ({found}) but has no start command: give one after `--`, for example \
                 `lambda-adapter deploy -- {example}` (the command that starts your web server on $PORT)",
                dir.display()
            ),
            DeployError::Io { what, path, error } => write!(f, "cannot {what} {}: {error}", path.display()),
            DeployError::ToolMissing { tool, need } => write!(f, "`{tool}` is not on PATH: it is needed {need}"),
            DeployError::ToolFailed { what, output } => write!(f, "{what} failed:\n{}", output.trim_end()),
            DeployError::AdapterMissing { arch, how } => {
                write!(f, "no static lambda-adapter build for {arch}: {how}")
            }
            DeployError::AdapterUnfit { path, why } => write!(
                f,
                "{} cannot be shipped as the adapter: {why}. Build the static one with scripts/build-static.sh and \
                 pass its path with --adapter",
                path.display()
            ),
            DeployError::TooLarge { what, bytes, limit } => write!(
                f,
                "the {what} zip is {:.1} MB, over the {:.0} MB Lambda accepts in a direct upload: leave files out \
                 of the folder, or build an image and deploy it with --image URI",
                *bytes as f64 / 1e6,
                *limit as f64 / 1e6
            ),
            DeployError::NoCredentials { detail } => write!(
                f,
                "no AWS credentials found ({detail}). Configure them with `aws configure` (access keys in \
                 ~/.aws/credentials), `aws configure sso` then `aws sso login`, or AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY in the environment; pick a profile with AWS_PROFILE"
            ),
            DeployError::NoRegion => write!(
                f,
                "no AWS region: pass --region REGION (e.g. --region us-east-1), set AWS_REGION, or set `region` in \
                 your profile in ~/.aws/config"
            ),
            DeployError::AccessDenied {
                permission,
                purpose,
                message,
            } => write!(
                f,
                "access denied: these credentials may not call {permission} (needed to {purpose}). Grant \
                 {permission} to your user or role, or use credentials that have it. AWS said: {message}"
            ),
            DeployError::BadCredentials { code, message } => write!(
                f,
                "AWS did not accept these credentials ({code}: {message}). Check AWS_PROFILE and your keys, or \
                 run `aws sso login` if your session expired"
            ),
            DeployError::Unreachable { purpose, detail } => write!(
                f,
                "cannot reach AWS to {purpose}: {detail}. Check the network, and AWS_ENDPOINT_URL if you set it"
            ),
            DeployError::Aws {
                permission,
                purpose,
                code,
                message,
            } => {
                write!(f, "AWS refused {permission} (to {purpose}): {code}: {message}")
            }
            DeployError::PackageTypeChange { name, existing, wanted } => write!(
                f,
                "the function {name} exists as {existing} function and Lambda cannot turn it into {wanted} \
                 function: pick another --name, or delete the function first (aws lambda delete-function \
                 --function-name {name})"
            ),
            DeployError::WouldOverwrite { path } => write!(
                f,
                "{} exists and was not written by init: move it away (or merge by hand) and run init again",
                path.display()
            ),
            DeployError::FunctionState { name, detail } => write!(f, "the function {name} {detail}"),
        }
    }
}

impl std::error::Error for DeployError {}
