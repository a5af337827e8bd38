//! The command lines of `deploy` and `init`, parsed once into [`Options`] and validated fully: every value is
//! checked against what Lambda accepts before any file is read or any AWS call is made, and an unknown flag
//! is a usage error (exit 2) that lists the flags there are.

use std::ffi::OsString;
use std::path::PathBuf;

use super::error::DeployError;

/// Who may call the Function URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// Public: `AuthType: NONE`, with both resource-policy statements that allow it.
    None,
    /// Signed requests only: `AuthType: AWS_IAM`.
    Iam,
}

impl Auth {
    /// The Function URL's `AuthType`.
    pub(crate) fn auth_type(self) -> &'static str {
        match self {
            Auth::None => "NONE",
            Auth::Iam => "AWS_IAM",
        }
    }
}

/// The function's instruction set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// Lambda's name (`Architectures`, `CompatibleArchitectures`).
    pub(crate) fn lambda_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The name scripts/build-static.sh and Rust's target triples use.
    pub(crate) fn rust_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "aarch64",
        }
    }

    /// Go's GOARCH.
    pub(crate) fn go_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The manylinux platform tag pip installs wheels for.
    pub(crate) fn manylinux(self) -> &'static str {
        match self {
            Arch::X86_64 => "manylinux2014_x86_64",
            Arch::Arm64 => "manylinux2014_aarch64",
        }
    }

    /// This machine's architecture, when it is one Lambda runs.
    pub(crate) fn host() -> Option<Arch> {
        match std::env::consts::ARCH {
            "x86_64" => Some(Arch::X86_64),
            "aarch64" => Some(Arch::Arm64),
            _ => None,
        }
    }
}

/// Everything `deploy` and `init` were asked to do.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub dir: PathBuf,
    /// The function's name: `--name`, else the folder's name made valid.
    pub name: String,
    pub region: Option<String>,
    pub memory: i32,
    pub timeout: i32,
    pub buffered: bool,
    pub auth: Auth,
    pub env: Vec<(String, String)>,
    pub role: Option<String>,
    pub image: Option<String>,
    pub arch: Arch,
    pub adapter: Option<PathBuf>,
    /// The start command, after `--`; empty when none was given.
    pub command: Vec<String>,
    pub help: bool,
}

/// Which of the two commands is being parsed: `init` takes the app options only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Deploy,
    Init,
}

pub(crate) const DEPLOY_USAGE: &str = "\
lambda-adapter deploy [DIR] [OPTIONS] [-- START COMMAND...]
    Packages the app in DIR (default: .) as a zip function with the lambda-adapter layer, or deploys an image,
    and gives it a Function URL; prints the URL as the last line. Run it again to update in place.

    --name NAME        the function's name (default: the folder's name)
    --region REGION    the AWS region (default: AWS_REGION, or the profile's region)
    --memory MB        memory, 128 to 10240 (default 512)
    --timeout SECS     timeout, 1 to 900 (default 30)
    --buffered         buffered responses (default: streamed, RESPONSE_STREAM)
    --auth none|iam    the Function URL's auth: none (public, default) or iam (signed requests)
    --env KEY=VALUE    an environment variable for the app; repeat for more
    --role ARN         the execution role (default: create lambda-adapter-NAME)
    --arch x86_64|arm64  the function's architecture (default: this machine's)
    --image URI        deploy this image (pushed to ECR, with the adapter COPY'd in) instead of a zip
    --adapter PATH     the static adapter binary for the layer (default: build it from the source tree)
    -h, --help         print this help
";

pub(crate) const INIT_USAGE: &str = "\
lambda-adapter init [DIR] [OPTIONS] [-- START COMMAND...]
    Writes the deployment `deploy` would make as a SAM project in DIR (default: .): template.yaml, a Makefile
    that packages the app, and adapter-layer/Makefile that builds the adapter's layer from source.
    Then: sam build && sam deploy --guided

    --name NAME, --memory MB, --timeout SECS, --buffered, --auth none|iam, --env KEY=VALUE, --arch x86_64|arm64
                       as for deploy
    -h, --help         print this help
";

const DEPLOY_FLAGS: &str = "--name, --region, --memory, --timeout, --buffered, --auth, --env, --role, --arch, --image, \
                            --adapter, --help";
const INIT_FLAGS: &str = "--name, --memory, --timeout, --buffered, --auth, --env, --arch, --help";

/// Parses the arguments after `deploy` or `init`, those before `--` (see [`split_command`]).
pub(crate) fn parse(which: Which, args: Vec<OsString>) -> Result<Options, DeployError> {
    use lexopt::prelude::*;
    let (command_name, flags) = match which {
        Which::Deploy => ("deploy", DEPLOY_FLAGS),
        Which::Init => ("init", INIT_FLAGS),
    };
    let usage = |message: String| DeployError::Usage(format!("lambda-adapter {command_name}: {message}"));
    let mut parser = lexopt::Parser::from_args(args);
    let mut dir: Option<PathBuf> = None;
    let mut name = None;
    let mut options = Options {
        dir: PathBuf::from("."),
        name: String::new(),
        region: None,
        memory: 512,
        timeout: 30,
        buffered: false,
        auth: Auth::None,
        env: Vec::new(),
        role: None,
        image: None,
        arch: Arch::host().unwrap_or(Arch::X86_64),
        adapter: None,
        command: Vec::new(),
        help: false,
    };
    loop {
        // Owned, so that the parser can be asked for the flag's value.
        let arg = match parser.next() {
            Ok(Some(Long(name))) => Flag::Long(name.to_string()),
            Ok(Some(Short(letter))) => Flag::Short(letter),
            Ok(Some(Value(value))) => Flag::Value(value),
            Ok(None) => break,
            Err(error) => return Err(usage(format!("{error}; the options are {flags}"))),
        };
        let deploy_only = |flag: &str| -> Result<(), DeployError> {
            if which == Which::Init {
                return Err(usage(format!(
                    "{flag} is an option of deploy, not of init; init's options are {INIT_FLAGS}"
                )));
            }
            Ok(())
        };
        let mut value = |flag: &str| -> Result<String, DeployError> {
            let raw = parser.value().map_err(|_| usage(format!("{flag} needs a value")))?;
            raw.into_string().map_err(|raw| usage(format!("{flag}: {raw:?} is not UTF-8")))
        };
        match arg {
            Flag::Long(long) => match long.as_str() {
                "name" => name = Some(value("--name")?),
                "region" => {
                    deploy_only("--region")?;
                    options.region = Some(value("--region")?);
                }
                "memory" => {
                    let raw = value("--memory")?;
                    options.memory =
                        number(&raw, 128, 10240).ok_or_else(|| usage(format!("--memory {raw:?}: expected megabytes from 128 to 10240")))?;
                }
                "timeout" => {
                    let raw = value("--timeout")?;
                    options.timeout =
                        number(&raw, 1, 900).ok_or_else(|| usage(format!("--timeout {raw:?}: expected seconds from 1 to 900")))?;
                }
                "buffered" => options.buffered = true,
                "auth" => {
                    let raw = value("--auth")?;
                    options.auth = match raw.to_ascii_lowercase().as_str() {
                        "none" => Auth::None,
                        "iam" | "aws_iam" => Auth::Iam,
                        _ => return Err(usage(format!("--auth {raw:?}: expected none or iam"))),
                    };
                }
                "env" => {
                    let raw = value("--env")?;
                    options.env.push(env_pair(&raw).ok_or_else(|| {
                        usage(format!(
                            "--env {raw:?}: expected KEY=VALUE, KEY being letters, digits and _ and starting with a letter"
                        ))
                    })?);
                }
                "role" => {
                    deploy_only("--role")?;
                    let raw = value("--role")?;
                    if !raw.starts_with("arn:") || !raw.contains(":role/") {
                        return Err(usage(format!(
                            "--role {raw:?}: expected a role ARN, arn:aws:iam::ACCOUNT:role/NAME"
                        )));
                    }
                    options.role = Some(raw);
                }
                "arch" => {
                    let raw = value("--arch")?;
                    options.arch = match raw.as_str() {
                        "x86_64" | "amd64" => Arch::X86_64,
                        "arm64" | "aarch64" => Arch::Arm64,
                        _ => return Err(usage(format!("--arch {raw:?}: expected x86_64 or arm64"))),
                    };
                }
                "image" => {
                    deploy_only("--image")?;
                    options.image = Some(value("--image")?);
                }
                "adapter" => {
                    deploy_only("--adapter")?;
                    options.adapter = Some(PathBuf::from(value("--adapter")?));
                }
                "help" => options.help = true,
                other => return Err(usage(format!("unknown option `--{other}`; the options are {flags}"))),
            },
            Flag::Short('h') => options.help = true,
            Flag::Short(other) => return Err(usage(format!("unknown option `-{other}`; the options are {flags}"))),
            Flag::Value(path) if dir.is_none() => dir = Some(PathBuf::from(path)),
            Flag::Value(extra) => {
                return Err(usage(format!(
                    "unexpected argument {extra:?}: one DIR only; a start command goes after `--`"
                )));
            }
        }
    }
    options.dir = dir.unwrap_or_else(|| PathBuf::from("."));
    options.name = match name {
        Some(name) if valid_name(&name) => name,
        Some(name) => {
            return Err(usage(format!(
                "--name {name:?}: a function name is 1 to 64 letters, digits, - and _"
            )));
        }
        None => default_name(&options.dir),
    };
    Ok(options)
}

/// Splits the arguments at the first `--`: the start command comes after it, untouched by option parsing.
pub(crate) fn split_command(args: Vec<OsString>) -> Result<(Vec<OsString>, Vec<String>), DeployError> {
    let Some(at) = args.iter().position(|arg| arg == "--") else {
        return Ok((args, Vec::new()));
    };
    let mut before = args;
    let after = before.split_off(at);
    let command = after
        .into_iter()
        .skip(1)
        .map(|arg| {
            arg.into_string()
                .map_err(|arg| DeployError::Usage(format!("the start command's argument {arg:?} is not UTF-8")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((before, command))
}

/// One command-line item, owned.
enum Flag {
    Long(String),
    Short(char),
    Value(OsString),
}

fn number(raw: &str, min: i32, max: i32) -> Option<i32> {
    raw.parse::<i32>().ok().filter(|n| (min..=max).contains(n))
}

fn env_pair(raw: &str) -> Option<(String, String)> {
    let (key, value) = raw.split_once('=')?;
    let mut chars = key.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')).then(|| (key.to_string(), value.to_string()))
}

/// Lambda's rule for function names.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The folder's name, with what Lambda refuses in a name turned into `-`.
fn default_name(dir: &std::path::Path) -> String {
    let absolute = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let base = absolute.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let trimmed = cleaned.trim_matches('-');
    if trimmed.is_empty() {
        "web-app".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_deploy(args: &[&str]) -> Result<Options, DeployError> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let (args, command) = split_command(args)?;
        let mut options = parse(Which::Deploy, args)?;
        options.command = command;
        Ok(options)
    }

    #[test]
    fn defaults_and_every_flag() {
        let options = parse_deploy(&["app", "--memory", "1024", "--env", "A=b=c", "--auth=iam", "--", "node", "--x"]).unwrap();
        assert_eq!(options.dir, PathBuf::from("app"));
        assert_eq!(options.name, "app");
        assert_eq!(options.memory, 1024);
        assert_eq!(options.timeout, 30);
        assert_eq!(options.env, [("A".to_string(), "b=c".to_string())]);
        assert_eq!(options.auth, Auth::Iam);
        assert_eq!(options.command, ["node", "--x"]);
    }

    #[test]
    fn bad_values_name_the_flag_and_what_is_allowed() {
        for (args, expected) in [
            (&["--memory", "64"][..], "--memory \"64\": expected megabytes from 128 to 10240"),
            (&["--auth", "public"], "--auth \"public\": expected none or iam"),
            (&["--env", "1A=x"], "--env \"1A=x\": expected KEY=VALUE"),
            (&["--bogus"], "unknown option `--bogus`; the options are --name"),
            (&["--name", "a b"], "--name \"a b\": a function name"),
        ] {
            let error = parse_deploy(args).unwrap_err();
            assert_eq!(error.exit_code(), 2);
            assert!(error.to_string().contains(expected), "{args:?}: {error}");
        }
    }

    #[test]
    fn init_refuses_deploy_only_flags() {
        let error = parse(Which::Init, vec!["--region".into(), "x".into()]).unwrap_err();
        assert!(
            error.to_string().contains("--region is an option of deploy, not of init"),
            "{error}"
        );
    }

    #[test]
    fn folder_names_become_valid_function_names() {
        assert_eq!(default_name(std::path::Path::new("/tmp/my app.v2")), "my-app-v2");
    }
}
