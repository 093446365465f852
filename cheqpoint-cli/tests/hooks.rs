//! `cheqpoint hook AGENT` as each agent runs it: a process with a recorded event on stdin
//! (`tests/fixtures/hooks/`, each with its source in `SOURCES.md`), its stdout and exit code read
//! as that agent reads them, the emulator deciding. Every outcome for every agent and event:
//! approve, edit, reject, no decision in time, the service down, a malformed event, an unknown
//! event. "Ran" here is the agent being told to run the call: every other outcome must be the
//! agent's deny (or its `ask` where the user chose it and the agent honours it).

use std::{path::PathBuf, process::Stdio, time::Duration};

use cheqpoint_emulator::{ApprovalRecord, Emulator};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

/// The longest any wait here lasts.
const WAIT: Duration = Duration::from_secs(30);

/// Each recorded event: the agent, the fixture, and the action its call asks for.
const EVENTS: &[(&str, &str, &str)] = &[
    ("claude-code", "PreToolUse.json", "claude_code.Bash"),
    ("claude-code", "PermissionRequest.json", "claude_code.Bash"),
    ("codex", "PreToolUse.json", "codex.Bash"),
    ("codex", "PermissionRequest.json", "codex.Bash"),
    ("gemini", "BeforeTool.json", "gemini.run_shell_command"),
    ("cursor", "beforeShellExecution.json", "cursor.Shell"),
    ("cursor", "beforeMCPExecution.json", "cursor.execute_sql"),
    ("cursor", "beforeReadFile.json", "cursor.ReadFile"),
    ("copilot", "preToolUse.json", "copilot.bash"),
    ("copilot", "PreToolUse.vscode.json", "copilot.runInTerminal"),
];

fn fixture(agent: &str, file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hooks")
        .join(agent)
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What the agent read from the hook's answer.
#[derive(Debug)]
struct Seen {
    /// `allow`, `deny` or `ask`.
    decision: String,
    /// The input the agent runs in place of its own.
    input: Option<Value>,
    /// The words the model (or the person) reads.
    reason: String,
    /// The whole answer, for messages.
    raw: String,
}

/// Reads the answer to `agent`'s `event` as that agent does.
fn seen(agent: &str, event: &str, stdout: &str, stderr: &str, code: i32) -> Seen {
    let raw = format!("exit {code}; stdout {stdout}; stderr {stderr}");
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    if code == 2 && matches!(agent, "claude-code" | "codex" | "gemini") {
        return Seen {
            decision: "deny".into(),
            input: None,
            reason: stderr.trim().into(),
            raw,
        };
    }
    assert_eq!(code, 0, "{agent} {event}: {raw}");
    let out: Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("{agent} {event}: stdout is not JSON ({e}): {raw}"));
    let hook = &out["hookSpecificOutput"];
    let (decision, input, reason) = match (agent, event) {
        ("claude-code" | "codex", "PermissionRequest.json") => {
            let decision = &hook["decision"];
            match decision["behavior"].as_str() {
                Some(behavior) => (
                    behavior.to_owned(),
                    decision.get("updatedInput").cloned(),
                    text(&decision["message"]),
                ),
                None => ("ask".into(), None, text(&out["systemMessage"])),
            }
        }
        ("claude-code" | "codex", _) | ("copilot", "PreToolUse.vscode.json") => (
            text(&hook["permissionDecision"]),
            hook.get("updatedInput").cloned(),
            text(&hook["permissionDecisionReason"]),
        ),
        ("gemini", _) => (
            text(&out["decision"]),
            hook.get("tool_input").cloned(),
            text(&out["reason"]),
        ),
        ("cursor", _) => (text(&out["permission"]), None, text(&out["agent_message"])),
        ("copilot", _) => (
            text(&out["permissionDecision"]),
            None,
            text(&out["permissionDecisionReason"]),
        ),
        _ => panic!("no reader for {agent}"),
    };
    Seen {
        decision,
        input,
        reason,
        raw,
    }
}

struct Hooks {
    emulator: Emulator,
    dir: PathBuf,
}

impl Hooks {
    async fn new(name: &str, config: &str) -> Hooks {
        let dir =
            std::env::temp_dir().join(format!("cheqpoint-hooks-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("gate.toml"), config).unwrap();
        Hooks {
            emulator: Emulator::start().await.unwrap(),
            dir,
        }
    }

    /// Runs `cheqpoint hook AGENT` on `event` and reads its answer as the agent does.
    async fn run(&self, agent: &str, file: &str, event: &str, args: &[&str]) -> Seen {
        self.run_at(agent, file, event, args, &self.emulator.url())
            .await
    }

    async fn run_at(&self, agent: &str, file: &str, event: &str, args: &[&str], url: &str) -> Seen {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cheqpoint"))
            .args(["hook", agent, "--config"])
            .arg(self.dir.join("gate.toml"))
            .arg("--journal")
            .arg(self.dir.join("journal.db"))
            .args(args)
            .env("CHEQPOINT_API_KEY", "cq_test_hooks")
            .env("CHEQPOINT_BASE_URL", url)
            // The hook runs in the test's folder; an event names the session's own.
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
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
        seen(
            agent,
            file,
            &String::from_utf8_lossy(&output.stdout),
            &String::from_utf8_lossy(&output.stderr),
            output.status.code().unwrap_or(-1),
        )
    }

    async fn next_pending(&self) -> ApprovalRecord {
        self.emulator
            .next_pending(WAIT)
            .await
            .expect("a request reaches the reviewer")
    }
}

impl Drop for Hooks {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The tool input an event carries, as the hook sends it for review.
fn tool_input(agent: &str, event: &Value) -> Value {
    match agent {
        "cursor" => match event["hook_event_name"].as_str() {
            Some("beforeShellExecution") => {
                json!({"command": event["command"], "cwd": event["cwd"]})
            }
            Some("beforeMCPExecution") => {
                serde_json::from_str(event["tool_input"].as_str().unwrap()).unwrap()
            }
            _ => json!({"file_path": event["file_path"]}),
        },
        "copilot" if event.get("toolArgs").is_some() => {
            serde_json::from_str(event["toolArgs"].as_str().unwrap()).unwrap()
        }
        _ => event["tool_input"].clone(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approval_is_each_agents_allow_with_the_call_as_asked() {
    let hooks = Hooks::new("approve", "[tools.\"*\"]\nrisk = 0.7\n").await;
    for (agent, file, action) in EVENTS {
        let event = fixture(agent, file);
        let sent: Value = serde_json::from_str(&event).unwrap();
        let decided = hooks.run(agent, file, &event, &[]);
        let reviewer = async {
            let request = hooks.next_pending().await;
            assert_eq!(request.action, *action, "{agent} {file}");
            assert_eq!(request.details, tool_input(agent, &sent), "{agent} {file}");
            assert_eq!(request.risk_score, Some(0.7));
            hooks.emulator.approve(&request.id).unwrap();
        };
        let (seen, ()) = tokio::join!(decided, reviewer);
        assert_eq!(seen.decision, "allow", "{agent} {file}: {}", seen.raw);
        if (*agent, *file) == ("codex", "PreToolUse.json") {
            // Codex runs an `allow` only with the input to run.
            assert_eq!(seen.input, Some(sent["tool_input"].clone()), "{}", seen.raw);
        } else {
            assert_eq!(seen.input, None, "{agent} {file}: {}", seen.raw);
        }
    }
    assert_eq!(hooks.emulator.created_count(), EVENTS.len());
}

/// The edit a reviewer makes to each event's input: one value changed, the keys kept.
fn edited(input: &Value) -> Value {
    let mut edit = input.clone();
    let object = edit.as_object_mut().unwrap();
    let key = ["command", "query", "file_path"]
        .into_iter()
        .find(|key| object.contains_key(*key))
        .unwrap();
    object.insert(key.into(), json!("echo approved instead"));
    edit
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_runs_where_the_agent_can_and_is_refused_in_words_elsewhere() {
    let hooks = Hooks::new("edit", "").await;
    for (agent, file, _) in EVENTS {
        let event = fixture(agent, file);
        let decided = hooks.run(agent, file, &event, &[]);
        let reviewer = async {
            let request = hooks.next_pending().await;
            let edit = edited(&request.details);
            hooks
                .emulator
                .approve_with(&request.id, edit.clone())
                .unwrap();
            edit
        };
        let (seen, edit) = tokio::join!(decided, reviewer);
        let runs_edits = matches!(
            (*agent, *file),
            ("claude-code", _) | ("codex", "PreToolUse.json") | ("gemini", _)
        );
        if runs_edits {
            assert_eq!(seen.decision, "allow", "{agent} {file}: {}", seen.raw);
            assert_eq!(seen.input, Some(edit), "{agent} {file}: {}", seen.raw);
        } else {
            assert_eq!(seen.decision, "deny", "{agent} {file}: {}", seen.raw);
            if *file != "beforeReadFile.json" {
                let reason = &seen.reason;
                assert!(
                    reason.contains("cannot run a call with another input"),
                    "{reason}"
                );
                assert!(reason.contains("echo approved instead"), "{reason}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejection_is_each_agents_deny_with_the_note() {
    let hooks = Hooks::new("reject", "").await;
    for (agent, file, _) in EVENTS {
        let event = fixture(agent, file);
        let decided = hooks.run(agent, file, &event, &[]);
        let reviewer = async {
            let request = hooks.next_pending().await;
            hooks
                .emulator
                .reject(&request.id, "not on a Friday")
                .unwrap();
        };
        let (seen, ()) = tokio::join!(decided, reviewer);
        assert_eq!(seen.decision, "deny", "{agent} {file}: {}", seen.raw);
        if *file != "beforeReadFile.json" {
            assert!(seen.reason.contains("not on a Friday"), "{}", seen.raw);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_decision_in_time_is_a_deny_or_an_ask_only_where_honoured() {
    let hooks = Hooks::new("timeout", "timeout = 1\n").await;
    for (agent, file, _) in EVENTS {
        let event = fixture(agent, file);
        let denied = hooks.run(agent, file, &event, &[]).await;
        assert_eq!(denied.decision, "deny", "{agent} {file}: {}", denied.raw);
        if *file != "beforeReadFile.json" {
            assert!(denied.reason.contains("No decision"), "{}", denied.raw);
        }
        let asked = hooks
            .run(agent, file, &event, &["--on-timeout", "ask"])
            .await;
        let honours_ask = matches!(
            (*agent, *file),
            ("claude-code", _)
                | (
                    "cursor",
                    "beforeShellExecution.json" | "beforeMCPExecution.json"
                )
        );
        let expected = if honours_ask { "ask" } else { "deny" };
        assert_eq!(asked.decision, expected, "{agent} {file}: {}", asked.raw);
    }
    // The second run of each event re-attached to the first's request.
    assert_eq!(hooks.emulator.created_count(), EVENTS.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_service_down_is_each_agents_deny() {
    let hooks = Hooks::new("down", "").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    for (agent, file, _) in EVENTS {
        let event = fixture(agent, file);
        let seen = hooks.run_at(agent, file, &event, &[], &url).await;
        assert_eq!(seen.decision, "deny", "{agent} {file}: {}", seen.raw);
        if *file != "beforeReadFile.json" {
            assert!(seen.reason.contains("approval service"), "{}", seen.raw);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_or_unknown_event_is_each_agents_deny_naming_what_it_could_not_read() {
    let hooks = Hooks::new("malformed", "").await;
    let unknown = [
        ("claude-code", "PostToolUse"),
        ("codex", "Stop"),
        ("gemini", "AfterTool"),
        ("cursor", "afterFileEdit"),
        ("copilot", "sessionStart"),
    ];
    for (agent, other) in unknown {
        for bad in [
            String::new(),
            "not json".into(),
            json!({"hook_event_name": other, "tool_name": "Bash", "tool_input": {}}).to_string(),
        ] {
            let seen = hooks.run(agent, "unknown", &bad, &[]).await;
            assert_eq!(seen.decision, "deny", "{agent} {bad}: {}", seen.raw);
            assert!(
                seen.reason.contains("could not read the event"),
                "{}",
                seen.raw
            );
        }
        let named = json!({"hook_event_name": other, "tool_name": "Bash", "tool_input": {}});
        let seen = hooks.run(agent, "unknown", &named.to_string(), &[]).await;
        assert!(seen.reason.contains(other), "{agent}: {}", seen.raw);
    }
    assert_eq!(hooks.emulator.created_count(), 0);
}

/// Claude Code's built-in tools: an edit is checked against the tool's own input schema, so an
/// optional key it takes may be added; the refusal names the real rule.
#[tokio::test(flavor = "multi_thread")]
async fn a_claude_code_edit_fits_the_tools_own_schema() {
    let hooks = Hooks::new("schema", "").await;
    let event = |tool: &str, input: Value| {
        json!({"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": tool,
            "tool_input": input, "tool_use_id": "t"})
        .to_string()
    };
    let cases = [
        (
            event("Bash", json!({"command": "npm test"})),
            json!({"command": "npm test", "timeout": 120000, "description": "Run tests", "run_in_background": true}),
            None,
        ),
        (
            event(
                "Edit",
                json!({"file_path": "/a", "old_string": "x", "new_string": "y"}),
            ),
            json!({"file_path": "/a", "old_string": "x", "new_string": "y", "replace_all": true}),
            None,
        ),
        (
            event("Bash", json!({"command": "ls"})),
            json!({"command": "ls", "timeout": "soon"}),
            Some("`/timeout`: Bash does not take it: \"soon\" is not of type \"number\""),
        ),
        (
            event("mcp__db__query", json!({"sql": "select 1"})),
            json!({"sql": "select 1", "limit": 5}),
            Some(
                "`/limit`: the edit added `limit`; cheqpoint has no input schema for mcp__db__query",
            ),
        ),
    ];
    for (sent, edit, refused) in cases {
        let decided = hooks.run("claude-code", "PreToolUse.json", &sent, &[]);
        let reviewer = async {
            let request = hooks.next_pending().await;
            hooks
                .emulator
                .approve_with(&request.id, edit.clone())
                .unwrap();
        };
        let (seen, ()) = tokio::join!(decided, reviewer);
        match refused {
            None => {
                assert_eq!(seen.decision, "allow", "{}", seen.raw);
                assert_eq!(seen.input, Some(edit), "{}", seen.raw);
            }
            Some(rule) => {
                assert_eq!(seen.decision, "deny", "{}", seen.raw);
                assert!(seen.reason.contains(rule), "{}", seen.raw);
            }
        }
    }
}

/// Claude Code makes a new `tool_use_id` for a retry: the retry after a timeout re-attaches to
/// the request still pending instead of asking again.
#[tokio::test(flavor = "multi_thread")]
async fn a_retry_with_a_new_tool_use_id_reattaches() {
    let hooks = Hooks::new("retry", "timeout = 1\n").await;
    let event = fixture("claude-code", "PreToolUse.json");
    let first = hooks
        .run("claude-code", "PreToolUse.json", &event, &[])
        .await;
    assert_eq!(first.decision, "deny", "{}", first.raw);
    let retry = event.replace("toolu_01ABC123", "toolu_02DEF456");
    let decided = hooks.run("claude-code", "PreToolUse.json", &retry, &[]);
    let reviewer = async {
        let request = hooks.next_pending().await;
        hooks.emulator.approve(&request.id).unwrap();
    };
    let (seen, ()) = tokio::join!(decided, reviewer);
    assert_eq!(seen.decision, "allow", "{}", seen.raw);
    assert_eq!(hooks.emulator.created_count(), 1);
}

/// The same call made again once the first has ended (approved and allowed) is a new call:
/// asked anew, the reviewer told what became of the first, and allowed again on approval.
#[tokio::test(flavor = "multi_thread")]
async fn the_same_call_again_later_is_asked_anew() {
    let hooks = Hooks::new("repeat", "").await;
    let event = fixture("claude-code", "PreToolUse.json");
    for (round, tool_use) in ["toolu_01ABC123", "toolu_09XYZ"].into_iter().enumerate() {
        let sent = event.replace("toolu_01ABC123", tool_use);
        let decided = hooks.run("claude-code", "PreToolUse.json", &sent, &[]);
        let reviewer = async {
            let request = hooks.next_pending().await;
            let why = request.justification.clone().unwrap_or_default();
            assert_eq!(
                round == 1,
                why.contains("Asked before: approved and ran"),
                "{why}"
            );
            hooks.emulator.approve(&request.id).unwrap();
        };
        let (seen, ()) = tokio::join!(decided, reviewer);
        assert_eq!(seen.decision, "allow", "{}", seen.raw);
    }
    assert_eq!(hooks.emulator.created_count(), 2);
}

/// The table every door shares (`fixtures/rules.toml`), at Claude Code's `Write`: under
/// /srv/tmp is allowed with no request, under /etc denied with the rule's reason and no request,
/// anything else asked.
#[tokio::test(flavor = "multi_thread")]
async fn rules_allow_deny_and_ask_by_the_arguments() {
    let hooks = Hooks::new("rules", include_str!("fixtures/rules.toml")).await;
    let write = |path: &str| {
        json!({
            "session_id": "rules-1",
            "cwd": "/srv",
            "hook_event_name": "PreToolUse",
            "tool_name": "Write",
            "tool_input": {"file_path": path, "content": "x"},
            "tool_use_id": format!("toolu_{path}")
        })
        .to_string()
    };
    let allowed = hooks
        .run("claude-code", "PreToolUse.json", &write("/srv/tmp/a"), &[])
        .await;
    assert_eq!(allowed.decision, "allow", "{}", allowed.raw);
    let denied = hooks
        .run(
            "claude-code",
            "PreToolUse.json",
            &write("/etc/../etc/passwd"),
            &[],
        )
        .await;
    assert_eq!(denied.decision, "deny", "{}", denied.raw);
    assert!(
        denied.reason.contains("nothing under /etc is touched")
            && denied.reason.contains("line 11"),
        "{}",
        denied.raw
    );
    assert_eq!(hooks.emulator.created_count(), 0, "a rule's call was asked");
    let asked = write("/srv/tmp/../other");
    let decided = hooks.run("claude-code", "PreToolUse.json", &asked, &[]);
    let reviewer = async {
        let request = hooks.next_pending().await;
        hooks.emulator.approve(&request.id).unwrap();
    };
    let (seen, ()) = tokio::join!(decided, reviewer);
    assert_eq!(seen.decision, "allow", "{}", seen.raw);
    assert_eq!(hooks.emulator.created_count(), 1);
}

/// `{cwd}` in a rule is the folder the event names, not the hook process's: with the hook run
/// in another folder, a file in the session's folder is allowed and one in the hook's own
/// folder is denied, at each agent whose event names a file (Codex's events name none).
#[tokio::test(flavor = "multi_thread")]
async fn a_path_rule_reads_the_events_own_cwd() {
    let hooks = Hooks::new(
        "cwd",
        "default = \"allow\"\n\n[[rule]]\ntool = \"Write|write_file|ReadFile|edit\"\n\
         path = { outside = \"{cwd}\" }\ndecide = \"deny\"\nreason = \"outside the session's folder\"\n",
    )
    .await;
    let project = hooks.dir.join("project");
    std::fs::create_dir_all(&project).unwrap();
    let events = |file: &str| {
        let (cwd, path) = (project.display().to_string(), file.to_owned());
        [
            (
                "claude-code",
                "PreToolUse.json",
                json!({"session_id": "s", "cwd": cwd,
                "hook_event_name": "PreToolUse", "tool_name": "Write",
                "tool_input": {"file_path": path, "content": "x"}, "tool_use_id": "t"}),
            ),
            (
                "gemini",
                "BeforeTool.json",
                json!({"session_id": "s", "cwd": cwd,
                "hook_event_name": "BeforeTool", "tool_name": "write_file",
                "tool_input": {"file_path": path, "content": "x"}}),
            ),
            (
                "cursor",
                "beforeReadFile.json",
                json!({"conversation_id": "c",
                "hook_event_name": "beforeReadFile", "workspace_roots": [cwd],
                "file_path": path, "content": ""}),
            ),
            (
                "copilot",
                "preToolUse.json",
                json!({"timestamp": 1, "cwd": cwd, "toolName": "edit",
                "toolArgs": json!({"path": path, "old_str": "a", "new_str": "b"}).to_string()}),
            ),
        ]
    };
    let inside = project.join("a.txt").display().to_string();
    let beside_the_hook = hooks.dir.join("b.txt").display().to_string();
    for (agent, file, event) in events(&inside) {
        let seen = hooks.run(agent, file, &event.to_string(), &[]).await;
        assert_eq!(seen.decision, "allow", "{agent}: {}", seen.raw);
    }
    for (agent, file, event) in events(&beside_the_hook) {
        let seen = hooks.run(agent, file, &event.to_string(), &[]).await;
        assert_eq!(seen.decision, "deny", "{agent}: {}", seen.raw);
        // Cursor's beforeReadFile answer has no words: the rule's reason is on stderr.
        assert!(
            seen.raw.contains("outside the session's folder"),
            "{agent}: {}",
            seen.raw
        );
    }
    assert_eq!(hooks.emulator.created_count(), 0, "a rule's call was asked");
}
