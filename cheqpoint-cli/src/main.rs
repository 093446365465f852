//! `cheqpoint`: the command line. `cheqpoint mcp … -- CMD ARGS` runs the gateway;
//! `cheqpoint hook AGENT` answers one event of a coding agent's hook.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

use clap::{Parser, Subcommand, ValueEnum};
use tokio::io::AsyncReadExt;

use cheqpoint_cli::{
    config::GateConfig,
    gate::Gatekeeper,
    grants,
    hooks::{self, Agent, OnTimeout, Reply},
    install::{self, Scope, Setup},
    relay::{self, DEFAULT_PROGRESS_INTERVAL, Settings, UpstreamSpec},
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
    /// A relay in front of an MCP server: gated tool calls run only once a person approves.
    Mcp(McpArgs),
    /// A coding agent's hook: its event on stdin, the answer on stdout as that agent reads it.
    Hook(HookArgs),
    /// Writes cheqpoint's hook into a coding agent's configuration (the diff is shown first).
    Install(InstallArgs),
    /// Removes cheqpoint's hook from a coding agent's configuration.
    Uninstall(InstallArgs),
    /// Checks each installed agent's wiring end to end, and says what to fix.
    Doctor(DoctorArgs),
    /// Grants: a person's approval of a range of calls, bounded and counted.
    #[command(subcommand)]
    Grant(GrantCommand),
}

#[derive(Subcommand)]
enum GrantCommand {
    /// Asks a reviewer for a grant, and keeps what they approve in the journal.
    Ask(GrantAskArgs),
    /// Lists the live grants and those that ended in the last day.
    List(JournalArgs),
    /// Revokes a grant at once, for every process on the journal.
    Revoke {
        /// The grant's id, as `grant list` shows it.
        id: String,
        #[command(flatten)]
        journal: JournalArgs,
    },
}

#[derive(clap::Args)]
struct JournalArgs {
    /// The journal: a SQLite file, or a postgres:// URL (default: in the user's data directory).
    #[arg(long)]
    journal: Option<String>,
}

#[derive(clap::Args)]
struct GrantAskArgs {
    /// The action it covers: `claude_code.Bash`, `SERVER.TOOL`, a `#[checkpoint]` action.
    #[arg(required_unless_present = "from_json")]
    tool: Option<String>,
    /// The whole grant as JSON (as a grant request's details), in place of the options.
    #[arg(long, value_name = "JSON", conflicts_with_all = ["tool", "commands", "under", "conditions", "session", "agent"])]
    from_json: Option<String>,
    /// A shell command pattern every command of a line must match (repeatable).
    #[arg(long = "command", value_name = "PATTERN")]
    commands: Vec<String>,
    /// A folder every path must be under (repeatable; relative to here).
    #[arg(long, value_name = "DIR")]
    under: Vec<String>,
    /// Conditions on the arguments, as a rule's `where` in JSON.
    #[arg(long = "where", value_name = "JSON")]
    conditions: Option<String>,
    /// How long it lasts once approved: 90s, 30m, 1h, 2d.
    #[arg(long = "for", value_name = "DURATION", default_value = "1h")]
    lasting: String,
    /// How many calls it may run.
    #[arg(long, default_value_t = 1)]
    uses: u32,
    /// One agent session's calls only.
    #[arg(long, conflicts_with = "agent")]
    session: Option<String>,
    /// One agent's calls only (`claude_code`, `codex`, a gateway's server name).
    #[arg(long)]
    agent: Option<String>,
    #[command(flatten)]
    journal: JournalArgs,
}

#[derive(clap::Args)]
struct DoctorArgs {
    /// The gate.toml the hooks run with (for the time they may take).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
struct InstallArgs {
    /// The agent to configure.
    #[arg(value_enum)]
    agent: AgentName,
    /// The project's configuration, under the current folder (the default).
    #[arg(long, conflicts_with = "user")]
    project: bool,
    /// The user's configuration, under the home folder.
    #[arg(long)]
    user: bool,
    /// Show the change without writing it.
    #[arg(long)]
    dry_run: bool,
    /// gate.toml: the tools to gate (the hook's matcher) and the time to wait.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The journal the hook uses: a SQLite file, or a postgres:// URL.
    #[arg(long)]
    journal: Option<String>,
    /// Also start each MCP server of the agent's configuration through `cheqpoint mcp`
    /// (uninstall: as it was started before).
    #[arg(long)]
    mcp: bool,
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

#[derive(clap::Args)]
struct HookArgs {
    /// The agent whose event this is.
    #[arg(value_enum)]
    agent: AgentName,
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

/// The agents, as the command line names them.
#[derive(Clone, Copy, ValueEnum)]
enum AgentName {
    ClaudeCode,
    Codex,
    Gemini,
    Cursor,
    Copilot,
}

impl From<AgentName> for Agent {
    fn from(name: AgentName) -> Agent {
        match name {
            AgentName::ClaudeCode => Agent::ClaudeCode,
            AgentName::Codex => Agent::Codex,
            AgentName::Gemini => Agent::Gemini,
            AgentName::Cursor => Agent::Cursor,
            AgentName::Copilot => Agent::Copilot,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum TimeoutAnswer {
    Deny,
    Ask,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The relay moves messages between tasks that wake each other: on one thread a message
    // passes with no hop between threads (blocking work, such as the journal's, has threads of
    // its own either way).
    let runtime = match cli.command {
        Command::Mcp(_) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Runtime::new(),
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cheqpoint: no async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Mcp(args) => {
            let served = runtime.block_on(mcp(args));
            // A read of stdin still pending must not keep the process: its tasks (and the
            // upstream they hold) end here.
            runtime.shutdown_timeout(Duration::from_secs(1));
            match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("cheqpoint mcp: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Install(args) => report(configure(args, true)),
        Command::Uninstall(args) => report(configure(args, false)),
        Command::Doctor(args) => runtime.block_on(doctor(args)),
        Command::Grant(command) => report(runtime.block_on(grant(command))),
        Command::Hook(args) => {
            let reply = runtime.block_on(hook(args));
            if !reply.stdout.is_empty() {
                println!("{}", reply.stdout);
            }
            if !reply.stderr.is_empty() {
                eprintln!("{}", reply.stderr);
            }
            ExitCode::from(reply.code)
        }
    }
}

fn report(outcome: Result<(), String>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cheqpoint: {error}");
            ExitCode::FAILURE
        }
    }
}

/// How much longer than the hook's own deadline the agent is told to wait for it.
const AGENT_MARGIN: Duration = Duration::from_secs(10);

/// `cheqpoint install` (`add`) or `uninstall`: the change shown, then written unless
/// `--dry-run`.
fn configure(args: InstallArgs, add: bool) -> Result<(), String> {
    let agent = Agent::from(args.agent);
    let home = std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .ok_or("HOME is unset")?;
    let project = std::env::current_dir().map_err(|error| error.to_string())?;
    let mut hook_args = Vec::new();
    let (gate, tools) = match &args.config {
        Some(path) => {
            let path = std::path::absolute(path).map_err(|error| error.to_string())?;
            let gate = GateConfig::load(&path).map_err(|error| error.to_string())?;
            let text = std::fs::read_to_string(&path).map_err(|error| error.to_string())?;
            hook_args.extend(["--config".to_owned(), path.display().to_string()]);
            (gate, install::gated_tools(&text))
        }
        None => (GateConfig::default(), Vec::new()),
    };
    if let Some(journal) = &args.journal {
        hook_args.extend(["--journal".to_owned(), journal.clone()]);
    }
    let longest = tools
        .iter()
        .map(|tool| hooks::wait(&gate, tool))
        .chain([hooks::wait(&gate, "")])
        .max()
        .unwrap_or(hooks::DEFAULT_HOOK_TIMEOUT);
    let setup = Setup {
        scope: if args.user {
            Scope::User
        } else {
            Scope::Project
        },
        home,
        project,
        hook_args,
        tools,
        timeout: longest + hooks::GRACE + AGENT_MARGIN,
        mcp: args.mcp,
        journal: args.journal,
    };
    let changes = if add {
        install::install(agent, &setup)
    } else {
        install::uninstall(agent, &setup)
    }
    .map_err(|error| error.to_string())?;
    let name = agent.facts().name;
    for change in &changes {
        if change.is_empty() {
            println!("{}: nothing to change for {name}", change.path.display());
        } else {
            print!("{}", change.diff());
        }
        for note in &change.notes {
            eprintln!("note: {note}");
        }
    }
    if args.dry_run {
        return Ok(());
    }
    for change in changes.iter().filter(|change| !change.is_empty()) {
        change.apply().map_err(|error| error.to_string())?;
        let path = change.path.display();
        if add {
            println!("{name}: wrote {path}");
        } else {
            println!("{name}: cheqpoint's entries removed from {path}");
        }
    }
    Ok(())
}

async fn doctor(args: DoctorArgs) -> ExitCode {
    let gate = match config(args.config.as_ref()) {
        Ok(gate) => gate,
        Err(error) => {
            eprintln!("cheqpoint doctor: {error}");
            return ExitCode::FAILURE;
        }
    };
    let setup = Setup {
        scope: Scope::Project,
        home: std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default(),
        project: std::env::current_dir().unwrap_or_default(),
        hook_args: Vec::new(),
        tools: Vec::new(),
        timeout: Duration::ZERO,
        mcp: false,
        journal: None,
    };
    let findings = cheqpoint_cli::doctor::check(&setup, &gate).await;
    let mut healthy = true;
    for finding in &findings {
        match &finding.fix {
            None => println!("ok   {}", finding.check),
            Some(fix) => {
                healthy = false;
                println!(
                    "FIX  {}
     → {fix}",
                    finding.check
                );
            }
        }
    }
    if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
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
    let journal = setup::journal(args.journal.as_deref())
        .await
        .map_err(|error| error.to_string())?;
    let (client, review_url) = setup::client(journal).map_err(|error| error.to_string())?;
    let settings = Arc::new(Settings {
        gate: Gatekeeper::new(client)
            .with_rules(config.rules().clone())
            .suggesting(config.suggest, args.journal.clone()),
        config,
        upstream,
        agent: args.agent,
        progress_interval,
        review_url,
    });
    match args.listen {
        Some(addr) => relay::serve_http(settings, addr).await,
        None => relay::serve_stdio(settings).await,
    }
    .map_err(|error| error.to_string())
}

/// `cheqpoint grant ask|list|revoke`.
async fn grant(command: GrantCommand) -> Result<(), String> {
    let journal = match &command {
        GrantCommand::Ask(args) => &args.journal,
        GrantCommand::List(journal) | GrantCommand::Revoke { journal, .. } => journal,
    };
    let journal = setup::journal(journal.journal.as_deref())
        .await
        .map_err(|error| error.to_string())?;
    match command {
        GrantCommand::Ask(args) => {
            let grant = match args.from_json {
                Some(json) => {
                    let grant: cheqpoint::policy::grants::Grant = serde_json::from_str(&json)
                        .map_err(|error| format!("--from-json is no grant: {error}"))?;
                    grant.checked()?;
                    grant
                }
                None => {
                    let cwd = std::env::current_dir().map_err(|error| error.to_string())?;
                    let spec = grants::GrantSpec {
                        tool: args.tool.unwrap_or_default(),
                        commands: args.commands,
                        under: args.under,
                        conditions: args.conditions,
                        lasting: args.lasting,
                        uses: args.uses,
                        session: args.session,
                        agent: args.agent,
                    };
                    spec.grant(&cwd)?
                }
            };
            let (client, review_url) = setup::client(journal).map_err(|error| error.to_string())?;
            let said = grants::ask(&client, &grant, &review_url)
                .await
                .map_err(|error| error.to_string())?;
            println!("{said}");
        }
        GrantCommand::List(_) => {
            let kept = journal.grants().await.map_err(|error| error.to_string())?;
            println!("{}", grants::list(&kept, std::time::SystemTime::now()));
        }
        GrantCommand::Revoke { id, .. } => {
            if !journal
                .revoke_grant(&id)
                .await
                .map_err(|error| error.to_string())?
            {
                return Err(format!("no live grant {id} (see `cheqpoint grant list`)"));
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}

/// The most of stdin a hook reads: an event is far smaller.
const MAX_EVENT_BYTES: u64 = 16 * 1024 * 1024;

/// One hook event answered; every failure, a panic included, is the agent's deny.
async fn hook(args: HookArgs) -> Reply {
    let agent = Agent::from(args.agent);
    let mut input = String::new();
    if let Err(error) = tokio::io::stdin()
        .take(MAX_EVENT_BYTES)
        .read_to_string(&mut input)
        .await
    {
        return agent.refuse_unread(&format!("stdin could not be read: {error}"));
    }
    let on_timeout = match args.on_timeout {
        TimeoutAnswer::Deny => OnTimeout::Deny,
        TimeoutAnswer::Ask => OnTimeout::Ask,
    };
    let event = input.clone();
    let decided = tokio::spawn(async move {
        let config = config(args.config.as_ref())?;
        let journal = setup::journal(args.journal.as_deref())
            .await
            .map_err(|error| error.to_string())?;
        let (client, _) = setup::client(journal).map_err(|error| error.to_string())?;
        let gate = Gatekeeper::new(client)
            .with_rules(config.rules().clone())
            .suggesting(config.suggest, args.journal.clone());
        Ok::<Reply, String>(hooks::answer(agent, &event, &gate, &config, on_timeout).await)
    });
    match decided.await {
        Ok(Ok(reply)) => reply,
        Ok(Err(reason)) => hooks::refuse(agent, &input, &reason),
        Err(failure) => hooks::refuse(agent, &input, &format!("the hook failed ({failure})")),
    }
}
