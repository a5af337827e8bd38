//! The `lambda-adapter` binary: the adapter itself (as Lambda starts it from `/opt/extensions`, with no
//! arguments), or `lambda-adapter dev -- <app command>` to run the whole path locally.
//!
//! Lambda starts an extension with no arguments, so no arguments runs the adapter; anything else must be a
//! command or option this binary knows, or it exits with status 2 and the list of valid ones, rather than
//! silently running the adapter (which would then fail for want of a Runtime API).

// Nothing from outside (events, settings, app responses, AWS answers) may panic the process or wrap around:
// no unwrap/expect and no unchecked arithmetic outside tests; a reasoned exception is marked at its site.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::arithmetic_side_effects))]

use std::ffi::OsString;

use lambda_adapter::dev::GUARD_COMMAND;

/// What the command line asks for.
enum Command {
    Adapter,
    Dev,
    Help,
    Version,
    Guard,
    /// `deploy` or `init`: the `deploy` feature's commands (a usage error in builds without it).
    Deploy(DeployCommand),
    /// A usage error: the message, for exit status 2.
    Unknown(String),
}

fn command(args: &[OsString]) -> Command {
    // An argument that is not UTF-8 is shown with U+FFFD, so it matches nothing here and is reported.
    let first = args.first().map(|arg| arg.to_string_lossy());
    match first.as_deref() {
        None => Command::Adapter,
        Some("dev") => Command::Dev,
        Some("deploy") => Command::Deploy(DeployCommand::Deploy),
        Some("init") => Command::Deploy(DeployCommand::Init),
        Some("--help" | "-h" | "help") => Command::Help,
        Some("--version" | "-V") => Command::Version,
        Some(GUARD_COMMAND) => Command::Guard,
        Some(option) if option.starts_with('-') => Command::Unknown(format!(
            "lambda-adapter: unknown option `{option}`; the options are --help (-h) and --version (-V), and the commands \
             are dev, deploy, init and help.\nWith no arguments, lambda-adapter runs as a Lambda extension (as Lambda starts it)."
        )),
        Some(other) => Command::Unknown(format!(
            "lambda-adapter: unknown command `{other}`; the commands are dev (run an app behind a local Lambda \
             emulator), deploy (put an app on a Function URL), init (write it as a SAM project) and help, and the options are --help (-h) and --version (-V).\nWith no arguments, \
             lambda-adapter runs as a Lambda extension (as Lambda starts it)."
        )),
    }
}

/// The benchmark's counting allocator (feature `count-allocations`; never in a shipped build).
#[cfg(all(feature = "count-allocations", unix))]
#[global_allocator]
static ALLOCATOR: lambda_adapter::alloc_count::Counting = lambda_adapter::alloc_count::Counting;

fn main() {
    #[cfg(all(feature = "count-allocations", unix))]
    lambda_adapter::alloc_count::share_from_env();
    // `args_os`: `args` panics on an argument that is not UTF-8; `dev` reports one as a usage error.
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let dev = match command(&args) {
        Command::Adapter => false,
        Command::Dev => true,
        Command::Help => {
            print!("{}", help());
            return;
        }
        Command::Version => {
            println!("lambda-adapter {}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Command::Guard => {
            // Process group numbers from `dev`; anything else the guardian ignores.
            let groups: Vec<String> = args.iter().skip(1).map(|arg| arg.to_string_lossy().into_owned()).collect();
            std::process::exit(lambda_adapter::dev::guard_main(&groups))
        }
        Command::Deploy(which) => std::process::exit(deploy(which, args.get(1..).unwrap_or_default().to_vec())),
        Command::Unknown(message) => {
            eprintln!("{message}\nRun `lambda-adapter --help` for the usage and every setting.");
            std::process::exit(2);
        }
    };
    // The log's own settings are read first, as bytes: an invalid one fails init (`dev`: exits 2) once the
    // log is up to say so.
    let env = lambda_adapter::config::environment::ProcessEnv::new();
    let log_setting = lambda_adapter::logging::init(|name| env.get(name)).and(env.check());
    if dev && let Err(error) = &log_setting {
        eprintln!("lambda-adapter dev: {error}");
        std::process::exit(2);
    }
    // The adapter serves one invocation at a time and starts fastest on one thread; `dev` runs a server, an
    // emulator and two children, and uses every core.
    let built = if dev || cfg!(feature = "multi-thread-runtime") {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    };
    let runtime = match built {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("lambda-adapter: cannot start the async runtime: {error}");
            std::process::exit(1);
        }
    };
    let code = if dev {
        runtime.block_on(lambda_adapter::dev::main(args.get(1..).unwrap_or_default().to_vec()))
    } else {
        runtime.block_on(lambda_adapter::lifecycle::run(log_setting))
    };
    // Exit without waiting for tasks still blocked on sockets (the front door, the emulator).
    std::process::exit(code);
}

/// Which of the `deploy` feature's commands.
#[derive(Clone, Copy)]
enum DeployCommand {
    Deploy,
    Init,
}

/// Runs `deploy` or `init`; the exit status.
#[cfg(feature = "deploy")]
fn deploy(which: DeployCommand, args: Vec<OsString>) -> i32 {
    use lambda_adapter::deploy::Which;
    let which = match which {
        DeployCommand::Deploy => Which::Deploy,
        DeployCommand::Init => Which::Init,
    };
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(lambda_adapter::deploy::main(which, args)),
        Err(error) => {
            eprintln!("lambda-adapter: cannot start the async runtime: {error}");
            1
        }
    }
}

/// Without the `deploy` feature (the adapter users ship): say how to get a build that has the command.
#[cfg(not(feature = "deploy"))]
fn deploy(which: DeployCommand, _args: Vec<OsString>) -> i32 {
    let name = match which {
        DeployCommand::Deploy => "deploy",
        DeployCommand::Init => "init",
    };
    eprintln!(
        "lambda-adapter: `{name}` is not in this build: it comes with the `deploy` feature, which the adapter shipped \
         to Lambda leaves out. Build it from lambda-adapter's source with `cargo install --path . --features deploy` \
         (or `cargo build --release --features deploy`)."
    );
    2
}

/// `--help`: the usage, then every setting with its default, from the settings table.
fn help() -> String {
    format!(
        "\
lambda-adapter {version}: run any HTTP app on AWS Lambda

USAGE:
    lambda-adapter                 run as a Lambda extension (copy to /opt/extensions/lambda-adapter);
                                   Lambda starts it with no arguments
    lambda-adapter dev -- CMD...   run CMD behind a local Lambda emulator and Function URL
                                   (`lambda-adapter dev --help` for its options), for example:
                                   {example}
    lambda-adapter deploy [DIR] [-- CMD...]
                                   package DIR's app, publish it with the adapter layer, and print its
                                   Function URL (`lambda-adapter deploy --help`; builds with the deploy feature)
    lambda-adapter init [DIR] [-- CMD...]
                                   write the same deployment as a SAM project in DIR
    lambda-adapter --help          print this help
    lambda-adapter --version       print the version

{settings}",
        version = env!("CARGO_PKG_VERSION"),
        example = lambda_adapter::dev::EXAMPLE,
        settings = lambda_adapter::config::table::help(),
    )
}
