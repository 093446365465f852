//! The real coding agents, with the hook `cheqpoint install` wrote, each driven by a stand-in
//! model API on loopback that asks for one shell command and then ends its turn, the emulator
//! deciding: what really ran is read from the disk. Approved → the command ran; edited → the
//! edited command ran; rejected → nothing ran and the model read the note; the service down →
//! nothing ran.
//!
//! The agents are the versions `.ci/run` installs under `target/agents` (or `CHEQPOINT_AGENTS`);
//! where one is missing its tests show as ignored with the line that installs it, and fail under
//! `CI=true`.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    body::Body,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use cheqpoint_emulator::Emulator;
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use serde_json::{Value, json};

/// Claude Code as `.ci/run` installs it.
const CLAUDE: &str = "npm install --prefix target/agents @anthropic-ai/claude-code@2.1.328";

/// The longest an agent's run lasts here.
const RUN: Duration = Duration::from_secs(120);

fn main() -> std::process::ExitCode {
    let arguments = Arguments::from_args();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let missing =
        (!agent_bin("claude").is_file()).then(|| format!("Claude Code is not installed: {CLAUDE}"));
    let trial = |name: &'static str, body: fn(Scenario) -> Result<(), String>, scenario| {
        let missing = missing.clone();
        let listed_ignored = arguments.list && missing.is_some() && !ci;
        Trial::ignorable_test(name, move || match missing {
            Some(missing) if ci => Err(Failed::from(format!("{missing} (CI runs every test)"))),
            Some(missing) => Ok(Completion::ignored_with(missing)),
            None => {
                body(scenario)?;
                Ok(Completion::Completed)
            }
        })
        .with_ignored_flag(listed_ignored)
    };
    let trials = vec![
        trial(
            "claude_code_runs_an_approved_command",
            claude_code,
            Scenario::Approve,
        ),
        trial(
            "claude_code_runs_the_edited_command",
            claude_code,
            Scenario::Edit,
        ),
        trial(
            "claude_code_runs_nothing_rejected_and_reads_the_note",
            claude_code,
            Scenario::Reject,
        ),
        trial(
            "claude_code_runs_nothing_with_the_service_down",
            claude_code,
            Scenario::Down,
        ),
    ];
    libtest_mimic::run(&arguments, trials).exit_code()
}

/// What the reviewer (or the service) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Approve,
    Edit,
    Reject,
    Down,
}

fn agents_dir() -> PathBuf {
    std::env::var_os("CHEQPOINT_AGENTS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/agents"),
        PathBuf::from,
    )
}

fn agent_bin(name: &str) -> PathBuf {
    agents_dir().join("node_modules/.bin").join(name)
}

/// The stand-in model: the command it asks for, and every tool result it is sent.
#[derive(Clone)]
struct Model {
    command: String,
    results: Arc<Mutex<Vec<String>>>,
}

/// An Anthropic Messages API that answers a turn with no tool result by asking for Bash with
/// `command`, and a turn carrying a tool result with a short text (streamed when asked).
async fn messages(State(model): State<Model>, Json(body): Json<Value>) -> Response {
    let results: Vec<String> = body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|message| message["content"].as_array())
        .flatten()
        .filter(|block| block["type"] == "tool_result")
        .map(|block| block["content"].to_string())
        .collect();
    let offers_bash = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|tool| tool["name"] == "Bash");
    let (block, stop) = if results.is_empty() && offers_bash {
        let input = json!({"command": model.command, "description": "Mark the folder"});
        (
            json!({"type": "tool_use", "id": "toolu_standin", "name": "Bash", "input": input}),
            "tool_use",
        )
    } else {
        if let Ok(mut seen) = model.results.lock() {
            seen.extend(results);
        }
        (json!({"type": "text", "text": "done"}), "end_turn")
    };
    let mut message = json!({"id": "msg_standin", "type": "message", "role": "assistant",
        "model": body["model"], "content": [], "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": 1, "output_tokens": 1}});
    if body["stream"] != true {
        message["content"] = json!([block]);
        message["stop_reason"] = json!(stop);
        return Json(message).into_response();
    }
    let (start, delta) = match block["type"].as_str() {
        Some("tool_use") => (
            json!({"type": "tool_use", "id": block["id"], "name": "Bash", "input": {}}),
            json!({"type": "input_json_delta", "partial_json": block["input"].to_string()}),
        ),
        _ => (
            json!({"type": "text", "text": ""}),
            json!({"type": "text_delta", "text": block["text"]}),
        ),
    };
    let events = [
        (
            "message_start",
            json!({"type": "message_start", "message": message}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": start}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": delta}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": 1}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ];
    let text: String = events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect();
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from(text))
        .unwrap_or_default()
}

async fn serve_model(model: Model) -> Result<SocketAddr, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let app = Router::new()
        .route("/v1/messages", post(messages))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(model);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

/// A folder of the test's own, removed at the end.
struct Folder(PathBuf);

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn claude_code(scenario: Scenario) -> Result<(), String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(claude_code_run(scenario))
}

async fn claude_code_run(scenario: Scenario) -> Result<(), String> {
    let root = std::env::temp_dir().join(format!(
        "cheqpoint-agent-claude-{scenario:?}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    let folder = Folder(root.clone());
    let (project, home) = (folder.0.join("project"), folder.0.join("home"));
    for dir in [&project, &home] {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(
        project.join("gate.toml"),
        "timeout = 30\n[tools.Bash]\nrisk = 0.6\n",
    )
    .map_err(|e| e.to_string())?;
    let asked = root.join("asked");
    let edited = root.join("edited");
    let emulator = Emulator::start().await.map_err(|e| e.to_string())?;
    let service = match scenario {
        Scenario::Down => {
            let closed = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            format!("http://{}", closed.local_addr().map_err(|e| e.to_string())?)
        }
        _ => emulator.url(),
    };
    let cheqpoint = PathBuf::from(env!("CARGO_BIN_EXE_cheqpoint"));
    let path = std::env::join_paths(
        [cheqpoint
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()]
        .into_iter()
        .chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .map_err(|e| e.to_string())?;
    let install = std::process::Command::new(&cheqpoint)
        .args(["install", "claude-code", "--config", "gate.toml"])
        .current_dir(&project)
        .env("HOME", &home)
        .output()
        .map_err(|e| e.to_string())?;
    if !install.status.success() {
        return Err(format!("install failed: {install:?}"));
    }
    let model = Model {
        command: format!("touch {}", asked.display()),
        results: Arc::default(),
    };
    let api = serve_model(model.clone()).await?;
    let agent = tokio::process::Command::new(agent_bin("claude"))
        .args(["-p", "Mark the folder.", "--output-format", "json"])
        .current_dir(&project)
        .env("HOME", &home)
        .env("PATH", &path)
        .env("ANTHROPIC_BASE_URL", format!("http://{api}"))
        .env("ANTHROPIC_API_KEY", "sk-ant-standin")
        .env("CHEQPOINT_API_KEY", "cq_test_agents")
        .env("CHEQPOINT_BASE_URL", &service)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let reviewer = async {
        if scenario == Scenario::Down {
            return Ok(());
        }
        let request = emulator
            .next_pending(RUN)
            .await
            .ok_or("no request reached the reviewer")?;
        if request.action != "claude_code.Bash" || request.details["command"] != model.command {
            return Err(format!("asked for {} {}", request.action, request.details));
        }
        let decided = match scenario {
            Scenario::Edit => emulator.approve_with(
                &request.id,
                json!({"command": format!("touch {}", edited.display()), "description": "Mark the folder"}),
            ),
            Scenario::Reject => emulator.reject(&request.id, "not in this folder"),
            _ => emulator.approve(&request.id),
        };
        decided.map(|_| ()).map_err(|e| e.to_string())
    };
    let (output, reviewed) = tokio::join!(tokio::time::timeout(RUN, agent), reviewer);
    reviewed?;
    let output = output
        .map_err(|_| "Claude Code did not finish in time".to_owned())?
        .map_err(|e| e.to_string())?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let results = model
        .results
        .lock()
        .map(|r| r.join("\n"))
        .unwrap_or_default();
    let ran = (asked.exists(), edited.exists());
    let expected = match scenario {
        Scenario::Approve => (true, false),
        Scenario::Edit => (false, true),
        Scenario::Reject | Scenario::Down => (false, false),
    };
    if ran != expected {
        return Err(format!(
            "ran (asked, edited) = {ran:?}, not {expected:?}\nagent: {said}\nthe model read: {results}"
        ));
    }
    let read = match scenario {
        Scenario::Reject => "not in this folder",
        Scenario::Down => "approval service",
        _ => "",
    };
    if !results.contains(read) {
        return Err(format!("the model did not read `{read}`: {results}"));
    }
    Ok(())
}
