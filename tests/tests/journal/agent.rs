//! The `journal_agent` binary run as a process of its own: its output read line by line while
//! it runs, every wait bounded, and SIGKILL to end it at a chosen step.

use std::{path::Path, process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::{Child, ChildStdin, Command},
    sync::mpsc,
};

/// How long any one expected line may take to come.
const LINE_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

pub struct Agent {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: mpsc::UnboundedReceiver<String>,
    stderr: mpsc::UnboundedReceiver<String>,
    /// Every line read so far, both streams, for a failure's message.
    seen: Vec<String>,
}

impl Agent {
    /// Starts an agent: one call with `key` against `emulator` through `journal`
    /// (`sqlite:PATH` or `postgres:URL`), its body's runs appended to `runs`.
    pub fn start(emulator: &str, journal: &str, key: &str, runs: &Path, options: &[&str]) -> Agent {
        let mut child = Command::new(env!("CARGO_BIN_EXE_journal_agent"))
            .args([emulator, journal, key])
            .arg(runs)
            .args(options)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the agent starts");
        let stdout = lines(child.stdout.take().expect("stdout is piped"));
        let stderr = lines(child.stderr.take().expect("stderr is piped"));
        Agent {
            stdin: child.stdin.take(),
            child,
            stdout,
            stderr,
            seen: Vec::new(),
        }
    }

    /// Waits for a line on stdout that starts with `prefix`; the line.
    pub async fn stdout_line(&mut self, prefix: &str) -> String {
        self.line(Stream::Stdout, |line| line.starts_with(prefix), prefix)
            .await
    }

    /// Waits for a line on stderr (the client's tracing events) that holds `needle`.
    pub async fn stderr_line(&mut self, needle: &str) -> String {
        self.line(Stream::Stderr, |line| line.contains(needle), needle)
            .await
    }

    /// Waits for a line of `stream` that `wanted`; fails the test, showing every line seen,
    /// when none comes within the limit.
    async fn line(&mut self, stream: Stream, wanted: impl Fn(&str) -> bool, what: &str) -> String {
        let lines = match stream {
            Stream::Stdout => &mut self.stdout,
            Stream::Stderr => &mut self.stderr,
        };
        let seen = &mut self.seen;
        let found = tokio::time::timeout(LINE_LIMIT, async {
            while let Some(line) = lines.recv().await {
                seen.push(line.clone());
                if wanted(&line) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            _ => panic!("no line {what:?} on {stream:?}; saw {:#?}", self.seen),
        }
    }

    /// Sends a line to the body that holds.
    pub async fn release(&mut self) {
        let stdin = self.stdin.as_mut().expect("stdin is piped");
        stdin.write_all(b"go\n").await.expect("the agent reads");
        stdin.flush().await.expect("the agent reads");
    }

    /// Ends the process with SIGKILL and waits until it is gone.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("the agent is killed");
    }

    /// Waits for the process to end by itself; its `outcome …` line.
    pub async fn outcome(mut self) -> String {
        let line = self.stdout_line("outcome").await;
        tokio::time::timeout(LINE_LIMIT, self.child.wait())
            .await
            .expect("the agent ends")
            .expect("the agent's status");
        line
    }
}

/// The lines of `stream` as they come.
fn lines(
    stream: impl tokio::io::AsyncRead + Unpin + Send + 'static,
) -> mpsc::UnboundedReceiver<String> {
    let (send, receive) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// The approval ids the runs file holds: one line per run of a body.
pub fn runs_in(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}
