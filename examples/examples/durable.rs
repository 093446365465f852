//! A gated call that survives a crash: the agent asks for approval of a refund, is killed
//! (SIGKILL) while it waits, and is started again; through its journal the new process
//! re-attaches to the same request instead of asking twice, runs the refund once approved, and
//! a third start is told it already ran.
//!
//! ```text
//! cargo run --example durable --features cheqpoint/sqlite                   # decide in the inbox
//! cargo run --example durable --features cheqpoint/sqlite -- --auto approve  # or reject, or edit
//! ```
//!
//! This process plays the supervisor: it keeps the emulator (the service) running and starts
//! the agent, itself run with `--agent`, as a process of its own each time. Since it must run
//! the service it kills the agent around, it always starts an emulator of its own.

use std::{path::Path, process::Stdio, time::Duration};

use cheqpoint::{ApprovalRequest, Client, Error, Journal, PollPolicy};
use cheqpoint_emulator::Emulator;
use cheqpoint_examples::{Auto, auto_from, service_from_env};
use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::mpsc,
};

/// The operation's key: one refund of one order, however often the agent restarts.
const KEY: &str = "refund-8842";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag, url, journal] if flag == "--agent" => agent(url, Path::new(journal)).await,
        _ => match auto_from(&args) {
            Ok(auto) => supervise(auto).await,
            Err(refused) => Err(refused),
        },
    };
    cheqpoint_examples::exit(result)
}

/// The agent: one refund behind approval, recorded in the journal at `journal`.
async fn agent(url: &str, journal: &Path) -> Result<(), String> {
    let journal = Journal::sqlite(journal).map_err(|e| e.to_string())?;
    for entry in journal.unfinished().await.map_err(|e| e.to_string())? {
        println!(
            "found {} for {} in the journal: re-attaching",
            entry
                .approval_id
                .as_deref()
                .unwrap_or("a request being sent"),
            entry.key.as_deref().unwrap_or(&entry.action),
        );
    }
    let client = Client::builder()
        .api_key("cq_test_playground")
        .base_url(url)
        .timeout(Duration::from_secs(600))
        .poll(PollPolicy::fixed(Duration::from_millis(200)))
        .journal(journal)
        .build()
        .map_err(|e| e.to_string())?;
    println!("calling the refund of order 8842 (key {KEY})");
    let request = ApprovalRequest::new("process_refund", "Refund 12000 cents on order 8842")
        .details(json!({"order_id": "8842", "amount_cents": 12000}))
        .risk(0.8)
        .key(KEY);
    let refunded = client
        .guard(request, |approved| async move {
            // The refund itself, of the approved amount: runs once per approval, whatever
            // crashes around it.
            format!(
                "refunded {} cents on order 8842 (approval {})",
                approved.effective_details()["amount_cents"],
                approved.approval_id
            )
        })
        .await;
    match refunded {
        Ok(done) => println!("{done}"),
        Err(Error::AlreadyDone { approval_id, .. }) => {
            println!("not run again: it already ran on approval {approval_id}")
        }
        Err(refused) => println!("refused: {refused}"),
    }
    Ok(())
}

/// The supervisor: the service, and the agent started, killed and started again.
async fn supervise(auto: Option<Auto>) -> Result<(), String> {
    if let Some(ignored) = service_from_env() {
        println!(
            "CHEQPOINT_API_KEY is set, but this example kills and restarts the agent around a service of its own, so it does not talk to {ignored}"
        );
    }
    let emulator = Emulator::builder()
        .start()
        .await
        .map_err(|e| e.to_string())?;
    let scratch = std::env::temp_dir().join(format!("cheqpoint-durable-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let journal = scratch.join("journal.db");
    println!(
        "talking to {} (an emulator in this process)",
        emulator.url()
    );
    println!("review inbox: {}", emulator.inbox_url());
    println!("journal: {}\n", journal.display());

    let mut first = Agent::start(&emulator, &journal, 1)?;
    let request = emulator
        .next_pending(Duration::from_secs(30))
        .await
        .ok_or("the agent made no request within 30 s")?;
    first.line_holding("calling").await?;
    let reader = Journal::sqlite(&journal).map_err(|e| e.to_string())?;
    while !reader
        .unfinished()
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .any(|entry| entry.approval_id.as_deref() == Some(request.id.as_str()))
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "supervisor: agent 1 waits on {}; killing it (SIGKILL)",
        request.id
    );
    first.kill().await?;

    let mut second = Agent::start(&emulator, &journal, 2)?;
    second.line_holding("re-attaching").await?;
    match auto {
        Some(auto) => {
            println!(
                "supervisor: deciding {} (--auto {})",
                request.id,
                auto.name()
            );
            match auto {
                Auto::Approve => emulator.approve(&request.id),
                Auto::Reject => emulator.reject(&request.id, "declined by --auto reject"),
                Auto::Edit => emulator.approve_with(
                    &request.id,
                    json!({"order_id": "8842", "amount_cents": 6000}),
                ),
            }
            .map_err(|e| e.to_string())?;
        }
        None => println!(
            "supervisor: decide {} in the inbox: {}",
            request.id,
            emulator.inbox_url()
        ),
    }
    second.line_holding_any(&["refunded", "refused"]).await?;
    second.end().await?;

    let mut third = Agent::start(&emulator, &journal, 3)?;
    third
        .line_holding_any(&["not run again", "refused"])
        .await?;
    third.end().await?;
    println!(
        "\nrequests created: {} (the agent was started 3 times)",
        emulator.created_count()
    );
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// An agent process whose output the supervisor relays, prefixed with its number.
struct Agent {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
}

impl Agent {
    fn start(emulator: &Emulator, journal: &Path, number: u32) -> Result<Agent, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .arg("--agent")
            .arg(emulator.url())
            .arg(journal)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("the agent did not start: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (send, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut stdout = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = stdout.next_line().await {
                println!("agent {number}: {line}");
                let _ = send.send(line);
            }
        });
        Ok(Agent { child, lines })
    }

    /// Waits for a line of the agent that holds `needle`.
    async fn line_holding(&mut self, needle: &str) -> Result<(), String> {
        self.line_holding_any(&[needle]).await
    }

    /// Waits for a line of the agent that holds one of `needles`.
    async fn line_holding_any(&mut self, needles: &[&str]) -> Result<(), String> {
        while let Some(line) = self.lines.recv().await {
            if needles.iter().any(|needle| line.contains(needle)) {
                return Ok(());
            }
        }
        Err(format!("the agent ended without saying one of {needles:?}"))
    }

    async fn kill(mut self) -> Result<(), String> {
        self.child.kill().await.map_err(|e| e.to_string())
    }

    async fn end(mut self) -> Result<(), String> {
        self.child.wait().await.map_err(|e| e.to_string())?;
        Ok(())
    }
}
