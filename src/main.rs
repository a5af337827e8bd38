//! The `lambda-adapter` binary: the adapter itself (as Lambda starts it from `/opt/extensions`), or
//! `lambda-adapter dev -- <app command>` to run the whole path locally.

// Nothing from outside (events, settings, app responses, AWS answers) may panic the process or wrap around:
// no unwrap/expect and no unchecked arithmetic outside tests; a reasoned exception is marked at its site.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::arithmetic_side_effects))]

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version" | "-V") => {
            println!("lambda-adapter {}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Some("--help" | "-h" | "help") => {
            print!("{}", HELP);
            return;
        }
        _ => {}
    }
    lambda_adapter::logging::init(|name| std::env::var(name).ok());
    // The adapter serves one invocation at a time and starts fastest on one thread; `dev` runs a server, an
    // emulator and two children, and uses every core.
    let dev = args.first().map(String::as_str) == Some("dev");
    let built = if dev {
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
        runtime.block_on(lambda_adapter::dev::main(args[1..].to_vec()))
    } else {
        runtime.block_on(lambda_adapter::lifecycle::run())
    };
    // Exit without waiting for tasks still blocked on sockets (the front door, the emulator).
    std::process::exit(code);
}

const HELP: &str = "\
lambda-adapter: run any HTTP app on AWS Lambda

USAGE:
    lambda-adapter                 run as a Lambda extension (copy to /opt/extensions/lambda-adapter)
    lambda-adapter dev -- CMD...   run CMD behind a local Lambda emulator and Function URL
                                   (`lambda-adapter dev --help` for its options)
    lambda-adapter --version

Settings come from LWA_* (or AWS_LWA_*) environment variables; see the README.
";
