//! `cargo run --release -p cheqpoint-bench`: this crate's client against the official Python
//! client (cheqpoint 0.2.0), on the local emulator over loopback, in three scenarios — decision →
//! resume latency, auto-decided calls per second, and many pending waits in one process — and one
//! table of the results. `bench/README.md` has a recorded run and what each number means.
//!
//! Each agent runs as a process of its own (this binary as `cheqpoint-bench agent …`, or the
//! Python driver), so that its memory and CPU time are read apart from the emulator's, which
//! runs in this process and plays the reviewer.

mod agent;
mod bare;
mod clock;
mod floor;
mod heap;
mod process;
mod protocol;
mod push;
mod python;
mod report;
mod scenarios;
mod schedule;
mod stats;

use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

use crate::agent::{AgentArgs, AgentScenario};
use crate::process::AgentProgram;
use crate::report::{Column, FloorRound, Results};
use crate::scenarios::{Contender, Env, Plan};

/// Every allocation counted, so that an agent can tell the bench the heap its waits hold.
#[global_allocator]
static ALLOCATOR: heap::Counting = heap::Counting;

#[derive(Parser)]
#[command(about = "Benchmarks cheqpoint against the official Python client on the local emulator")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Fewer calls and shorter windows: about a minute instead of several.
    #[arg(long)]
    quick: bool,
    /// A few calls of each scenario, for the test suite.
    #[arg(long, hide = true)]
    smoke: bool,
    /// Measure this crate alone.
    #[arg(long)]
    no_python: bool,
    /// The Python that makes the virtualenv.
    #[arg(long, default_value = "python3")]
    python: String,
    /// Run only these scenarios.
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Scenario>,
    /// Run only these clients.
    #[arg(long, value_enum, value_delimiter = ',')]
    clients: Vec<Client>,
    /// Waits of the Python client in scenario 3 (one thread each); default 1,000 (200 quick).
    #[arg(long)]
    python_scale_calls: Option<u32>,
    /// Scenario 3's waits for this crate (default 10,000; 1,000 quick).
    #[arg(long)]
    scale_calls: Option<u32>,
    /// Scenario 3's pending window, seconds (default 60; 5 quick).
    #[arg(long)]
    scale_pending: Option<f64>,
    /// Start scenario 3's calls evenly over this many seconds instead of all at once (a
    /// diagnostic: how much of the peak memory is the burst of connections).
    #[arg(long, default_value_t = 0.0)]
    scale_ramp: f64,
    /// Scenario 3's agent reads every this many seconds instead of on the default schedule (a
    /// diagnostic: with a gap longer than the pending window, no read is in flight when the heap
    /// is read).
    #[arg(long)]
    scale_poll_gap: Option<f64>,
    /// Instead of the table: scenario 3 under `heaptrack` (from Debian's `heaptrack`) up to the end
    /// of its pending window, for each client of this crate, and the heap its waits hold.
    #[arg(long)]
    heap_profile: bool,
    /// Seed of the reviewer's decision times.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Run one client's side of a scenario (started by the bench itself).
    Agent(AgentArgs),
}

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
enum Client {
    /// This crate, polling.
    Poll,
    /// This crate, woken by callbacks.
    Push,
    /// The official Python client.
    Python,
}

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Latency,
    Auto,
    Scale,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    if let Some(Command::Agent(args)) = cli.command {
        return agent::run(args);
    }
    let started = Instant::now();
    let mut plan = match (cli.smoke, cli.quick) {
        (true, _) => Plan::smoke(),
        (false, true) => Plan::quick(),
        (false, false) => Plan::full(),
    };
    if let Some(calls) = cli.python_scale_calls {
        plan.python_scale_calls = calls;
    }
    if let Some(calls) = cli.scale_calls {
        plan.scale_calls = calls;
    }
    if let Some(seconds) = cli.scale_pending {
        plan.scale_pending = std::time::Duration::from_secs_f64(seconds);
    }
    plan.scale_ramp = cli.scale_ramp;
    plan.scale_poll_gap = cli.scale_poll_gap;
    let target = python::target_dir();
    let exe = std::env::current_exe()?;
    let rust = AgentProgram::Rust { exe };
    let poll = Contender {
        name: "poll",
        program: rust.clone(),
        push: false,
        lost_callbacks: false,
    };
    let push = Contender {
        name: "push",
        program: rust.clone(),
        push: true,
        lost_callbacks: false,
    };
    let push_lost = Contender {
        name: "push-lost",
        program: rust,
        push: true,
        lost_callbacks: true,
    };
    let wanted = |client| cli.clients.is_empty() || cli.clients.contains(&client);
    let (python, python_missing) = if cli.no_python || cli.heap_profile || !wanted(Client::Python) {
        (None, Some("left out on the command line".to_owned()))
    } else {
        match python::prepare(&target, &cli.python) {
            Ok(program) => (
                Some(Contender {
                    name: "python",
                    program,
                    push: false,
                    lost_callbacks: false,
                }),
                None,
            ),
            Err(why) => {
                eprintln!(
                    "The official Python client cannot be run ({why}): this crate alone is measured."
                );
                (None, Some(why))
            }
        }
    };
    let env = Env {
        log_dir: target.join("bench-logs"),
        seed: cli.seed,
    };
    let contenders: Vec<&Contender> = [
        wanted(Client::Poll).then_some(&poll),
        wanted(Client::Push).then_some(&push),
        python.as_ref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let runs = |scenario| cli.only.is_empty() || cli.only.contains(&scenario);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if cli.heap_profile {
        for contender in contenders.iter().filter(|c| c.name != "python") {
            eprintln!(
                "scenario 3 under heaptrack, {}: {} pending for {:?} …",
                contender.name, plan.scale_calls, plan.scale_pending
            );
            let profile = runtime.block_on(scenarios::heap_profile(
                contender,
                plan.scale_calls,
                &plan,
                &env,
            ));
            println!("{}", report::heap_profile(contender.name, &profile));
        }
        return Ok(());
    }
    let mut columns: [Column; 3] = Default::default();
    let mut floor_rounds = Vec::new();
    runtime.block_on(async {
        for contender in &contenders {
            let column = &mut columns[index(contender)];
            if runs(Scenario::Latency) {
                eprintln!(
                    "scenario 1, {}: {} calls decided within {:?} …",
                    contender.name, plan.latency_calls, plan.latency_window
                );
                column.latency = Some(scenarios::latency(contender, &plan, &env).await);
                tokio::time::sleep(plan.pause).await;
                if contender.push {
                    eprintln!("scenario 1, push with every callback lost …");
                    column.latency_lost = Some(scenarios::latency(&push_lost, &plan, &env).await);
                    tokio::time::sleep(plan.pause).await;
                }
            }
        }
        for contender in &contenders {
            let column = &mut columns[index(contender)];
            if !runs(Scenario::Auto) {
                continue;
            }
            if contender.name == "poll" {
                for round in 1..=plan.auto_rounds {
                    eprintln!(
                        "scenario 2, round {round} of {}: the bare floor, then poll, {} in flight for {} s each …",
                        plan.auto_rounds, plan.auto_concurrency, plan.auto_seconds
                    );
                    let floor = scenarios::auto(contender, AgentScenario::Floor, &plan, &env).await;
                    tokio::time::sleep(plan.pause).await;
                    let gated = scenarios::auto(contender, AgentScenario::Auto, &plan, &env).await;
                    tokio::time::sleep(plan.pause).await;
                    floor_rounds.push(FloorRound { floor, gated });
                }
                column.auto = Some(median_gated(&floor_rounds));
                continue;
            }
            eprintln!(
                "scenario 2, {}: {} in flight for {} s …",
                contender.name, plan.auto_concurrency, plan.auto_seconds
            );
            column.auto = Some(scenarios::auto(contender, AgentScenario::Auto, &plan, &env).await);
            tokio::time::sleep(plan.pause).await;
        }
        for contender in &contenders {
            let column = &mut columns[index(contender)];
            if runs(Scenario::Scale) {
                let calls = if contender.name == "python" {
                    plan.python_scale_calls
                } else {
                    plan.scale_calls
                };
                eprintln!(
                    "scenario 3, {}: {calls} pending for {:?} …",
                    contender.name, plan.scale_pending
                );
                column.scale = Some(scenarios::scale(contender, calls, &plan, &env).await);
                tokio::time::sleep(plan.pause).await;
            }
        }
    });
    let [poll, push, python] = columns;
    let results = Results {
        plan,
        poll,
        push,
        python,
        python_missing,
        floor_rounds,
        wall: started.elapsed(),
    };
    println!("{}", report::render(&results));
    Ok(())
}

/// The gated run of the round with the median calls per second, for the main table; the first
/// failure when none succeeded.
fn median_gated(rounds: &[FloorRound]) -> Result<scenarios::Auto, String> {
    let mut done: Vec<_> = rounds
        .iter()
        .filter_map(|r| r.gated.as_ref().ok())
        .collect();
    done.sort_by(|a, b| a.calls_per_second.total_cmp(&b.calls_per_second));
    match done.get(done.len() / 2) {
        Some(auto) => Ok((*auto).clone()),
        None => Err(rounds
            .iter()
            .find_map(|r| r.gated.as_ref().err().cloned())
            .unwrap_or_else(|| "no round ran".into())),
    }
}

/// The column of the table a contender's numbers go in.
fn index(contender: &Contender) -> usize {
    match contender.name {
        "poll" => 0,
        "push" => 1,
        _ => 2,
    }
}
