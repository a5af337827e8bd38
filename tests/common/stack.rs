//! The real adapter between a Runtime API and an app, each on a free loopback port:
//! - [`Stack`]: the embedded emulator (a faithful Lambda) and the echo example app;
//! - [`AppStack`]: the embedded emulator and a [`ScriptedApp`] that misbehaves on cue;
//! - [`FakeStack`]: a [`FakeRuntime`] that misbehaves on cue and a [`ScriptedApp`].

use super::fault_peers::{Call, FakeRuntime, Post, ScriptedApp, WAIT, get, served};
use super::{Process, STREAM, adapter_command, describe, free_port, receive, start_app};
use bytes::Bytes;
use lambda_adapter::dev::emulator::{Emulator, ErrorReport, FunctionInfo, Outcome};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;

async fn emulator() -> Emulator {
    Emulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), FunctionInfo::default())
        .await
        .unwrap()
}

/// Waits until the adapter polls `emulator` for invocations, at most `timeout`.
async fn polling(emulator: &Emulator, adapter: &Process, timeout: Duration) {
    if tokio::time::timeout(timeout, emulator.wait_polling()).await.is_err() {
        panic!("the adapter never polled for an invocation; its log:\n{}", adapter.output());
    }
}

/// Invokes through `emulator`, panicking with the adapter's log if the invocation itself fails.
async fn invoke(emulator: &Emulator, adapter: &Process, event: Bytes, timeout: Duration) -> Outcome {
    match emulator.invoke(event, timeout).await {
        Ok(outcome) => outcome,
        Err(error) => panic!("invocation failed: {error:?}; adapter log:\n{}", adapter.output()),
    }
}

/// An emulator, an echo app and an adapter between them.
pub struct Stack {
    pub emulator: Emulator,
    pub app: Process,
    pub app_port: u16,
    pub adapter: Process,
}

impl Stack {
    /// Starts everything and waits until the adapter polls for invocations.
    pub async fn start(env: &[(&str, &str)]) -> Stack {
        let emulator = emulator().await;
        let app_port = free_port();
        let app = start_app(app_port);
        let adapter = Process::spawn(adapter_command(&emulator.runtime_api(), app_port, env), "adapter");
        polling(&emulator, &adapter, Duration::from_secs(20)).await;
        Stack {
            emulator,
            app,
            app_port,
            adapter,
        }
    }

    /// Invokes with a 30 s deadline.
    pub async fn invoke(&self, event: impl Into<Bytes>) -> Outcome {
        self.invoke_with(event, Duration::from_secs(30)).await
    }

    pub async fn invoke_with(&self, event: impl Into<Bytes>, timeout: Duration) -> Outcome {
        invoke(&self.emulator, &self.adapter, event.into(), timeout).await
    }

    /// Invokes and returns the buffered response document.
    pub async fn invoke_json(&self, event: impl Into<Bytes>) -> Value {
        match self.invoke(event).await {
            Outcome::Response(payload) => serde_json::from_slice(&payload).unwrap_or_else(|e| panic!("not JSON ({e}): {payload:?}")),
            Outcome::Error(report) => panic!(
                "expected a response, got error {}: {}\nlog:\n{}",
                report.error_type,
                report.message(),
                self.adapter.output()
            ),
            Outcome::Streaming(_) => panic!("expected a buffered response, got a stream"),
        }
    }
}

/// The adapter between the embedded emulator (a faithful Runtime API) and a [`ScriptedApp`].
pub struct AppStack {
    pub emulator: Emulator,
    pub app: ScriptedApp,
    pub adapter: Process,
    pub streaming: bool,
}

impl AppStack {
    pub async fn start(env: &[(&str, &str)]) -> AppStack {
        let emulator = emulator().await;
        let app = ScriptedApp::start().await;
        let adapter = Process::spawn(adapter_command(&emulator.runtime_api(), app.port, env), "adapter");
        polling(&emulator, &adapter, WAIT).await;
        let streaming = env.contains(&STREAM[0]);
        AppStack {
            emulator,
            app,
            adapter,
            streaming,
        }
    }

    pub async fn invoke(&self, event: impl Into<Bytes>, timeout: Duration) -> Outcome {
        invoke(&self.emulator, &self.adapter, event.into(), timeout).await
    }

    /// Invokes and expects an error report (`invocation/error`, not a stream).
    pub async fn fails(&self, event: impl Into<Bytes>, timeout: Duration) -> ErrorReport {
        match self.invoke(event, timeout).await {
            Outcome::Error(report) => report,
            outcome => panic!("expected an error, got {}; log:\n{}", describe(&outcome), self.adapter.output()),
        }
    }

    /// Invokes `GET path` and checks that the app's answer arrives whole, in the stack's mode.
    pub async fn serves(&self, path: &str) {
        let outcome = self.invoke(get(path), WAIT).await;
        let expected = served("GET", path, 0);
        if self.streaming {
            let received = tokio::time::timeout(WAIT, receive(outcome)).await.expect("the stream ends");
            assert_eq!(received.prelude["statusCode"], 200);
            assert!(received.error.is_none(), "{:?}", received.error);
            assert_eq!(String::from_utf8_lossy(&received.body()), expected);
        } else {
            let Outcome::Response(payload) = outcome else {
                panic!("expected a response, got {}; log:\n{}", describe(&outcome), self.adapter.output())
            };
            let doc: Value = serde_json::from_slice(&payload).unwrap();
            assert_eq!(doc["statusCode"], 200, "{doc}");
            assert_eq!(doc["body"], expected, "{doc}");
        }
    }
}

/// The adapter between a [`FakeRuntime`] and a [`ScriptedApp`].
pub struct FakeStack {
    pub runtime: FakeRuntime,
    pub app: ScriptedApp,
    pub adapter: Process,
}

impl FakeStack {
    /// Starts everything and waits until the adapter polls for its first invocation.
    pub async fn start(env: &[(&str, &str)]) -> FakeStack {
        let runtime = FakeRuntime::start().await;
        let app = ScriptedApp::start().await;
        let adapter = Process::spawn(adapter_command(&runtime.runtime_api(), app.port, env), "adapter");
        let stack = FakeStack { runtime, app, adapter };
        stack
            .wait("the first invocation/next", |calls| calls.iter().any(Call::is_next))
            .await;
        stack
    }

    /// Waits until `done` holds for the adapter's requests so far, at most [`WAIT`]; panics naming `what`.
    pub async fn wait(&self, what: &str, done: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        match self.runtime.wait_for(WAIT, done).await {
            Some(calls) => calls,
            None => panic!(
                "waited {WAIT:?} for {what}; the adapter called {:?}\nits log:\n{}",
                self.runtime.calls().iter().map(|c| &c.path).collect::<Vec<_>>(),
                self.adapter.output()
            ),
        }
    }

    /// Waits for the adapter's post (`/response` or `/error`) for invocation `id`.
    pub async fn posted(&self, id: &str) -> Call {
        let for_id = |call: &Call| call.post().is_some_and(|(_, posted)| posted == id);
        let calls = self
            .wait(&format!("a post for invocation {id}"), |calls| calls.iter().any(for_id))
            .await;
        calls.into_iter().find(for_id).expect("waited for it")
    }

    /// Every invocation post so far: which, and for which request id.
    pub fn posts(&self) -> Vec<(Post, String)> {
        self.runtime
            .calls()
            .iter()
            .filter_map(|call| call.post().map(|(post, id)| (post, id.to_string())))
            .collect()
    }

    /// The targets the app was asked for, the readiness check's `/` left out.
    pub fn app_targets(&self) -> Vec<String> {
        self.app
            .requests()
            .iter()
            .map(|r| r.target().to_string())
            .filter(|target| target != "/")
            .collect()
    }
}
