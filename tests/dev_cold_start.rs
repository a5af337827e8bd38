//! A request that reaches `lambda-adapter dev` while the app is still starting, end to end with the real
//! binary: like a Lambda cold start, it waits for the app and is served; it gets `503` with the reason at
//! once when the app will not come (it exited), and at the end of the init phase when the app is too slow.
//! (An app listening on another port is answered at once too: `first_run.rs`.)

mod common;

use common::dev::*;
use std::time::{Duration, Instant};

/// A user's script that starts `dev` and runs its tests at once: the first requests arrive before the app
/// listens, and each gets the app's answer.
#[tokio::test]
async fn a_request_during_the_cold_start_waits_for_the_app() {
    let app = ["sh", "-c", "sleep 2; exec python3 -m http.server \"$PORT\" --bind 127.0.0.1"];
    let dev = Dev::spawn_app(&app, &[], &[]);
    dev.wait_listening().await;
    let sent = Instant::now();
    let answers = tokio::time::timeout(
        Duration::from_secs(20),
        futures::future::join_all((0..3).map(|_| dev.send("GET", "/", &[], vec![]))),
    )
    .await
    .unwrap_or_else(|_| panic!("requests during the cold start hung:\n{}", dev.output()));
    for reply in &answers {
        assert_eq!(reply.status, 200, "{}\n{}", reply.text(), dev.output());
        assert!(reply.text().contains("Directory listing"), "{}", reply.text());
    }
    assert!(
        sent.elapsed() >= Duration::from_secs(1),
        "the app was up already: {:?}",
        sent.elapsed()
    );
    assert!(dev.output().contains("for the app's cold start"), "{}", dev.output());
    assert!(dev.output().contains("Ctrl-C stops"), "{}", dev.output());
}

/// An app that exits while starting will never answer: a waiting request learns so as it happens.
#[tokio::test]
async fn a_request_waiting_for_an_app_that_exits_gets_503_naming_why() {
    let dev = Dev::spawn_app(&["sh", "-c", "sleep 1; exit 3"], &[], &[]);
    dev.wait_listening().await;
    let reply = tokio::time::timeout(Duration::from_secs(8), dev.send("GET", "/", &[], vec![]))
        .await
        .unwrap_or_else(|_| panic!("the request hung after the app exited:\n{}", dev.output()));
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(
        reply.text(),
        "the app exited before it was ready (exit status 3); see dev's log\n",
        "{}",
        dev.output()
    );
}

/// An app that does not get ready within the init phase (here shortened with the adapter's own setting):
/// the waiting request gets 503 then, naming the setting.
#[tokio::test]
async fn a_request_gets_503_when_init_outlasts_its_timeout() {
    let env = [("LWA_READINESS_CHECK_TIMEOUT", "1.5")];
    let dev = Dev::spawn_app(&["sleep", "30"], &[], &env);
    dev.wait_listening().await;
    let reply = tokio::time::timeout(Duration::from_secs(10), dev.send("GET", "/", &[], vec![]))
        .await
        .unwrap_or_else(|_| panic!("the request hung past the init timeout:\n{}", dev.output()));
    assert_eq!(reply.status, 503, "{}", reply.text());
    // dev's deadline and the adapter's readiness timeout end together; either may say it first.
    let reason = reply.text();
    let said_when = reason.contains("within 1.5 s") || reason.contains("not ready after 1.");
    assert!(
        said_when && reason.contains("LWA_READINESS_CHECK_TIMEOUT"),
        "{reason}\n{}",
        dev.output()
    );
}
