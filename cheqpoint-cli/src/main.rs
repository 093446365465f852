//! `cheqpoint`: the command line. `cheqpoint mcp … -- CMD ARGS` runs the gateway;
//! `cheqpoint hook claude-code` answers one Claude Code `PreToolUse` event.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

use clap::{Parser, Subcommand, ValueEnum};
use tokio::io::AsyncReadExt;

use cheqpoint_cli::{
    config::GateConfig,
    gate::Gatekeeper,
    gateway::{DEFAULT_PROGRESS_INTERVAL, GatewaySettings, UpstreamSpec},
    hook::{self, Decision, OnTimeout},
    setup,
};

#[derive(Parser)]
#[command(
    name = "cheqpoint",
    version,
    about = "Put a human in front of an agent's tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A gateway in front of an MCP server: gated tool calls run only once a person approves.
    Mcp(McpArgs),
    /// Agent hooks.
    #[command(subcommand)]
    Hook(HookCommand),
}

#[derive(clap::Args)]
struct McpArgs {
    /// gate.toml: tools to gate (names or globs), risk, summary, read-only keys, timeout.
    #[arg(long)]
    config: Option<PathBuf>,
    /// A tool to gate, by name or glob (repeatable).
    #[arg(long = "gate", value_name = "TOOL")]
    gates: Vec<String>,
    /// The journal: a SQLite file, or a postgres:// URL (default: in the user's data directory).
    #[arg(long)]
    journal: Option<String>,
    /// The server's name in actions (SERVER.TOOL); default: the name it gives in `initialize`.
    #[arg(long)]
    name: Option<String>,
    /// The agent id sent with each request; default: the client's name.
    #[arg(long)]
    agent: Option<String>,
    /// Wrap a streamable-HTTP MCP server instead of starting one.
    #[arg(long, value_name = "URL", conflicts_with = "command")]
    upstream: Option<String>,
    /// Serve streamable HTTP at http://ADDR/mcp instead of stdio.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Seconds between progress reports while a call waits.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_PROGRESS_INTERVAL.as_secs_f64())]
    progress_interval: f64,
    /// The upstream server to start: `-- CMD ARGS…`.
    #[arg(last = true, value_name = "CMD")]
    command: Vec<String>,
}

#[derive(Subcommand)]
enum HookCommand {
    /// Claude Code's PreToolUse hook: the event on stdin, the decision on stdout.
    ClaudeCode(HookArgs),
}

#[derive(clap::Args)]
struct HookArgs {
    /// gate.toml: per-tool risk, read-only keys and timeout.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The journal: a SQLite file, or a postgres:// URL.
    #[arg(long)]
    journal: Option<String>,
    /// What to answer when no decision comes in time.
    #[arg(long, value_enum, default_value = "deny")]
    on_timeout: TimeoutAnswer,
}

#[derive(Clone, Copy, ValueEnum)]
enum TimeoutAnswer {
    Deny,
    Ask,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cheqpoint: no async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Mcp(args) => match runtime.block_on(mcp(args)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("cheqpoint mcp: {error}");
                ExitCode::FAILURE
            }
        },
        Command::Hook(HookCommand::ClaudeCode(args)) => {
            let decision = runtime.block_on(claude_code(args));
            println!("{}", decision.to_json());
            ExitCode::SUCCESS
        }
    }
}

fn config(path: Option<&PathBuf>) -> Result<GateConfig, String> {
    path.map_or_else(|| Ok(GateConfig::default()), |path| GateConfig::load(path))
        .map_err(|error| error.to_string())
}

async fn mcp(args: McpArgs) -> Result<(), String> {
    let mut config = config(args.config.as_ref())?;
    for pattern in &args.gates {
        config.gate(pattern).map_err(|error| error.to_string())?;
    }
    if args.name.is_some() {
        config.name = args.name;
    }
    let upstream = match (args.upstream, args.command.split_first()) {
        (Some(url), _) => UpstreamSpec::Url(url),
        (None, Some((program, rest))) => UpstreamSpec::Command {
            program: program.clone(),
            args: rest.to_vec(),
        },
        (None, None) => {
            return Err("give the server to wrap: `-- CMD ARGS…` or `--upstream URL`".into());
        }
    };
    if config.is_empty() {
        eprintln!(
            "cheqpoint mcp: no tool is gated (give --gate TOOL or a gate.toml); every call is forwarded"
        );
    }
    let progress_interval = Duration::try_from_secs_f64(args.progress_interval)
        .ok()
        .filter(|interval| !interval.is_zero())
        .ok_or("--progress-interval must be more than 0 seconds")?;
    let journal = setup::journal(args.journal.as_deref()).await?;
    let (client, review_url) = setup::client(journal)?;
    let settings = Arc::new(GatewaySettings {
        config,
        gate: Gatekeeper::new(client),
        upstream,
        agent: args.agent,
        progress_interval,
        review_url,
    });
    match args.listen {
        Some(addr) => cheqpoint_cli::gateway::serve_http(settings, addr).await,
        None => cheqpoint_cli::gateway::serve_stdio(settings).await,
    }
}

/// The most of stdin a hook reads: an event is far smaller.
const MAX_EVENT_BYTES: u64 = 16 * 1024 * 1024;

async fn claude_code(args: HookArgs) -> Decision {
    let refuse =
        |reason: String| Decision::Deny(format!("cheqpoint: {reason}; the tool call is refused"));
    let mut input = String::new();
    if let Err(error) = tokio::io::stdin()
        .take(MAX_EVENT_BYTES)
        .read_to_string(&mut input)
        .await
    {
        return refuse(format!("the event could not be read: {error}"));
    }
    let config = match config(args.config.as_ref()) {
        Ok(config) => config,
        Err(error) => return refuse(error),
    };
    let journal = match setup::journal(args.journal.as_deref()).await {
        Ok(journal) => journal,
        Err(error) => return refuse(error),
    };
    let client = match setup::client(journal) {
        Ok((client, _)) => client,
        Err(error) => return refuse(error),
    };
    let on_timeout = match args.on_timeout {
        TimeoutAnswer::Deny => OnTimeout::Deny,
        TimeoutAnswer::Ask => OnTimeout::Ask,
    };
    hook::decide(&input, &Gatekeeper::new(client), &config, on_timeout).await
}
