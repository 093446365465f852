//! Interoperability with a server and a client nobody here wrote: the reference "everything"
//! MCP server (`.ci/run` installs it, pinned, under `target/mcp-everything`) driven by the
//! official Python SDK's client offering sampling, elicitation and roots
//! (`interop/everything.py`). Through the gateway the client sees the same tools, field for
//! field, as directly, and sampling, elicitation, roots and progress each work, the tools that
//! use them ungated and gated.

#[macro_use]
mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::World;

fn main() -> std::process::ExitCode {
    support::main(support::tests![
        the_everything_server_through_the_gateway_as_directly,
        the_everything_server_gated,
    ])
}

/// The tools of the everything server that use each capability.
const USERS: [&str; 4] = [
    "trigger-sampling-request",
    "trigger-elicitation-request",
    "get-roots-list",
    "trigger-long-running-operation",
];

/// The Python with the SDK, and the everything server's script; a skip (a failure under
/// `CI=true`) naming what to install when either is missing.
fn programs() -> Result<(String, PathBuf), String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let everything = std::env::var_os("MCP_EVERYTHING").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
                "../target/mcp-everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
            )
        },
        PathBuf::from,
    );
    let has_sdk = std::process::Command::new(&python)
        .args(["-c", "import mcp.client.stdio"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let has_node = std::process::Command::new("node")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let missing = match (has_sdk, has_node && everything.exists()) {
        (true, true) => return Ok((python, everything)),
        (false, _) => "the official Python MCP SDK (pip install mcp==2.3.0)",
        (_, false) => {
            "the everything server (npm install --prefix target/mcp-everything @modelcontextprotocol/server-everything@2026.8.31)"
        }
    };
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    ensure!(!ci, "{missing} is missing");
    Err(format!("{}{missing} is missing", support::SKIP))
}

/// What the Python client saw, talking to `server args…` (with `env`).
async fn client(
    python: &str,
    server: &std::ffi::OsStr,
    args: Vec<String>,
    env: Vec<(String, String)>,
) -> Result<Value, String> {
    let mut command = tokio::process::Command::new(python);
    command
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/interop/everything.py"
        ))
        .env("SERVER", server)
        .env(
            "SERVER_ARGS",
            serde_json::to_string(&args).map_err(|e| e.to_string())?,
        )
        .envs(env)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = command.spawn().map_err(|e| e.to_string())?;
    let output = tokio::time::timeout(support::WAIT * 3, child.wait_with_output())
        .await
        .map_err(|_| "the Python client did not finish".to_owned())?
        .map_err(|e| e.to_string())?;
    ensure!(
        output.status.success(),
        "the Python client failed: {:?}",
        output.status
    );
    serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())
}

async fn direct(python: &str, everything: &Path) -> Result<Value, String> {
    let seen = client(
        python,
        "node".as_ref(),
        vec![everything.display().to_string(), "stdio".into()],
        Vec::new(),
    )
    .await?;
    let names: Vec<&str> = seen["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tool| tool["name"].as_str())
        .collect();
    for user in USERS {
        ensure!(
            names.contains(&user),
            "no {user} listed directly: {names:?}"
        );
    }
    ensure!(
        seen["progress"].as_array().is_some_and(|p| p.len() == 4),
        "{seen}"
    );
    ensure!(
        seen["roots"].to_string().contains("file:///srv/only")
            && seen["sampling"]
                .to_string()
                .contains("sampled by the client")
            && seen["elicitation"].to_string().contains("Ada"),
        "{seen}"
    );
    Ok(seen)
}

/// The gateway in front of the everything server, gating `gates`.
async fn through(
    world: &World,
    python: &str,
    everything: &Path,
    gates: &[&str],
) -> Result<Value, String> {
    let mut args: Vec<String> = vec!["mcp".into(), "--journal".into()];
    args.push(world.dir.join("journal.db").display().to_string());
    for gate in gates {
        args.extend(["--gate".to_owned(), (*gate).to_owned()]);
    }
    args.extend([
        "--".into(),
        "node".into(),
        everything.display().to_string(),
        "stdio".into(),
    ]);
    let env = vec![
        ("CHEQPOINT_API_KEY".to_owned(), "cq_test_gateway".to_owned()),
        ("CHEQPOINT_BASE_URL".to_owned(), world.emulator.url()),
    ];
    client(python, env!("CARGO_BIN_EXE_cheqpoint").as_ref(), args, env).await
}

async fn the_everything_server_through_the_gateway_as_directly() -> Result<(), String> {
    let (python, everything) = programs()?;
    let world = World::new().await;
    let direct = direct(&python, &everything).await?;
    let through = through(&world, &python, &everything, &[]).await?;
    ensure!(
        through == direct,
        "through the gateway:\n{through}\ndirectly:\n{direct}"
    );
    ensure!(world.emulator.created_count() == 0, "an ungated call asked");
    Ok(())
}

async fn the_everything_server_gated() -> Result<(), String> {
    let (python, everything) = programs()?;
    let world = World::new().await;
    let direct = direct(&python, &everything).await?;
    let reviewer = async {
        let mut asked = Vec::new();
        for _ in USERS {
            let request = world.next_pending().await?;
            asked.push(request.action.clone());
            world
                .emulator
                .approve(&request.id)
                .map_err(|e| e.to_string())?;
        }
        Ok::<_, String>(asked)
    };
    let (through, asked) = tokio::join!(through(&world, &python, &everything, &USERS), reviewer);
    let (through, asked) = (through?, asked?);
    for tool in USERS {
        let suffix = format!(".{tool}");
        ensure!(
            asked.iter().any(|action| action.ends_with(&suffix)),
            "{tool} was not asked for: {asked:?}"
        );
    }
    for key in ["tools", "sampling", "elicitation", "roots", "long"] {
        ensure!(
            through[key] == direct[key],
            "{key} through the gated gateway:\n{}\ndirectly:\n{}",
            through[key],
            direct[key]
        );
    }
    // Progress: the server's four steps, after the gateway's own reports while it waited.
    let progress = through["progress"].as_array().ok_or("no progress")?;
    ensure!(
        progress.ends_with(direct["progress"].as_array().ok_or("no progress")?),
        "{progress:?}"
    );
    Ok(())
}
