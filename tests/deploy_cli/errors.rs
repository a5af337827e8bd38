//! The errors a user can act on: each run as a user would run it, asserting the exit status and what the
//! message tells them to do.

use crate::deploy_cli_support::{Shown, app_with, clients, command, copy_app, moto, run};
use crate::deploy_support::{repo, static_binary};

/// An endpoint where nothing listens: a call that reached it would fail as "cannot reach AWS", so an error
/// that says something else came before any AWS call.
fn nowhere() -> String {
    format!("http://127.0.0.1:{}", crate::common::free_port())
}

async fn run_with(dir: &std::path::Path, endpoint: &str, args: &[&str], edit: impl FnOnce(&mut std::process::Command)) -> Shown {
    let mut full = vec!["deploy"];
    full.extend_from_slice(args);
    let mut command = command(dir, endpoint, &full);
    edit(&mut command);
    tokio::task::spawn_blocking(move || run(&mut command)).await.unwrap()
}

#[tokio::test]
async fn a_folder_it_cannot_place_lists_what_it_looked_for_before_any_aws_call() {
    let (_work, dir) = app_with("mystery", &[("README.md", "# nothing to run\n")]);
    let shown = run_with(&dir, &nowhere(), &[], |_| {}).await;
    assert_eq!(shown.code, Some(1), "{shown:?}");
    for looked_for in [
        "go.mod",
        "package.json",
        "requirements.txt, pyproject.toml or *.py",
        "a start command after `--`",
    ] {
        assert!(shown.stderr.contains(looked_for), "{looked_for} is not named:\n{}", shown.stderr);
    }
    assert!(shown.stdout.is_empty(), "{}", shown.stdout);
    // A Python app without a start command says which command to give.
    let (_work, dir) = app_with("py-nostart", &[("requirements.txt", "")]);
    let shown = run_with(&dir, &nowhere(), &[], |_| {}).await;
    assert!(
        shown
            .stderr
            .contains("has no start command: give one after `--`, for example `lambda-adapter deploy -- python3 app.py`"),
        "{}",
        shown.stderr
    );
}

#[tokio::test]
async fn no_credentials_say_how_to_configure_them() {
    let (_work, dir) = app_with("no-creds", &[("main.py", "")]);
    let shown = run_with(&dir, &nowhere(), &["--", "python3", "main.py"], |command| {
        command.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY");
    })
    .await;
    assert_eq!(shown.code, Some(1), "{shown:?}");
    assert!(
        shown.stderr.contains("lambda-adapter deploy: no AWS credentials found"),
        "{}",
        shown.stderr
    );
    assert!(
        shown.stderr.contains("`aws configure`") && shown.stderr.contains("aws sso login"),
        "{}",
        shown.stderr
    );
}

#[tokio::test]
async fn a_missing_region_says_where_to_set_one() {
    let (_work, dir) = app_with("no-region", &[("main.py", "")]);
    let shown = run_with(&dir, &nowhere(), &["--", "python3", "main.py"], |command| {
        command.env_remove("AWS_REGION");
    })
    .await;
    assert_eq!(shown.code, Some(1), "{shown:?}");
    assert!(shown.stderr.contains("no AWS region: pass --region REGION"), "{}", shown.stderr);
    assert!(shown.stderr.contains("AWS_REGION"), "{}", shown.stderr);
}

#[tokio::test]
async fn a_go_build_failure_shows_gos_output() {
    let (_work, dir) = app_with(
        "go-broken",
        &[
            ("go.mod", "module example.com/broken\n\ngo 1.19\n"),
            ("main.go", "package main\n\nfunc main() { this is not Go }\n"),
        ],
    );
    let shown = run_with(&dir, &nowhere(), &[], |_| {}).await;
    assert_eq!(shown.code, Some(1), "{shown:?}");
    assert!(
        shown.stderr.contains("go build (the app, as bootstrap for Linux) failed:"),
        "{}",
        shown.stderr
    );
    assert!(
        shown.stderr.contains("main.go:3:") && shown.stderr.contains("syntax error"),
        "Go's own output is missing:\n{}",
        shown.stderr
    );
}

#[tokio::test]
async fn arm64_without_an_arm64_static_build_says_how_to_get_one() {
    let (_work, dir) = copy_app(&repo().join("examples/go-http"), "go-arm");
    // The x86_64 static build is no arm64 build.
    let shown = run_with(
        &dir,
        &nowhere(),
        &["--arch", "arm64", "--adapter", &static_binary().display().to_string()],
        |_| {},
    )
    .await;
    assert_eq!(shown.code, Some(1), "{shown:?}");
    assert!(
        shown.stderr.contains("it is built for x86_64, and the function is arm64 (--arch)"),
        "{}",
        shown.stderr
    );
    // Nor does this tree have one, unless someone cross-built it here.
    if !repo().join("target/aarch64-unknown-linux-gnu/release/lambda-adapter").exists() {
        let shown = run_with(&dir, &nowhere(), &["--arch", "arm64"], |_| {}).await;
        assert_eq!(shown.code, Some(1), "{shown:?}");
        assert!(
            shown.stderr.contains("no static lambda-adapter build for arm64"),
            "{}",
            shown.stderr
        );
        assert!(
            shown.stderr.contains("scripts/build-static.sh --arch aarch64") && shown.stderr.contains("--adapter"),
            "{}",
            shown.stderr
        );
    }
}

#[tokio::test]
async fn a_dynamically_linked_adapter_is_never_uploaded() {
    let (_work, dir) = app_with("dynamic", &[("main.py", "")]);
    let dynamic = env!("CARGO_BIN_EXE_lambda-adapter");
    let shown = run_with(&dir, &nowhere(), &["--adapter", dynamic, "--", "python3", "main.py"], |_| {}).await;
    assert_eq!(shown.code, Some(1), "{shown:?}");
    assert!(
        shown.stderr.contains("cannot be shipped as the adapter: it is dynamically linked"),
        "{}",
        shown.stderr
    );
}

#[tokio::test]
async fn unknown_flags_exit_2_with_the_list() {
    let (_work, dir) = app_with("flags", &[("main.py", "")]);
    let shown = run_with(&dir, &nowhere(), &["--memroy", "256"], |_| {}).await;
    assert_eq!(shown.code, Some(2), "{shown:?}");
    assert!(shown.stderr.contains("unknown option `--memroy`; the options are --name, --region, --memory, --timeout, --buffered, --auth, --env, --role, --arch, --image, --adapter, --help"), "{}", shown.stderr);
    let shown = run_with(&dir, &nowhere(), &["--timeout", "901"], |_| {}).await;
    assert_eq!(shown.code, Some(2), "{shown:?}");
    assert!(
        shown.stderr.contains("--timeout \"901\": expected seconds from 1 to 900"),
        "{}",
        shown.stderr
    );
    let mut init = command(&dir, &nowhere(), &["init", "--role", "arn:aws:iam::1:role/x"]);
    let shown = tokio::task::spawn_blocking(move || run(&mut init)).await.unwrap();
    assert_eq!(shown.code, Some(2), "{shown:?}");
    assert!(
        shown
            .stderr
            .contains("--role is an option of deploy, not of init; init's options are"),
        "{}",
        shown.stderr
    );
}

#[tokio::test]
async fn access_denied_names_the_missing_permission() {
    // IAM on a second moto that enforces IAM policies once the user below exists (three calls); Lambda on
    // the shared one (moto's Lambda rejects every signature once enforcement is on, so it cannot be denied
    // there). AWS_ENDPOINT_URL_IAM sends IAM's calls to the first, as it would to any other endpoint.
    static_binary();
    let enforcing = moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    let (_, iam) = clients(&enforcing.endpoint).await;
    iam.create_user().user_name("deployer").send().await.unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:*","iam:GetRole","iam:AttachRolePolicy","iam:PassRole"],"Resource":"*"}]}"#;
    iam.put_user_policy()
        .user_name("deployer")
        .policy_name("no-create-role")
        .policy_document(policy)
        .send()
        .await
        .unwrap();
    let key = iam.create_access_key().user_name("deployer").send().await.unwrap();
    let key = key.access_key().unwrap();
    let (id, secret) = (key.access_key_id().to_string(), key.secret_access_key().to_string());

    let (_work, dir) = app_with("denied", &[("server.sh", "exec python3 -m http.server \"$PORT\"\n")]);
    let iam_endpoint = enforcing.endpoint.clone();
    let shown = run_with(&dir, &moto::moto().endpoint, &["--", "sh", "server.sh"], move |command| {
        command
            .env("AWS_ACCESS_KEY_ID", id)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_ENDPOINT_URL_IAM", iam_endpoint);
    })
    .await;
    assert_eq!(shown.code, Some(1), "{shown:?}");
    assert!(
        shown
            .stderr
            .contains("access denied: these credentials may not call iam:CreateRole (needed to create the function's execution role)"),
        "{}",
        shown.stderr
    );
    assert!(shown.stdout.is_empty(), "{}", shown.stdout);
}

#[tokio::test]
async fn the_shipped_adapter_has_no_sdk_and_says_how_to_get_deploy() {
    // The static build users ship (scripts/build-static.sh, without the `deploy` feature).
    let shipped = static_binary();
    let bytes = std::fs::read(shipped).unwrap();
    for crate_name in [&b"aws-sdk-lambda"[..], b"aws-sdk-iam", b"aws-config-"] {
        assert!(
            !bytes.windows(crate_name.len()).any(|w| w == crate_name),
            "the shipped adapter carries {}",
            String::from_utf8_lossy(crate_name)
        );
    }
    let (_work, dir) = app_with("shipped", &[("main.py", "")]);
    for command in ["deploy", "init"] {
        let mut run_it = std::process::Command::new(shipped);
        run_it.arg(command).current_dir(&dir);
        let shown = tokio::task::spawn_blocking(move || run(&mut run_it)).await.unwrap();
        assert_eq!(shown.code, Some(2), "{shown:?}");
        assert!(
            shown.stderr.contains(&format!("`{command}` is not in this build")),
            "{}",
            shown.stderr
        );
        assert!(
            shown.stderr.contains("cargo install --path . --features deploy"),
            "{}",
            shown.stderr
        );
    }
}
