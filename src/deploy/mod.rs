//! `lambda-adapter deploy` and `lambda-adapter init` (issue 23): from a folder to a public URL in one command,
//! or to a SAM project for those who keep infrastructure as code.
//!
//! Built only with the `deploy` feature, so the adapter that ships in the layer carries no AWS SDK. The steps,
//! in order, each one idempotent so that a run stopped anywhere (Ctrl-C between steps) is finished by the next:
//!
//! 1. parse and check the flags (args.rs), detect the app (app.rs), and check the region and credentials
//!    (aws.rs): every mistake a user can make locally is reported before any AWS call;
//! 2. build the function's zip (package.rs) and the layer's (adapter.rs, zip.rs);
//! 3. publish the layer unless a version with the same content exists (layer.rs);
//! 4. find or create the execution role (role.rs);
//! 5. create or update the function (function.rs);
//! 6. create or update the Function URL and its policy (url.rs).
//!
//! Steps go to stderr (progress.rs); the URL is the last line of stdout. `init` writes the same deployment as
//! template.yaml and Makefiles (sam.rs).

mod adapter;
mod app;
pub(crate) mod args;
mod aws;
mod error;
mod function;
mod layer;
mod package;
mod progress;
mod role;
mod sam;
mod url;
mod zip;

use std::collections::BTreeMap;
use std::ffi::OsString;

pub use args::Which;
pub(crate) use error::DeployError;

/// Runs `deploy` or `init` with the arguments after the command's name; the exit status.
pub async fn main(which: Which, args: Vec<OsString>) -> i32 {
    let name = match which {
        Which::Deploy => "deploy",
        Which::Init => "init",
    };
    let result = match parse(which, args) {
        Ok(options) if options.help => {
            print!(
                "{}",
                if which == Which::Deploy {
                    args::DEPLOY_USAGE
                } else {
                    args::INIT_USAGE
                }
            );
            Ok(())
        }
        Ok(options) => match which {
            Which::Deploy => deploy(options).await,
            Which::Init => sam::init(&options),
        },
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => 0,
        Err(error @ DeployError::Usage(_)) => {
            eprintln!("{error}\nRun `lambda-adapter {name} --help` for the usage.");
            error.exit_code()
        }
        Err(error) => {
            eprintln!("lambda-adapter {name}: {error}");
            error.exit_code()
        }
    }
}

fn parse(which: Which, args: Vec<OsString>) -> Result<args::Options, DeployError> {
    let (flags, command) = args::split_command(args)?;
    let mut options = args::parse(which, flags)?;
    options.command = command;
    Ok(options)
}

/// The function's environment: the adapter's settings, then every `--env` (which wins).
fn environment(options: &args::Options, kind: Option<app::Kind>) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("PORT".to_string(), "8080".to_string());
    if !options.buffered {
        env.insert("AWS_LWA_INVOKE_MODE".to_string(), "response_stream".to_string());
    }
    if kind.is_some_and(app::Kind::exec_wrapper) {
        env.insert("AWS_LAMBDA_EXEC_WRAPPER".to_string(), "/opt/bootstrap".to_string());
    }
    env.extend(options.env.iter().cloned());
    env
}

async fn deploy(options: args::Options) -> Result<(), DeployError> {
    // Everything that can be checked locally, before any AWS call.
    let app = match &options.image {
        Some(_) => None,
        None => Some(app::detect(&options.dir, &options.command)?),
    };
    let aws = aws::connect(options.region.as_deref()).await?;
    progress::step(&format!(
        "deploying {} to {} ({})",
        options.name,
        aws.region,
        options.arch.lambda_name()
    ));
    let adapter = match app {
        Some(_) => Some(adapter::locate(options.adapter.as_deref(), options.arch)?),
        None => None,
    };

    let code = match (&app, &adapter, &options.image) {
        (Some(app), Some(adapter), _) => {
            progress::step(&format!(
                "packaging a {} app ({}): {}, handler {}",
                app.kind.label(),
                app.found,
                app.kind.runtime(),
                app.kind.handler()
            ));
            let zip = package::function_zip(app, &options.dir, options.arch)?;
            progress::detail(&format!("function zip: {:.1} MB", zip.len() as f64 / 1e6));
            progress::step(&format!("adapter layer {} from {}", layer::LAYER, adapter.display()));
            let layer_zip = adapter::layer_zip(adapter)?;
            let layer_arn = layer::ensure(&aws, &layer_zip, options.arch).await?;
            function::Code::Zip {
                zip,
                runtime: app.kind.runtime(),
                handler: app.kind.handler(),
                layers: vec![layer_arn],
            }
        }
        (_, _, Some(image)) => {
            progress::step(&format!("image {image} (the adapter is in the image: no zip, no layer)"));
            function::Code::Image(image.clone())
        }
        _ => return Err(DeployError::Usage("nothing to deploy".into())),
    };

    progress::step("execution role");
    let (role, role_is_new) = match &options.role {
        Some(arn) => {
            progress::detail(&format!("using {arn} (--role)"));
            (arn.clone(), false)
        }
        None => {
            let role = role::ensure(&aws, &options.name).await?;
            (role.arn, role.created)
        }
    };

    progress::step(&format!("function {}", options.name));
    let spec = function::Spec {
        name: options.name.clone(),
        role,
        role_is_new,
        code,
        memory: options.memory,
        timeout: options.timeout,
        env: environment(&options, app.as_ref().map(|a| a.kind)),
        arch: options.arch,
    };
    function::ensure(&aws, &spec).await?;

    progress::step("Function URL");
    let url = url::ensure(&aws, &options.name, options.auth, options.buffered).await?;
    progress::step(&format!(
        "done: {} answers at its Function URL ({}{})",
        options.name,
        if options.buffered { "buffered" } else { "streamed" },
        if options.auth == args::Auth::Iam {
            ", signed requests only"
        } else {
            ", public"
        }
    ));
    println!("{url}");
    Ok(())
}
