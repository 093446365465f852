//! `cheqpoint hook claude-code`'s answer, in process: a recorded `PreToolUse` event for
//! Claude Code's Bash tool, asked for at the embedded emulator, and the JSON Claude Code would
//! read on the hook's stdout. Decide in the printed inbox, or pass `-- --auto
//! approve|reject|edit`.
//!
//! ```sh
//! cargo run -p cheqpoint-cli --example hook -- --auto edit
//! ```

use std::time::Duration;

use cheqpoint::Client;
use cheqpoint_cli::{
    config::GateConfig,
    gate::Gatekeeper,
    hooks::{self, Agent, OnTimeout},
};
use cheqpoint_emulator::Emulator;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let auto = std::env::args().skip_while(|arg| arg != "--auto").nth(1);
    let emulator = Emulator::start().await?;
    println!("inbox: {}", emulator.inbox_url());
    let client = Client::builder()
        .api_key("cq_test_example")
        .base_url(emulator.url())
        .build()?;
    let config = GateConfig::parse("timeout = 600\n[tools.Bash]\nrisk = 0.7\n", "gate.toml")?;
    let event = json!({
        "session_id": "abc123", "cwd": "/home/me/project", "hook_event_name": "PreToolUse",
        "tool_name": "Bash", "tool_use_id": "toolu_01",
        "tool_input": {"command": "git push --force origin main", "description": "Push the fix"}
    })
    .to_string();
    println!("claude code: PreToolUse {event}");
    let reviewer = async {
        let Some(request) = emulator.next_pending(Duration::from_secs(600)).await else {
            return;
        };
        println!("reviewer: {} asks \"{}\"", request.action, request.summary);
        let decided = match auto.as_deref() {
            Some("approve") => emulator.approve(&request.id),
            Some("reject") => emulator.reject(&request.id, "never force-push main"),
            Some(_) => emulator.approve_with(
                &request.id,
                json!({"command": "git push --force-with-lease origin main", "description": "Push the fix"}),
            ),
            None => return println!("reviewer: decide in the inbox"),
        };
        if let Err(error) = decided {
            println!("reviewer: {error}");
        }
    };
    let gate = Gatekeeper::new(client);
    let (reply, ()) = tokio::join!(
        hooks::answer(Agent::ClaudeCode, &event, &gate, &config, OnTimeout::Deny),
        reviewer
    );
    println!("hook stdout: {}", reply.stdout);
    Ok(())
}
