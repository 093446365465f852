//! The agent: this crate's side of each scenario, run as a process of its own
//! (`cheqpoint-bench agent --scenario … --url …`) so that its memory and CPU time are its own,
//! not the emulator's. It speaks the line protocol of [`crate::protocol`], as the Python driver
//! does.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cheqpoint::{Client, PollPolicy, checkpoint};
use clap::{Args, ValueEnum};
use tokio::task::JoinSet;

use crate::bare::Bare;
use crate::clock::monotonic_ns;
use crate::heap::Live;
use crate::protocol::{API_KEY, arguments, error_line};

/// How long any call may wait: longer than every scenario, so none times out.
const CALL_TIMEOUT: Duration = Duration::from_secs(900);

/// What an agent process does.
#[derive(Args, Debug, Clone, PartialEq)]
pub struct AgentArgs {
    /// `gated`: make CALLS gated calls at once and wait for each (scenarios 1 and 3);
    /// `auto`: keep CONCURRENCY calls in flight for WARMUP + SECONDS (scenario 2); `floor`: the
    /// same with a bare `reqwest` loop making the same HTTP ([`crate::bare`]).
    #[arg(long, value_enum)]
    pub scenario: AgentScenario,
    /// The emulator's base URL.
    #[arg(long)]
    pub url: String,
    #[arg(long, default_value_t = 1)]
    pub calls: u32,
    #[arg(long, default_value_t = 64)]
    pub concurrency: u32,
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Spread the starts of the gated calls evenly over this many seconds (0: all at once).
    #[arg(long, default_value_t = 0.0)]
    pub ramp: f64,
    /// Wake waits by callback (push) instead of by polling alone.
    #[arg(long)]
    pub push: bool,
    /// With `--push`: advertise a callback URL nothing listens on, so no callback ever arrives.
    #[arg(long)]
    pub lost_callbacks: bool,
    /// Read every this many seconds (`PollPolicy::fixed`) instead of the default schedule.
    #[arg(long)]
    pub poll_gap: Option<f64>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentScenario {
    Gated,
    Auto,
    Floor,
}

impl AgentArgs {
    /// The arguments that give these settings back, for a child process (the Python driver takes
    /// the same ones but `--push`).
    pub fn to_args(&self) -> Vec<String> {
        let scenario = match self.scenario {
            AgentScenario::Gated => "gated",
            AgentScenario::Auto => "auto",
            AgentScenario::Floor => "floor",
        };
        let mut args = vec![
            "--scenario".into(),
            scenario.into(),
            "--url".into(),
            self.url.clone(),
            "--calls".into(),
            self.calls.to_string(),
            "--concurrency".into(),
            self.concurrency.to_string(),
            "--seconds".into(),
            self.seconds.to_string(),
            "--warmup".into(),
            self.warmup.to_string(),
            "--ramp".into(),
            self.ramp.to_string(),
        ];
        if self.push {
            args.push("--push".into());
        }
        if self.lost_callbacks {
            args.push("--lost-callbacks".into());
        }
        if let Some(gap) = self.poll_gap {
            args.extend(["--poll-gap".into(), gap.to_string()]);
        }
        args
    }
}

/// Whether the gated body prints its `resumed` line (scenarios 1 and 3) or stays quiet
/// (scenario 2, where only the call's latency counts).
static REPORT_RESUMED: AtomicBool = AtomicBool::new(true);

/// The gated action: five parameters, as an agent's tool would have. Its first line stamps the
/// moment it runs.
#[checkpoint(
    action = "bench_transfer",
    risk = 0.8,
    summary = "Transfer {amount_cents} cents to {account} (call {call})"
)]
async fn transfer(
    call: u32,
    account: String,
    amount_cents: u64,
    memo: String,
    tags: Vec<String>,
) -> Result<(), cheqpoint::Error> {
    let resumed_at = monotonic_ns();
    if REPORT_RESUMED.load(Ordering::Relaxed) {
        emit(&format!("resumed {call} {resumed_at}"));
    }
    std::hint::black_box((account, amount_cents, memo, tags));
    Ok(())
}

async fn gated_call(call: u32) -> Result<(), cheqpoint::Error> {
    let (call, account, amount_cents, memo, tags) = arguments(call);
    transfer(call, account, amount_cents, memo, tags).await
}

fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe means the bench has gone: nothing is left to tell.
    let _ = writeln!(out, "{line}");
}

fn client(args: &AgentArgs) -> Result<Client, Box<dyn std::error::Error>> {
    let mut builder = Client::builder()
        .api_key(API_KEY)
        .base_url(&args.url)
        .timeout(CALL_TIMEOUT);
    if let Some(gap) = args.poll_gap {
        builder = builder.poll(PollPolicy::fixed(Duration::from_secs_f64(gap)));
    }
    let builder = if args.push {
        crate::push::client_builder(builder, args.lost_callbacks)
    } else {
        builder
    };
    Ok(builder.build()?)
}

/// Prints the live heap (the `heap` line).
fn emit_heap() {
    let live = Live::now();
    emit(&format!(
        "heap {} {} {}",
        live.bytes, live.blocks, live.peak_bytes
    ));
}

/// Answers the bench's lines on standard input (see [`crate::protocol`]) on a thread of its own,
/// which ends when the input closes.
fn answer_stdin() -> std::thread::JoinHandle<()> {
    std::thread::spawn(|| {
        for line in std::io::stdin().lock().lines() {
            match line.as_deref().map(str::trim) {
                Ok("heap") => emit_heap(),
                // Calls still pending: their memory is what a heap profiler reports as left.
                Ok("exit") => std::process::exit(0),
                Ok(_) => {}
                Err(_) => return,
            }
        }
    })
}

/// Runs the agent, then waits for its standard input to close, so that the bench can read its
/// peak memory and CPU time from `/proc` before it exits.
pub fn run(args: AgentArgs) -> Result<(), Box<dyn std::error::Error>> {
    let input = answer_stdin();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        cheqpoint::init(client(&args)?)?;
        match args.scenario {
            AgentScenario::Gated => gated(args.calls, args.ramp).await,
            AgentScenario::Auto => auto(&args, None).await,
            AgentScenario::Floor => auto(&args, Some(Bare::new(&args.url)?)).await,
        }
        emit("done");
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    let _ = input.join();
    drop(runtime);
    Ok(())
}

/// Scenarios 1 and 3: `calls` gated calls at once (or started evenly over `ramp` seconds),
/// each waiting for its decision.
async fn gated(calls: u32, ramp: f64) {
    // The heap before the first call: what the waits hold is measured from here.
    emit_heap();
    let mut tasks = JoinSet::new();
    let started = tokio::time::Instant::now();
    let step = Duration::from_secs_f64(ramp / f64::from(calls.max(1)));
    for call in 0..calls {
        if ramp > 0.0 {
            tokio::time::sleep_until(started + step * call).await;
        }
        tasks.spawn(async move {
            emit(&format!("start {call} {}", monotonic_ns()));
            if let Err(error) = gated_call(call).await {
                emit(&error_line(call, &error.to_string()));
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// Scenario 2: `concurrency` workers, each making one call after another (gated, or with `bare`
/// the floor's bare exchanges), for the warm-up and then the measured window. A call counts when
/// it started after the warm-up and ended within the window. The process's CPU time over the
/// window (`getrusage`, user + system) is reported beside the calls.
async fn auto(args: &AgentArgs, bare: Option<Bare>) {
    REPORT_RESUMED.store(false, Ordering::Relaxed);
    let window_start = Instant::now() + Duration::from_secs_f64(args.warmup);
    let window_end = window_start + Duration::from_secs_f64(args.seconds);
    let mut workers = JoinSet::new();
    for worker in 0..args.concurrency {
        let stride = args.concurrency;
        let bare = bare.clone();
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0_u64;
            let mut call = worker;
            while Instant::now() < window_end {
                let began = Instant::now();
                let failed = match &bare {
                    None => gated_call(call).await.is_err(),
                    Some(bare) => bare.call(call).await.is_err(),
                };
                let ended = Instant::now();
                if began >= window_start && ended <= window_end {
                    if failed {
                        errors += 1;
                    } else {
                        latencies.push(ended.duration_since(began).as_micros() as u64);
                    }
                }
                call = call.wrapping_add(stride);
            }
            (latencies, errors)
        });
    }
    tokio::time::sleep_until(window_start.into()).await;
    let cpu_before = cpu_seconds();
    tokio::time::sleep_until(window_end.into()).await;
    let cpu_seconds = cpu_seconds() - cpu_before;
    let mut latencies = Vec::new();
    let mut errors = 0;
    while let Some(Ok((worker_latencies, worker_errors))) = workers.join_next().await {
        latencies.extend(worker_latencies);
        errors += worker_errors;
    }
    let report = serde_json::json!({
        "latencies_us": latencies,
        "errors": errors,
        "seconds": args.seconds,
        "cpu_seconds": cpu_seconds,
    });
    emit(&format!("auto {report}"));
}

/// This process's CPU time so far, user + system, seconds (`getrusage(RUSAGE_SELF)`).
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the struct it is given, which is zeroed and ours.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: AgentArgs,
    }

    #[test]
    fn arguments_round_trip() {
        let args = AgentArgs {
            scenario: AgentScenario::Auto,
            url: "http://127.0.0.1:1".into(),
            calls: 5,
            concurrency: 3,
            seconds: 1.5,
            warmup: 0.25,
            ramp: 2.0,
            push: true,
            lost_callbacks: true,
            poll_gap: Some(8.0),
        };
        let parsed = Wrapper::parse_from(std::iter::once("agent".to_owned()).chain(args.to_args()));
        assert_eq!(parsed.args, args);
    }
}
