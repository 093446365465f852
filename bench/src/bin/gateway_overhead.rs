//! `cargo run --release -p cheqpoint-bench --bin gateway-overhead`: what `cheqpoint mcp` costs.
//!
//! 1. An ungated `tools/call` through the gateway against the same call made to the upstream
//!    directly, side by side in one run (blocks of calls alternating between the two, one call
//!    at a time): per-call latency p50 and p99, and what the gateway adds to the p50 (targets:
//!    at most 100 µs added to the p50, a p99 within 2× the direct p99).
//! 2. 1,000 gated calls pending at once in one gateway: its peak RSS while they wait (target:
//!    at most 42.7 MiB), then all approved, and every approved call forwarded exactly once (the
//!    upstream counts its runs).
//!
//! The gateway is the release `cheqpoint` binary beside this one (`cargo build --release -p
//! cheqpoint-cli` first) or `--gateway PATH`; the upstream MCP server is this binary, started
//! again with `CHEQPOINT_BENCH_UPSTREAM` set; the emulator runs in this process.

#[path = "../stats.rs"]
#[allow(dead_code)] // the main bench's percentiles, of which this needs two
mod stats;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use cheqpoint_emulator::Emulator;
use clap::Parser;
use rmcp::{
    ErrorData, RoleClient, RoleServer, ServerHandler, ServiceExt,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
        InitializeResult, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
        ServerConfig, Tool,
    },
    service::{RequestContext, RunningService},
    transport::TokioChildProcess,
};
use serde_json::json;
use stats::Sample;
use tokio::task::JoinSet;

/// Set in the environment of the upstream: this binary then serves MCP on its stdio, and
/// appends a line to this file for each run of `hold`.
const UPSTREAM_ROLE: &str = "CHEQPOINT_BENCH_UPSTREAM";

#[derive(Parser)]
#[command(about = "What the MCP gateway costs: ungated overhead, 1,000 pending gated calls")]
struct Cli {
    /// The gateway binary (default: `cheqpoint` beside this binary).
    #[arg(long)]
    gateway: Option<PathBuf>,
    /// Ungated calls measured on each side (after 200 of warm-up).
    #[arg(long, default_value_t = 5_000)]
    calls: usize,
    /// Gated calls pending at once.
    #[arg(long, default_value_t = 1_000)]
    pending: usize,
}

/// The upstream: `echo` (answered at once) and `hold` (gated by the gateway), counting runs.
#[derive(Clone)]
struct Upstream {
    runs: PathBuf,
}

impl ServerHandler for Upstream {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("bench", "1.0.0"))
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let schema = Arc::new(
            json!({"type": "object"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        Ok(ListToolsResult::with_all_items(vec![
            Tool::new("echo", "Echo", schema.clone()),
            Tool::new("hold", "A call a person approves", schema),
        ]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if request.name == "hold" {
            use std::io::Write;
            let mut runs = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.runs)
                .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
            let _ = runs.write_all(b"hold\n");
        }
        let text = serde_json::Value::Object(request.arguments.unwrap_or_default()).to_string();
        Ok(CallToolResponse::Complete(CallToolResult::success(vec![
            ContentBlock::text(text),
        ])))
    }
}

fn serve_upstream(runs: PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let running = Upstream { runs }
            .serve(rmcp::transport::io::stdio())
            .await?;
        let _ = running.waiting().await;
        Ok(())
    })
}

type Client = RunningService<RoleClient, ()>;

async fn connect(
    command: tokio::process::Command,
) -> Result<(Client, u32), Box<dyn std::error::Error>> {
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(std::process::Stdio::inherit())
        .spawn()?;
    let pid = transport.id().ok_or("no pid")?;
    let client = tokio::time::timeout(Duration::from_secs(30), ().serve(transport)).await??;
    Ok((client, pid))
}

async fn call(
    client: &Client,
    tool: &str,
    n: usize,
) -> Result<CallToolResult, Box<dyn std::error::Error>> {
    let mut params = CallToolRequestParams::new(tool.to_owned());
    params.arguments = json!({"n": n}).as_object().cloned();
    Ok(client.peer().call_tool(params).await?)
}

/// `VmHWM` of `pid`, KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?;
    line.split_whitespace().next()?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Some(count_file) = std::env::var_os(UPSTREAM_ROLE) {
        return serve_upstream(count_file.into());
    }
    let cli = Cli::parse();
    let me = std::env::current_exe()?;
    let gateway = match cli.gateway.clone() {
        Some(path) => path,
        None => me.with_file_name("cheqpoint"),
    };
    if !gateway.exists() {
        return Err(format!(
            "{} is missing: build it first (cargo build --release -p cheqpoint-cli) or give --gateway PATH",
            gateway.display()
        )
        .into());
    }
    let scratch =
        std::env::temp_dir().join(format!("cheqpoint-gateway-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let outcome = tokio::runtime::Runtime::new()?.block_on(run(&cli, &me, &gateway, &scratch));
    let _ = std::fs::remove_dir_all(&scratch);
    outcome
}

async fn run(
    cli: &Cli,
    me: &Path,
    gateway: &Path,
    scratch: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start().await?;
    let upstream = |count_file: &str| {
        let mut command = tokio::process::Command::new(me);
        command.env(UPSTREAM_ROLE, scratch.join(count_file));
        command
    };
    let through_gateway = |count_file: &str, journal: &str| {
        let mut command = tokio::process::Command::new(gateway);
        command
            .args(["mcp", "--gate", "hold", "--journal"])
            .arg(scratch.join(journal))
            .arg("--")
            .arg(me)
            .env(UPSTREAM_ROLE, scratch.join(count_file))
            .env("CHEQPOINT_API_KEY", "cq_test_bench")
            .env("CHEQPOINT_BASE_URL", emulator.url());
        command
    };

    // 1. Ungated overhead, side by side.
    let (direct, _) = connect(upstream("direct.count")).await?;
    let (gated, _) = connect(through_gateway("gateway.count", "overhead.db")).await?;
    for n in 0..200 {
        call(&direct, "echo", n).await?;
        call(&gated, "echo", n).await?;
    }
    let (mut direct_times, mut gateway_times) = (Vec::new(), Vec::new());
    const BLOCK: usize = 100;
    for block in 0..cli.calls.div_ceil(BLOCK) {
        for (client, times) in [(&direct, &mut direct_times), (&gated, &mut gateway_times)] {
            for n in 0..BLOCK {
                let started = Instant::now();
                call(client, "echo", block * BLOCK + n).await?;
                times.push(started.elapsed());
            }
        }
    }
    let (direct_sample, gateway_sample) = (Sample::new(direct_times), Sample::new(gateway_times));
    let p50 = |s: &Sample| s.p50().unwrap_or_default();
    println!(
        "ungated tools/call, one at a time, {} calls each side:",
        direct_sample.len()
    );
    println!(
        "  direct to the upstream:  p50 {:>8.1} µs   p99 {:>8.1} µs",
        p50(&direct_sample).as_secs_f64() * 1e6,
        direct_sample.p99().unwrap_or_default().as_secs_f64() * 1e6
    );
    println!(
        "  through the gateway:     p50 {:>8.1} µs   p99 {:>8.1} µs",
        p50(&gateway_sample).as_secs_f64() * 1e6,
        gateway_sample.p99().unwrap_or_default().as_secs_f64() * 1e6
    );
    let added = p50(&gateway_sample).saturating_sub(p50(&direct_sample));
    let met = |met: bool| if met { "met" } else { "NOT met" };
    println!(
        "  the gateway adds {:.1} µs to the p50 (target ≤ 100 µs): {}",
        added.as_secs_f64() * 1e6,
        met(added <= Duration::from_micros(100))
    );
    let (direct_p99, gateway_p99) = (
        direct_sample.p99().unwrap_or_default(),
        gateway_sample.p99().unwrap_or_default(),
    );
    println!(
        "  its p99 is {:.2}× the direct p99 (target ≤ 2×): {}",
        gateway_p99.as_secs_f64() / direct_p99.as_secs_f64().max(f64::MIN_POSITIVE),
        met(gateway_p99 <= direct_p99 * 2)
    );
    let _ = direct.cancel().await;
    let _ = gated.cancel().await;

    // 2. 1,000 gated calls pending at once in one gateway.
    let (client, pid) = connect(through_gateway("pending.count", "pending.db")).await?;
    let client = Arc::new(client);
    let baseline = peak_rss_kib(pid).unwrap_or_default();
    let started = Instant::now();
    let mut calls = JoinSet::new();
    for n in 0..cli.pending {
        let client = client.clone();
        calls.spawn(async move { call(&client, "hold", n).await.map_err(|e| e.to_string()) });
    }
    let mut pending = Vec::new();
    while pending.len() < cli.pending {
        let request = emulator
            .next_pending(Duration::from_secs(120))
            .await
            .ok_or("the gated calls did not all reach the reviewer within 120 s")?;
        pending.push(request.id);
    }
    let all_pending = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let peak = peak_rss_kib(pid).unwrap_or_default();
    for id in &pending {
        emulator.approve(id)?;
    }
    let mut succeeded = 0;
    while let Some(result) = calls.join_next().await {
        if result?.map_err(|e| e.to_string())?.is_error != Some(true) {
            succeeded += 1;
        }
    }
    let decided = started.elapsed();
    let runs = std::fs::read_to_string(scratch.join("pending.count"))?
        .lines()
        .count();
    println!(
        "{} gated calls pending at once in one gateway:",
        cli.pending
    );
    println!(
        "  all pending after {:.1} s; gateway peak RSS {:.1} MiB (at start {:.1} MiB; target ≤ 42.7 MiB: {})",
        all_pending.as_secs_f64(),
        peak as f64 / 1024.0,
        baseline as f64 / 1024.0,
        if peak as f64 / 1024.0 <= 42.7 {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "  approved: {succeeded} succeeded, the upstream ran {runs} (each exactly once: {}), {:.1} s in all; requests created: {}",
        if runs == cli.pending && succeeded == cli.pending {
            "yes"
        } else {
            "NO"
        },
        decided.as_secs_f64(),
        emulator.created_count()
    );
    Ok(())
}
