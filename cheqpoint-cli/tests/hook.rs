//! `cheqpoint hook claude-code` as Claude Code runs it: a process with a recorded `PreToolUse`
//! event on stdin, its stdout parsed as Claude Code parses it, the emulator deciding.

use std::{path::PathBuf, process::Stdio, time::Duration};

use cheqpoint_emulator::{ApprovalRecord, Emulator};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

/// The longest any wait here lasts.
const WAIT: Duration = Duration::from_secs(30);

struct Hook {
    emulator: Emulator,
    dir: PathBuf,
}

impl Hook {
    async fn new(name: &str, config: &str) -> Hook {
        let dir =
            std::env::temp_dir().join(format!("cheqpoint-hook-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("gate.toml"), config).unwrap();
        Hook {
            emulator: Emulator::start().await.unwrap(),
            dir,
        }
    }

    /// Runs the hook on `event` (with `args` after `hook claude-code`) and returns the
    /// `hookSpecificOutput` it printed.
    async fn run(&self, event: &str, args: &[&str], base_url: Option<&str>) -> Value {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cheqpoint"))
            .args(["hook", "claude-code", "--config"])
            .arg(self.dir.join("gate.toml"))
            .arg("--journal")
            .arg(self.dir.join("journal.db"))
            .args(args)
            .env("CHEQPOINT_API_KEY", "cq_test_hook")
            .env(
                "CHEQPOINT_BASE_URL",
                base_url.map_or_else(|| self.emulator.url(), str::to_owned),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(event.as_bytes()).await.unwrap();
        drop(stdin);
        let output = tokio::time::timeout(WAIT, child.wait_with_output())
            .await
            .expect("the hook answers in time")
            .unwrap();
        assert!(
            output.status.success(),
            "the hook exits 0: {:?}",
            output.status
        );
        let printed: Value =
            serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
        let decision = printed["hookSpecificOutput"].clone();
        assert_eq!(decision["hookEventName"], "PreToolUse", "{printed}");
        decision
    }

    async fn next_pending(&self) -> ApprovalRecord {
        self.emulator
            .next_pending(WAIT)
            .await
            .expect("a request reaches the reviewer")
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn event(tool: &str, input: Value, id: &str) -> String {
    json!({
        "session_id": "abc123",
        "transcript_path": "/home/u/.claude/projects/p/abc123.jsonl",
        "cwd": "/home/u/p",
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": input,
        "tool_use_id": id
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approved_bash_command_is_allowed_as_it_is() {
    let hook = Hook::new("bash", "[tools.Bash]\nrisk = 0.7\n").await;
    let input = json!({"command": "rm -rf build", "description": "Clean the build"});
    let sent = event("Bash", input.clone(), "toolu_01");
    let decided = hook.run(&sent, &[], None);
    let reviewer = async {
        let request = hook.next_pending().await;
        assert_eq!(request.action, "claude_code.Bash");
        assert_eq!(request.summary, "Run `rm -rf build`");
        assert_eq!(request.details, input);
        assert_eq!(request.risk_score, Some(0.7));
        hook.emulator.approve(&request.id).unwrap();
    };
    let (decision, ()) = tokio::join!(decided, reviewer);
    assert_eq!(decision["permissionDecision"], "allow", "{decision}");
    assert!(decision.get("updatedInput").is_none(), "{decision}");
    // The same command again, later (Claude makes a new tool use): a new call, asked anew and
    // allowed again on approval — one run per approval.
    let repeated = event("Bash", input, "toolu_09");
    let decided = hook.run(&repeated, &[], None);
    let reviewer = async {
        let request = hook.next_pending().await;
        let why = request.justification.clone().unwrap_or_default();
        assert!(why.contains("Asked before: approved and ran"), "{why}");
        hook.emulator.approve(&request.id).unwrap();
    };
    let (again, ()) = tokio::join!(decided, reviewer);
    assert_eq!(again["permissionDecision"], "allow", "{again}");
    assert_eq!(hook.emulator.created_count(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_a_timeout_reattaches_to_its_request() {
    let hook = Hook::new(
        "retry",
        "[tools.Bash]
timeout = 1
",
    )
    .await;
    let input = json!({"command": "git push", "description": "Push"});
    let first = hook
        .run(&event("Bash", input.clone(), "toolu_21"), &[], None)
        .await;
    assert_eq!(first["permissionDecision"], "deny", "{first}");
    let said = first["permissionDecisionReason"]
        .as_str()
        .unwrap_or_default();
    assert!(said.contains("waits on that request"), "{said}");
    // Claude asks again with a new tool_use_id: the same call, still pending, re-attaches.
    let request = hook.next_pending().await;
    hook.emulator.approve(&request.id).unwrap();
    let retry = hook.run(&event("Bash", input, "toolu_22"), &[], None).await;
    assert_eq!(retry["permissionDecision"], "allow", "{retry}");
    assert_eq!(
        hook.emulator.created_count(),
        1,
        "a second request was made"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_write_is_allowed_with_the_approved_input() {
    let hook = Hook::new("write", "").await;
    let input = json!({"file_path": "/home/u/p/.env", "content": "KEY=live"});
    let sent = event("Write", input, "toolu_02");
    let decided = hook.run(&sent, &[], None);
    let reviewer = async {
        let request = hook.next_pending().await;
        assert_eq!(request.summary, "Write /home/u/p/.env");
        hook.emulator
            .approve_with(
                &request.id,
                json!({"file_path": "/home/u/p/.env.example", "content": "KEY="}),
            )
            .unwrap();
    };
    let (decision, ()) = tokio::join!(decided, reviewer);
    assert_eq!(decision["permissionDecision"], "allow", "{decision}");
    assert_eq!(
        decision["updatedInput"],
        json!({"file_path": "/home/u/p/.env.example", "content": "KEY="})
    );
    assert!(
        decision["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("changed"),
        "{decision}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_that_drops_a_key_is_denied() {
    let hook = Hook::new("dropkey", "").await;
    let input = json!({"file_path": "/a", "old_string": "x", "new_string": "y"});
    let sent = event("Edit", input, "toolu_03");
    let decided = hook.run(&sent, &[], None);
    let reviewer = async {
        let request = hook.next_pending().await;
        assert_eq!(request.summary, "Edit /a");
        hook.emulator
            .approve_with(&request.id, json!({"file_path": "/a"}))
            .unwrap();
    };
    let (decision, ()) = tokio::join!(decided, reviewer);
    assert_eq!(decision["permissionDecision"], "deny", "{decision}");
    assert!(
        decision["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("_string`, which the call had"),
        "{decision}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_mcp_tool_is_denied_with_the_note() {
    let hook = Hook::new("mcp", "[tools.\"mcp__*\"]\nrisk = 0.95\n").await;
    let input = json!({"owner": "o", "repo": "r", "pull_number": 7});
    let sent = event("mcp__github__merge_pull_request", input, "toolu_04");
    let decided = hook.run(&sent, &[], None);
    let reviewer = async {
        let request = hook.next_pending().await;
        assert_eq!(
            request.action,
            "claude_code.mcp__github__merge_pull_request"
        );
        assert_eq!(request.risk_score, Some(0.95));
        hook.emulator.reject(&request.id, "CI is red").unwrap();
    };
    let (decision, ()) = tokio::join!(decided, reviewer);
    assert_eq!(decision["permissionDecision"], "deny", "{decision}");
    assert!(
        decision["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("CI is red"),
        "{decision}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_decision_in_time_is_a_denial_or_a_question() {
    let hook = Hook::new("timeout", "timeout = 1\n").await;
    let denied = hook
        .run(
            &event("Bash", json!({"command": "ls"}), "toolu_05"),
            &[],
            None,
        )
        .await;
    assert_eq!(denied["permissionDecision"], "deny", "{denied}");
    assert!(
        denied["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("No decision"),
        "{denied}"
    );
    let asked = hook
        .run(
            &event("Bash", json!({"command": "ls"}), "toolu_06"),
            &["--on-timeout", "ask"],
            None,
        )
        .await;
    assert_eq!(asked["permissionDecision"], "ask", "{asked}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_event_or_an_unreachable_service_is_denied() {
    let hook = Hook::new("malformed", "").await;
    for bad in [
        "",
        "not json",
        "{\"tool_name\": \"Bash\"}",
        "{\"tool_name\": 1, \"tool_input\": [], \"tool_use_id\": 2}",
    ] {
        let decision = hook.run(bad, &[], None).await;
        assert_eq!(decision["permissionDecision"], "deny", "{bad}: {decision}");
        assert!(
            decision["permissionDecisionReason"]
                .as_str()
                .unwrap()
                .contains("could not read"),
            "{decision}"
        );
    }
    let other =
        event("Bash", json!({"command": "ls"}), "toolu_07").replace("PreToolUse", "PostToolUse");
    assert_eq!(
        hook.run(&other, &[], None).await["permissionDecision"],
        "deny"
    );
    assert_eq!(hook.emulator.created_count(), 0);
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let decision = hook
        .run(
            &event("Bash", json!({"command": "ls"}), "toolu_08"),
            &[],
            Some(&url),
        )
        .await;
    assert_eq!(decision["permissionDecision"], "deny", "{decision}");
    assert!(
        decision["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("approval service"),
        "{decision}"
    );
}
