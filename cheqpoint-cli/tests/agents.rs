//! The real coding agents, with the hook `cheqpoint install` wrote, each driven by a stand-in
//! model API on loopback that asks for one shell command and then ends its turn, the emulator
//! deciding: what really ran is read from the disk. Approved → the command ran; edited → the
//! edited command ran (where the agent can run an edit); rejected → nothing ran and the model
//! read the note; the service down → nothing ran.
//!
//! - Claude Code 2.1.328: `claude -p`, the hook in the project's `.claude/settings.json`, a
//!   stand-in Anthropic Messages API (streamed) asking for `Bash`.
//! - Codex 0.169.0: `codex exec`, the hook in `~/.codex/config.toml` beside a model provider on a
//!   stand-in Responses API asking for `exec_command`; run with
//!   `--dangerously-bypass-hook-trust` (a new hook otherwise waits for a person to trust it in
//!   `/hooks`) and without Codex's own sandbox and approvals, which this machine may not offer:
//!   the hook is what gates.
//! - Gemini CLI 0.61.0: `gemini -p --yolo` (every call allowed by Gemini CLI itself: the hook is
//!   what gates), API-key auth with `GOOGLE_GEMINI_BASE_URL` on a stand-in Gemini API (its router
//!   first asks, with no tools, for a choice of model), the hook in `.gemini/settings.json`.
//! - Copilot CLI 1.0.102: `copilot -p --allow-all-tools --trust-folder` (every call allowed by
//!   Copilot CLI itself: the hook is what gates; a repository's hooks run only in a trusted
//!   folder), offline (`COPILOT_OFFLINE`), on a custom model provider of
//!   the Anthropic type (`COPILOT_PROVIDER_TYPE`, `COPILOT_PROVIDER_BASE_URL`: no GitHub sign-in)
//!   that is the same stand-in Messages API asking for its `bash`, the hook in
//!   `.github/hooks/cheqpoint.json`. Copilot takes no edited input: an edit runs nothing, and the
//!   model reads the approved input.
//!
//! With `install --mcp`, each agent starts an MCP server (server-everything, as `.ci/run`
//! installs it; Claude Code's in its "local" scope when approved, in `.mcp.json` when rejected)
//! through `cheqpoint mcp`, and the stand-in model calls its `echo` (Codex offers it in a
//! namespace, `mcp__everything`): approved, the model reads the echo; rejected, it reads the note
//! and nothing echoed. The emulator takes only the key the agent was given, so this also checks
//! the key reaching the gateway: Codex's `env_vars`, the reference in Gemini CLI's `env` (it
//! withholds variables named like a key), Claude Code's and Copilot CLI's own environment.
//!
//! Each `gate.toml` names the agent's own shell tool (`Bash`, `run_shell_command`): the hook's
//! matcher is made from it, and a name of another agent's tool would leave the shell ungated.
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

/// The agents driven here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ClaudeCode,
    Codex,
    Gemini,
    Copilot,
}

impl Kind {
    /// As `cheqpoint hook` and `install` name it.
    fn name(self) -> &'static str {
        match self {
            Kind::ClaudeCode => "claude-code",
            Kind::Codex => "codex",
            Kind::Gemini => "gemini",
            Kind::Copilot => "copilot",
        }
    }

    fn program(self) -> PathBuf {
        agent_bin(match self {
            Kind::ClaudeCode => "claude",
            Kind::Codex => "codex",
            Kind::Gemini => "gemini",
            Kind::Copilot => "copilot",
        })
    }

    /// Why it cannot run here, with the line that installs it as `.ci/run` does.
    fn missing(self) -> Option<String> {
        let (what, package) = match self {
            Kind::ClaudeCode => ("Claude Code", "@anthropic-ai/claude-code@2.1.328"),
            Kind::Codex => ("Codex", "@openai/codex@0.169.0"),
            Kind::Gemini => ("Gemini CLI", "@google/gemini-cli@0.61.0"),
            Kind::Copilot => ("Copilot CLI", "@github/copilot@1.0.102"),
        };
        (!self.program().is_file()).then(|| {
            format!("{what} is not installed: npm install --prefix target/agents {package}")
        })
    }
}

/// The longest an agent's run lasts here.
const RUN: Duration = Duration::from_secs(60);

fn main() -> std::process::ExitCode {
    let arguments = Arguments::from_args();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let trial = |name: &'static str, kind: Kind, scenario: Scenario| {
        let missing = kind.missing().or_else(|| {
            (scenario.mcp() && !everything().is_file()).then(|| {
                "the everything server is not installed: npm install --prefix target/mcp-everything @modelcontextprotocol/server-everything@2026.8.31".to_owned()
            })
        });
        let listed_ignored = arguments.list && missing.is_some() && !ci;
        Trial::ignorable_test(name, move || match missing {
            Some(missing) if ci => Err(Failed::from(format!("{missing} (CI runs every test)"))),
            Some(missing) => Ok(Completion::ignored_with(missing)),
            None => {
                drive(kind, scenario)?;
                Ok(Completion::Completed)
            }
        })
        .with_ignored_flag(listed_ignored)
    };
    let trials = vec![
        trial(
            "claude_code_runs_an_approved_command",
            Kind::ClaudeCode,
            Scenario::Approve,
        ),
        trial(
            "claude_code_runs_the_edited_command",
            Kind::ClaudeCode,
            Scenario::Edit,
        ),
        trial(
            "claude_code_runs_nothing_rejected_and_reads_the_note",
            Kind::ClaudeCode,
            Scenario::Reject,
        ),
        trial(
            "claude_code_runs_nothing_with_the_service_down",
            Kind::ClaudeCode,
            Scenario::Down,
        ),
        trial(
            "codex_runs_an_approved_command",
            Kind::Codex,
            Scenario::Approve,
        ),
        trial("codex_runs_the_edited_command", Kind::Codex, Scenario::Edit),
        trial(
            "codex_runs_nothing_rejected_and_reads_the_note",
            Kind::Codex,
            Scenario::Reject,
        ),
        trial(
            "codex_runs_nothing_with_the_service_down",
            Kind::Codex,
            Scenario::Down,
        ),
        trial(
            "gemini_runs_an_approved_command",
            Kind::Gemini,
            Scenario::Approve,
        ),
        trial(
            "gemini_runs_the_edited_command",
            Kind::Gemini,
            Scenario::Edit,
        ),
        trial(
            "gemini_runs_nothing_rejected_and_reads_the_note",
            Kind::Gemini,
            Scenario::Reject,
        ),
        trial(
            "gemini_runs_nothing_with_the_service_down",
            Kind::Gemini,
            Scenario::Down,
        ),
        trial(
            "claude_code_runs_a_granted_command_with_nobody_asked",
            Kind::ClaudeCode,
            Scenario::Granted,
        ),
        trial(
            "codex_runs_a_granted_command_with_nobody_asked",
            Kind::Codex,
            Scenario::Granted,
        ),
        trial(
            "gemini_runs_a_granted_command_with_nobody_asked",
            Kind::Gemini,
            Scenario::Granted,
        ),
        trial(
            "copilot_runs_a_granted_command_with_nobody_asked",
            Kind::Copilot,
            Scenario::Granted,
        ),
        trial(
            "claude_code_calls_a_wrapped_mcp_server_once_approved",
            Kind::ClaudeCode,
            Scenario::McpApprove,
        ),
        trial(
            "claude_code_reads_the_note_of_a_rejected_mcp_call",
            Kind::ClaudeCode,
            Scenario::McpReject,
        ),
        trial(
            "gemini_calls_a_wrapped_mcp_server_once_approved",
            Kind::Gemini,
            Scenario::McpApprove,
        ),
        trial(
            "gemini_reads_the_note_of_a_rejected_mcp_call",
            Kind::Gemini,
            Scenario::McpReject,
        ),
        trial(
            "codex_calls_a_wrapped_mcp_server_once_approved",
            Kind::Codex,
            Scenario::McpApprove,
        ),
        trial(
            "codex_reads_the_note_of_a_rejected_mcp_call",
            Kind::Codex,
            Scenario::McpReject,
        ),
        trial(
            "copilot_calls_a_wrapped_mcp_server_once_approved",
            Kind::Copilot,
            Scenario::McpApprove,
        ),
        trial(
            "copilot_reads_the_note_of_a_rejected_mcp_call",
            Kind::Copilot,
            Scenario::McpReject,
        ),
        trial(
            "copilot_runs_an_approved_command",
            Kind::Copilot,
            Scenario::Approve,
        ),
        trial(
            "copilot_runs_nothing_edited_and_reads_the_approved_input",
            Kind::Copilot,
            Scenario::Edit,
        ),
        trial(
            "copilot_runs_nothing_rejected_and_reads_the_note",
            Kind::Copilot,
            Scenario::Reject,
        ),
        trial(
            "copilot_runs_nothing_with_the_service_down",
            Kind::Copilot,
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
    /// A grant asked from a shell before the run (`cheqpoint grant ask`) covers the call: it
    /// runs with nobody asked.
    Granted,
    /// The model calls the MCP server `install --mcp` wrapped, and the call is approved …
    McpApprove,
    /// … or rejected.
    McpReject,
}

impl Scenario {
    fn mcp(self) -> bool {
        matches!(self, Scenario::McpApprove | Scenario::McpReject)
    }
}

/// The MCP server the `--mcp` scenarios wrap: server-everything, as `.ci/run` installs it.
fn everything() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../target/mcp-everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
    )
}

/// What the model asks the MCP server to echo.
const ECHOED: &str = "hello through the gateway";

fn agents_dir() -> PathBuf {
    std::env::var_os("CHEQPOINT_AGENTS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/agents"),
        PathBuf::from,
    )
}

fn agent_bin(name: &str) -> PathBuf {
    agents_dir().join("node_modules/.bin").join(name)
}

/// The stand-in model: the command it asks for (or, with `echo`, the MCP tool `echo` it calls
/// with that message), and every tool result it is sent.
#[derive(Clone)]
struct Model {
    command: String,
    echo: Option<String>,
    results: Arc<Mutex<Vec<String>>>,
}

impl Model {
    /// Of the tools a request offers (`names`), the one to call and its input: the MCP server's
    /// `echo` (`mcp__everything__echo`, `mcp_everything_echo`, `everything-echo`, Codex's
    /// `mcp__everything/echo`) when the model is to
    /// call it, else the agent's `shell`.
    fn pick<'a>(
        &self,
        mut names: impl Iterator<Item = &'a str>,
        shell: &str,
    ) -> Option<(String, Value)> {
        match &self.echo {
            Some(message) => names
                .find(|name| name.ends_with("echo"))
                .map(|name| (name.to_owned(), json!({"message": message}))),
            None => names
                .find(|name| name.eq_ignore_ascii_case(shell))
                .map(|name| {
                    let input = json!({"command": self.command, "description": "Mark the folder"});
                    (name.to_owned(), input)
                }),
        }
    }
}

/// An Anthropic Messages API that answers a turn with no tool result by asking for the shell
/// (`Bash`, or Copilot CLI's `bash`) with `command`, and a turn carrying a tool result with a short text (streamed when asked).
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
    // Claude Code's shell is `Bash`, Copilot CLI's `bash`.
    let names = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tool| tool["name"].as_str());
    let (block, stop) =
        if let (true, Some((name, input))) = (results.is_empty(), model.pick(names, "bash")) {
            (
                json!({"type": "tool_use", "id": "toolu_standin", "name": name, "input": input}),
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
            json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}),
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
    sse(&events)
}

/// An OpenAI Responses API that answers a turn with no function output by calling Codex's
/// `exec_command` with `command` (or the MCP `echo`), and a turn carrying one with a short text, streamed.
async fn responses(State(model): State<Model>, Json(body): Json<Value>) -> Response {
    let items = body["input"].as_array().cloned().unwrap_or_default();
    let results: Vec<String> = items
        .iter()
        .filter(|item| item["type"] == "function_call_output")
        .map(|item| item["output"].to_string())
        .collect();
    // Codex offers an MCP server's tools in a namespace of their own (`mcp__everything`), named
    // here `NAMESPACE/TOOL`.
    let names: Vec<String> = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|tool| match tool["tools"].as_array() {
            Some(inner) => inner
                .iter()
                .filter_map(|t| t["name"].as_str())
                .map(|name| format!("{}/{name}", tool["name"].as_str().unwrap_or_default()))
                .collect::<Vec<_>>(),
            None => tool["name"]
                .as_str()
                .map(str::to_owned)
                .into_iter()
                .collect(),
        })
        .collect();
    // Codex's shell takes `cmd`, not the `command` the other agents' shells take.
    let call = model
        .pick(names.iter().map(String::as_str), "exec_command")
        .map(|(name, input)| match model.echo {
            Some(_) => (name, input),
            None => (name, json!({"cmd": model.command})),
        });
    let item = if let (true, Some((name, input))) = (results.is_empty(), call) {
        let mut item = json!({"type": "function_call", "id": "fc_standin",
            "call_id": "call_standin", "name": name, "arguments": input.to_string()});
        if let Some((namespace, tool)) = name.split_once('/') {
            item["namespace"] = json!(namespace);
            item["name"] = json!(tool);
        }
        item
    } else {
        if let Ok(mut seen) = model.results.lock() {
            seen.extend(results);
        }
        json!({"type": "message", "role": "assistant", "id": "msg_standin",
            "content": [{"type": "output_text", "text": "done", "annotations": []}]})
    };
    let usage = json!({"input_tokens": 1, "output_tokens": 1, "total_tokens": 2,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0}});
    let events = [
        (
            "response.created",
            json!({"type": "response.created", "response": {"id": "resp_standin"}}),
        ),
        (
            "response.output_item.done",
            json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
        ),
        (
            "response.completed",
            json!({"type": "response.completed", "response": {"id": "resp_standin", "usage": usage}}),
        ),
    ];
    sse(&events)
}

/// A Gemini API (`models/MODEL:generateContent` and `:streamGenerateContent`) that answers a turn
/// offering `run_shell_command` (or the MCP `echo`) with no function response by calling it, a turn
/// carrying one with a short text, and Gemini CLI's router (no tools) with its choice of model.
async fn generate(State(model): State<Model>, Json(body): Json<Value>) -> Response {
    let parts: Vec<Value> = body["contents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|content| content["parts"].as_array())
        .flatten()
        .cloned()
        .collect();
    let results: Vec<String> = parts
        .iter()
        .filter_map(|part| part.get("functionResponse"))
        .map(Value::to_string)
        .collect();
    let names = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tool| tool["functionDeclarations"].as_array())
        .flatten()
        .filter_map(|function| function["name"].as_str());
    let call = model.pick(names, "run_shell_command");
    let part = match (call, results.is_empty()) {
        (Some((name, args)), true) => json!({"functionCall": {"name": name, "args": args}}),
        (Some(_), false) => {
            if let Ok(mut seen) = model.results.lock() {
                seen.extend(results);
            }
            json!({"text": "done"})
        }
        (None, _) => {
            json!({"text": json!({"reasoning": "a small task", "model_choice": "flash"}).to_string()})
        }
    };
    let answer = json!({"candidates": [{"content": {"role": "model", "parts": [part]},
        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2}});
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from(format!("data: {answer}\r\n\r\n")))
        .unwrap_or_default()
}

/// The Gemini API's two methods: the streamed one answers in server-sent events.
async fn gemini_api(
    state: State<Model>,
    axum::extract::Path(call): axum::extract::Path<String>,
    body: Json<Value>,
) -> Response {
    let response = generate(state, body).await;
    if call.ends_with(":streamGenerateContent") {
        return response;
    }
    // `generateContent` (the router): the same answer as plain JSON.
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let json = text.trim().trim_start_matches("data: ").to_owned();
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json))
        .unwrap_or_default()
}

/// Server-sent events, one a `(name, data)`.
fn sse(events: &[(&str, Value)]) -> Response {
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
        .route("/v1/responses", post(responses))
        .route("/v1beta/models/{call}", post(gemini_api))
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

fn drive(kind: Kind, scenario: Scenario) -> Result<(), String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(run(kind, scenario))
}

async fn run(kind: Kind, scenario: Scenario) -> Result<(), String> {
    let root = std::env::temp_dir().join(format!(
        "cheqpoint-agent-{}-{scenario:?}-{}",
        kind.name(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    let folder = Folder(root.clone());
    let (project, home) = (folder.0.join("project"), folder.0.join("home"));
    for dir in [&project, &home] {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    // gate.toml names the agent's own tool: the hook's matcher is made from it.
    let shell = match kind {
        Kind::ClaudeCode | Kind::Codex => "Bash",
        Kind::Gemini => "run_shell_command",
        Kind::Copilot => "bash",
    };
    let mut gate = format!("timeout = 30\n[tools.{shell}]\nrisk = 0.6\n");
    if kind == Kind::Copilot && scenario.mcp() {
        // Copilot's hook has no matcher: the wrapped server's tools are left to the gateway.
        gate.push_str("\n[[rule]]\ntool = \"everything-*\"\ndecide = \"allow\"\n");
    }
    std::fs::write(project.join("gate.toml"), gate).map_err(|e| e.to_string())?;
    let asked = root.join("asked");
    let edited = root.join("edited");
    // Only the key the agent was given is taken: a key that did not reach the hook or the
    // gateway (an unexpanded reference, say) is refused.
    let emulator = Emulator::builder()
        .api_key("cq_test_agents")
        .start()
        .await
        .map_err(|e| e.to_string())?;
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
    let model = Model {
        command: format!("touch {}", asked.display()),
        echo: scenario.mcp().then(|| ECHOED.to_owned()),
        results: Arc::default(),
    };
    let api = serve_model(model.clone()).await?;
    if kind == Kind::Codex {
        // A model provider on the stand-in; the hook is added to this file by install --user.
        let codex = home.join(".codex");
        std::fs::create_dir_all(&codex).map_err(|e| e.to_string())?;
        let mut provider = format!(
            "model = \"standin\"\nmodel_provider = \"standin\"\n\n[model_providers.standin]\n\
             name = \"Stand-in\"\nbase_url = \"http://{api}/v1\"\nwire_api = \"responses\"\n\
             env_key = \"STANDIN_KEY\"\n"
        );
        if scenario.mcp() {
            // The server install --mcp wraps.
            provider.push_str(&format!(
                "\n[mcp_servers.everything]\ncommand = \"node\"\nargs = [{:?}]\n",
                everything().display().to_string()
            ));
        }
        std::fs::write(codex.join("config.toml"), provider).map_err(|e| e.to_string())?;
    }
    if kind == Kind::Gemini {
        // API-key auth, the key and base URL from the environment.
        let gemini = home.join(".gemini");
        std::fs::create_dir_all(&gemini).map_err(|e| e.to_string())?;
        let auth = json!({"security": {"auth": {"selectedType": "gemini-api-key"}}});
        std::fs::write(gemini.join("settings.json"), auth.to_string())
            .map_err(|e| e.to_string())?;
    }
    if scenario.mcp() {
        // The agent's own entry for the server, which install --mcp wraps.
        let servers = json!({"mcpServers": {"everything": {
            "command": "node", "args": [everything()]}}});
        let files = match (kind, scenario) {
            // Claude Code's "local" scope, as `claude mcp add` keeps it: in ~/.claude.json under
            // the project's path.
            (Kind::ClaudeCode, Scenario::McpApprove) => {
                let local = json!({"projects": {project.display().to_string(): servers}});
                vec![("../home/.claude.json", local)]
            }
            (Kind::ClaudeCode, _) => vec![
                (".mcp.json", servers),
                (
                    ".claude/settings.json",
                    json!({"enableAllProjectMcpServers": true}),
                ),
            ],
            (Kind::Gemini, _) => vec![(".gemini/settings.json", servers)],
            (Kind::Copilot, _) => vec![(".github/mcp.json", servers)],
            // In ~/.codex/config.toml, beside the model provider.
            (Kind::Codex, _) => Vec::new(),
        };
        for (file, content) in files {
            let path = project.join(file);
            std::fs::create_dir_all(path.parent().unwrap_or(&project))
                .map_err(|e| e.to_string())?;
            std::fs::write(path, content.to_string()).map_err(|e| e.to_string())?;
        }
    }
    let scope = match kind {
        Kind::ClaudeCode | Kind::Gemini | Kind::Copilot => "--project",
        Kind::Codex => "--user",
    };
    let install = std::process::Command::new(&cheqpoint)
        .args(["install", kind.name(), scope, "--config", "gate.toml"])
        .args(scenario.mcp().then_some("--mcp"))
        .current_dir(&project)
        .env("HOME", &home)
        .output()
        .map_err(|e| e.to_string())?;
    if !install.status.success() {
        return Err(format!("install failed: {install:?}"));
    }
    let action = match kind {
        Kind::ClaudeCode => "claude_code.Bash",
        Kind::Codex => "codex.Bash",
        Kind::Gemini => "gemini.run_shell_command",
        Kind::Copilot => "copilot.bash",
    };
    // The journal the hook opens by default, under this run's own data folder.
    let data = home.join(".local/share");
    if scenario == Scenario::Granted {
        let granting = tokio::process::Command::new(&cheqpoint)
            .args([
                "grant",
                "ask",
                action,
                "--command",
                "touch *",
                "--uses",
                "1",
            ])
            .current_dir(&project)
            .env("HOME", &home)
            .env("XDG_DATA_HOME", &data)
            .env("CHEQPOINT_API_KEY", "cq_test_agents")
            .env("CHEQPOINT_BASE_URL", &service)
            .kill_on_drop(true)
            .output();
        let reviewer = async {
            let request = emulator.next_pending(RUN).await.ok_or("no grant request")?;
            emulator
                .approve(&request.id)
                .map(drop)
                .map_err(|e| e.to_string())
        };
        let (granted, reviewed) = tokio::join!(granting, reviewer);
        reviewed?;
        let granted = granted.map_err(|e| e.to_string())?;
        if !granted.status.success() {
            return Err(format!("grant ask failed: {granted:?}"));
        }
    }
    let mut agent = tokio::process::Command::new(kind.program());
    match kind {
        Kind::ClaudeCode => agent
            .args(["-p", "Mark the folder.", "--output-format", "json"])
            .args(["--allowedTools", "mcp__everything__echo"]),
        // No sandbox of Codex's own (this machine may not offer one); the hook is what gates.
        Kind::Codex => agent.args([
            "exec",
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
            "--dangerously-bypass-hook-trust",
            "Mark the folder.",
        ]),
        // Every tool call allowed by Gemini CLI itself: the hook is what gates.
        Kind::Gemini => agent.args(["-p", "Mark the folder.", "--yolo"]),
        // Every tool allowed by Copilot CLI itself: the hook is what gates. A repository's hooks
        // run only in a folder the person trusts: this one, for this run.
        Kind::Copilot => agent.args([
            "-p",
            "Mark the folder.",
            "--allow-all-tools",
            "--trust-folder",
        ]),
    };
    let agent = agent
        .current_dir(&project)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", &data)
        .env("PATH", &path)
        .env("ANTHROPIC_BASE_URL", format!("http://{api}"))
        .env("ANTHROPIC_API_KEY", "sk-ant-standin")
        // MCP tools in the request itself, not deferred behind Claude Code's tool search, and
        // the first request sent once the servers are up (MCP_TIMEOUT, documented; and the
        // wait Claude Code 2.1.328 reads in `-p` mode), even on a loaded machine.
        .env("ENABLE_TOOL_SEARCH", "false")
        .env("MCP_TIMEOUT", "30000")
        .env("CLAUDE_CODE_MCP_STARTUP_WAIT_MS", "30000")
        .env("CODEX_HOME", home.join(".codex"))
        .env("STANDIN_KEY", "standin")
        .env("GEMINI_API_KEY", "standin")
        .env("GOOGLE_GEMINI_BASE_URL", format!("http://{api}"))
        .env("GEMINI_CLI_TRUST_WORKSPACE", "true")
        // Copilot CLI on its Anthropic-type custom provider, with no GitHub sign-in or update
        // check, its unpacked program shared between runs.
        .env("COPILOT_OFFLINE", "1")
        .env("COPILOT_AUTO_UPDATE", "false")
        .env("COPILOT_CACHE_HOME", agents_dir().join("copilot-cache"))
        .env("COPILOT_PROVIDER_TYPE", "anthropic")
        .env("COPILOT_PROVIDER_BASE_URL", format!("http://{api}"))
        .env("COPILOT_PROVIDER_API_KEY", "sk-ant-standin")
        .env("COPILOT_MODEL", "claude-sonnet-4")
        .env("CHEQPOINT_API_KEY", "cq_test_agents")
        .env("CHEQPOINT_BASE_URL", &service)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let asked_before = emulator.created_count();
    let reviewer = async {
        if matches!(scenario, Scenario::Down | Scenario::Granted) {
            return Ok(());
        }
        let request = emulator
            .next_pending(RUN)
            .await
            .ok_or("no request reached the reviewer")?;
        let right = match scenario.mcp() {
            true => request.action == "everything.echo" && request.details["message"] == ECHOED,
            false => request.action == action && request.details["command"] == model.command,
        };
        if !right {
            return Err(format!("asked for {} {}", request.action, request.details));
        }
        let decided = match scenario {
            Scenario::Edit => emulator.approve_with(
                &request.id,
                match kind {
                    Kind::ClaudeCode | Kind::Gemini | Kind::Copilot => {
                        json!({"command": format!("touch {}", edited.display()), "description": "Mark the folder"})
                    }
                    Kind::Codex => json!({"command": format!("touch {}", edited.display())}),
                },
            ),
            Scenario::Reject | Scenario::McpReject => {
                emulator.reject(&request.id, "not in this folder")
            }
            _ => emulator.approve(&request.id),
        };
        decided.map(|_| ()).map_err(|e| e.to_string())
    };
    let (output, reviewed) = tokio::join!(tokio::time::timeout(RUN, agent), reviewer);
    let output = output
        .map_err(|_| format!("{} did not finish in time", kind.name()))?
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
    reviewed.map_err(|error| {
        format!("{error}\nran (asked, edited) = {ran:?}\nthe model read: {results}\nagent: {said}")
    })?;
    if scenario == Scenario::Granted && emulator.created_count() != asked_before {
        return Err(format!(
            "a granted call was asked for: {:?}\nagent: {said}",
            emulator.requests().last().map(|r| (&r.action, &r.details))
        ));
    }
    let expected = match (scenario, kind) {
        (Scenario::Approve | Scenario::Granted, _) => (true, false),
        // Copilot takes no edited input: the edit is refused in words and nothing runs.
        (Scenario::Edit, Kind::Copilot) => (false, false),
        (Scenario::Edit, _) => (false, true),
        (Scenario::Reject | Scenario::Down | Scenario::McpApprove | Scenario::McpReject, _) => {
            (false, false)
        }
    };
    if ran != expected {
        return Err(format!(
            "ran (asked, edited) = {ran:?}, not {expected:?}\nagent: {said}\nthe model read: {results}"
        ));
    }
    let read = match (scenario, kind) {
        (Scenario::Reject | Scenario::McpReject, _) => "not in this folder",
        (Scenario::McpApprove, _) => "Echo: hello through the gateway",
        (Scenario::Down, _) => "approval service",
        (Scenario::Edit, Kind::Copilot) => "cannot run a call with another input",
        _ => "",
    };
    if !results.contains(read) {
        return Err(format!(
            "the model did not read `{read}`: {results}\nagent: {said}"
        ));
    }
    if scenario == Scenario::McpReject && results.contains("Echo:") {
        return Err(format!("the rejected call ran: {results}"));
    }
    Ok(())
}
