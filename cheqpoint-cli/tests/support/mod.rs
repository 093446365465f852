//! What the gateway's tests share: the upstream server (run by this same test binary when
//! `CHEQPOINT_TEST_UPSTREAM` is set), a gateway process started with a configuration, an rmcp
//! client through it that keeps the progress it is sent, the count of each tool's runs, and a
//! small runner (every test with a deadline).

#![allow(dead_code, unreachable_pub)]

pub mod raw;
pub mod upstream;

use std::{
    future::Future,
    path::PathBuf,
    pin::Pin,
    process::{ExitCode, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use cheqpoint_emulator::{ApprovalRecord, Emulator};
use rmcp::{
    ClientHandler, RoleClient, ServiceExt,
    model::{
        CallToolRequestParams, CallToolResult, JsonObject, NumberOrString,
        ProgressNotificationParam, ProgressToken, RequestMetaObject,
    },
    service::{NotificationContext, RunningService},
    transport::TokioChildProcess,
};
use serde_json::Value;

/// Set in the environment of the upstream server: this binary then serves the tools.
pub const UPSTREAM_ROLE: &str = "CHEQPOINT_TEST_UPSTREAM";

/// The start of a test's `Err` that means it could not run here (said in the test list as
/// ignored, with the reason), not that it failed.
pub const SKIP: &str = "skipped: ";

/// The longest any wait in a test lasts.
pub const WAIT: Duration = Duration::from_secs(20);

/// A test's body.
pub type Body = Pin<Box<dyn Future<Output = Result<(), String>>>>;

/// A test: its name and its body.
pub type Test = (&'static str, fn() -> Body);

/// The tests of a binary, from their async fns.
macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        &[$((stringify!($name), (|| Box::pin($name()) as support::Body) as fn() -> support::Body)),*]
    };
}
pub(crate) use tests;

/// Runs this binary as the upstream server when asked to, else runs `tests` (those whose name
/// contains the first command-line argument, when given), each with a deadline.
pub fn main(tests: &[Test]) -> ExitCode {
    if std::env::var_os(UPSTREAM_ROLE).is_some() {
        return upstream::serve();
    }
    if std::env::var_os(raw::RAW_ROLE).is_some() {
        return raw::serve();
    }
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    let chosen: Vec<&Test> = tests
        .iter()
        .filter(|(name, _)| filter.as_deref().is_none_or(|f| name.contains(f)))
        .collect();
    println!("\nrunning {} tests", chosen.len());
    let mut passed = 0;
    let mut failed = Vec::new();
    for (name, test) in chosen {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let outcome = runtime.block_on(async {
            match tokio::time::timeout(Duration::from_secs(90), test()).await {
                Ok(outcome) => outcome,
                Err(_) => Err("did not finish within 90 s".into()),
            }
        });
        runtime.shutdown_timeout(Duration::from_secs(5));
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(reason) if reason.starts_with(SKIP) => {
                println!("test {name} ... ignored, {}", &reason[SKIP.len()..]);
            }
            Err(error) => {
                println!("test {name} ... FAILED\n    {error}");
                failed.push(*name);
            }
        }
    }
    if failed.is_empty() {
        println!("\ntest result: ok. {passed} passed");
        ExitCode::SUCCESS
    } else {
        println!("\ntest result: FAILED. {} failed: {failed:?}", failed.len());
        ExitCode::FAILURE
    }
}

/// Fails the test with `message` unless `condition` holds.
macro_rules! ensure {
    ($condition:expr, $($message:tt)+) => {
        if !$condition {
            return Err(format!("{} (at line {})", format!($($message)+), line!()));
        }
    };
}

/// One test's world: the emulator, and a folder with the configuration, the journal and the
/// runs file.
pub struct World {
    pub emulator: Emulator,
    pub dir: PathBuf,
}

impl World {
    pub async fn new() -> World {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cheqpoint-cli-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a test folder");
        World {
            emulator: Emulator::start().await.expect("the emulator starts"),
            dir,
        }
    }

    pub fn runs_file(&self) -> PathBuf {
        self.dir.join("runs.txt")
    }

    /// Every run recorded by the upstream, as `(tool, arguments)`.
    pub fn runs(&self) -> Vec<(String, Value)> {
        std::fs::read_to_string(self.runs_file())
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let (tool, arguments) = line.split_once(' ').expect("TOOL ARGUMENTS");
                (
                    tool.to_owned(),
                    serde_json::from_str(arguments).expect("JSON arguments"),
                )
            })
            .collect()
    }

    /// How often `tool` ran.
    pub fn runs_of(&self, tool: &str) -> usize {
        self.runs().iter().filter(|(name, _)| name == tool).count()
    }

    /// The gateway binary's command line with this world's journal and `config` (gate.toml's
    /// text), in front of the test upstream (this binary).
    pub fn gateway_command(&self, config: &str) -> Result<tokio::process::Command, String> {
        self.gateway_command_for(config, UPSTREAM_ROLE, &[])
    }

    /// [`gateway_command`](Self::gateway_command) with more `flags`, in front of this binary
    /// in `role`.
    pub fn gateway_command_for(
        &self,
        config: &str,
        role: &str,
        flags: &[&str],
    ) -> Result<tokio::process::Command, String> {
        let path = self.dir.join("gate.toml");
        std::fs::write(&path, config).map_err(|e| e.to_string())?;
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cheqpoint"));
        command
            .arg("mcp")
            .arg("--config")
            .arg(&path)
            .arg("--journal")
            .arg(self.dir.join("journal.db"))
            .args(["--progress-interval", "0.2"])
            .args(flags)
            .arg("--")
            .arg(std::env::current_exe().map_err(|e| e.to_string())?)
            .env(role, "1")
            .env(upstream::RUNS_FILE, self.runs_file())
            .env("CHEQPOINT_API_KEY", "cq_test_gateway")
            .env("CHEQPOINT_BASE_URL", self.emulator.url());
        Ok(command)
    }

    /// [`gateway_command`](Self::gateway_command) started, and an rmcp client through it. Also
    /// the gateway's process id.
    pub async fn gateway(&self, config: &str) -> Result<(Client, u32), String> {
        let command = self.gateway_command(config)?;
        let (transport, _) = TokioChildProcess::builder(command)
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|error| format!("the gateway did not start: {error}"))?;
        let pid = transport.id().ok_or("the gateway has no pid")?;
        let watcher = Watcher::default();
        let client = tokio::time::timeout(WAIT, watcher.serve(transport))
            .await
            .map_err(|_| "the gateway did not initialize in time".to_owned())?
            .map_err(|error| format!("the gateway did not initialize: {error}"))?;
        Ok((client, pid))
    }

    /// The gateway binary serving streamable HTTP in front of the test upstream served as
    /// streamable HTTP in this process; an rmcp client through it, over HTTP. The gateway stops
    /// when the returned child is dropped.
    pub async fn http_gateway(
        &self,
        config: &str,
    ) -> Result<(HttpClient, tokio::process::Child), String> {
        let upstream = upstream::serve_http(self.runs_file()).await;
        let path = self.dir.join("gate.toml");
        std::fs::write(&path, config).map_err(|e| e.to_string())?;
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cheqpoint"));
        command
            .arg("mcp")
            .arg("--config")
            .arg(&path)
            .arg("--journal")
            .arg(self.dir.join("journal.db"))
            .args(["--upstream", &upstream, "--listen", "127.0.0.1:0"])
            .env("CHEQPOINT_API_KEY", "cq_test_gateway")
            .env("CHEQPOINT_BASE_URL", self.emulator.url());
        let (url, child) = listening(command).await?;
        let http = cheqpoint::http_client_builder()
            .map_err(|error| error.to_string())?
            .build()
            .map_err(|error| format!("the HTTP client could not be built: {error}"))?;
        let transport = rmcp::transport::StreamableHttpClientTransport::with_client(
            http,
            rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig::with_uri(
                url,
            ),
        );
        let client = tokio::time::timeout(WAIT, ().serve(transport))
            .await
            .map_err(|_| "the gateway did not initialize in time".to_owned())?
            .map_err(|error| format!("the gateway did not initialize: {error}"))?;
        Ok((client, child))
    }

    /// The next request a reviewer sees, within [`WAIT`].
    pub async fn next_pending(&self) -> Result<ApprovalRecord, String> {
        self.emulator
            .next_pending(WAIT)
            .await
            .ok_or_else(|| "no request reached the reviewer".to_owned())
    }

    /// Approves the next request to arrive (within the wait); the request.
    pub async fn approve_next(&self) -> Result<ApprovalRecord, String> {
        let request = self.next_pending().await?;
        self.emulator
            .approve(&request.id)
            .map_err(|e| e.to_string())?;
        Ok(request)
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts `gateway` with `--listen` in its arguments; the URL it serves, and the process (which
/// stops when dropped).
pub async fn listening(
    mut gateway: tokio::process::Command,
) -> Result<(String, tokio::process::Child), String> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = gateway
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| format!("the gateway did not start: {error}"))?;
    let mut lines = BufReader::new(child.stderr.take().ok_or("no stderr")?).lines();
    let url = tokio::time::timeout(WAIT, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(url) = line.strip_prefix("cheqpoint mcp: serving ") {
                return Some(url.to_owned());
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or("the gateway did not say where it serves")?;
    // The rest of its stderr is copied to the test's.
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("{line}");
        }
    });
    Ok((url, child))
}

/// The test client: keeps every progress message it is sent.
#[derive(Debug, Clone, Default)]
pub struct Watcher {
    pub progress: Arc<Mutex<Vec<String>>>,
}

impl ClientHandler for Watcher {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.progress
            .lock()
            .expect("not poisoned")
            .push(params.message.unwrap_or_default());
    }
}

pub type Client = RunningService<RoleClient, Watcher>;

pub type HttpClient = RunningService<RoleClient, ()>;

/// `tools/call` through `client`, within [`WAIT`]; with a progress token when `progress` is set.
pub async fn call<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    tool: &str,
    arguments: Value,
    progress: bool,
) -> Result<CallToolResult, String> {
    let mut params = CallToolRequestParams::new(tool.to_owned());
    params.arguments = Some(object(arguments));
    if progress {
        let mut meta = RequestMetaObject::new();
        meta.set_progress_token(ProgressToken(NumberOrString::String("p1".into())));
        params.meta = Some(meta);
    }
    match tokio::time::timeout(WAIT, client.peer().call_tool(params)).await {
        Ok(Ok(result)) => Ok(result),
        Ok(Err(error)) => Err(format!("tools/call {tool} failed: {error}")),
        Err(_) => Err(format!("tools/call {tool} had no answer within {WAIT:?}")),
    }
}

/// The texts of a result, joined by newlines.
pub fn text(result: &CallToolResult) -> String {
    let value = serde_json::to_value(result).expect("a result serializes");
    value["content"]
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|block| block["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// Whether the result is an error the model reads.
pub fn is_error(result: &CallToolResult) -> bool {
    result.is_error == Some(true)
}

pub fn object(value: Value) -> JsonObject {
    value.as_object().cloned().unwrap_or_default()
}

/// Waits until `done` holds, up to [`WAIT`].
pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + WAIT;
    while !done() {
        if Instant::now() > deadline {
            return Err(format!("{what}: not within {WAIT:?}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}
