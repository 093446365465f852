//! The three end-to-end scenarios. Each starts a fresh emulator in this process, starts one agent
//! process (this crate's client, polling or push, or the Python driver), plays the reviewer, and
//! reads what the agent printed, the emulator's request log and the agent's `/proc` entries.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cheqpoint_emulator::{Emulator, Route, Status};

use crate::agent::{AgentArgs, AgentScenario};
use crate::clock::{WallToMonotonic, monotonic_ns};
use crate::floor::{FLOOR_MARK, Floor};
use crate::heap::{Live, PerThing};
use crate::process::{AgentProcess, AgentProgram, Usage};
use crate::protocol::{AutoReport, Event};
use crate::push::WEBHOOK_SECRET;
use crate::stats::Sample;

/// How big and how long each scenario is.
#[derive(Debug, Clone)]
pub struct Plan {
    pub latency_calls: u32,
    pub latency_window: Duration,
    pub auto_concurrency: u32,
    pub auto_warmup: f64,
    pub auto_seconds: f64,
    /// Scenario 2 for this crate polling: so many runs of the bare floor and the gated calls,
    /// one after the other (floor, gated, floor, …), compared by their medians.
    pub auto_rounds: u32,
    pub scale_calls: u32,
    pub scale_pending: Duration,
    pub python_scale_calls: u32,
    /// Seconds over which the scale scenario's calls start (0: all at once).
    pub scale_ramp: f64,
    /// The scale scenario's agent reads every this many seconds instead of on the default
    /// schedule (a diagnostic: no read in flight when the heap is read).
    pub scale_poll_gap: Option<f64>,
    /// Between two runs, for the sockets of one to close before the next.
    pub pause: Duration,
}

impl Plan {
    /// The numbers.
    pub fn full() -> Plan {
        Plan {
            latency_calls: 200,
            latency_window: Duration::from_secs(30),
            auto_concurrency: 64,
            auto_warmup: 1.0,
            auto_seconds: 10.0,
            auto_rounds: 3,
            scale_calls: 10_000,
            scale_pending: Duration::from_secs(60),
            python_scale_calls: 1_000,
            scale_ramp: 0.0,
            scale_poll_gap: None,
            pause: Duration::from_secs(1),
        }
    }

    /// `--quick`: the same shapes, smaller and shorter (about a minute in all).
    pub fn quick() -> Plan {
        Plan {
            latency_calls: 50,
            latency_window: Duration::from_secs(5),
            auto_concurrency: 64,
            auto_warmup: 0.5,
            auto_seconds: 3.0,
            auto_rounds: 1,
            scale_calls: 1_000,
            scale_pending: Duration::from_secs(5),
            python_scale_calls: 200,
            scale_ramp: 0.0,
            scale_poll_gap: None,
            pause: Duration::from_millis(500),
        }
    }

    /// `--smoke`: just enough to run every path once, for the test suite.
    pub fn smoke() -> Plan {
        Plan {
            latency_calls: 5,
            latency_window: Duration::from_millis(500),
            auto_concurrency: 4,
            auto_warmup: 0.1,
            auto_seconds: 0.4,
            auto_rounds: 1,
            scale_calls: 40,
            scale_pending: Duration::from_millis(300),
            python_scale_calls: 10,
            scale_ramp: 0.0,
            scale_poll_gap: None,
            pause: Duration::from_millis(50),
        }
    }
}

/// One agent to run a scenario with.
#[derive(Debug, Clone)]
pub struct Contender {
    /// Short name, for logs: `poll`, `push`, `python`.
    pub name: &'static str,
    pub program: AgentProgram,
    pub push: bool,
    /// With `push`: callbacks are sent to a URL nothing listens on.
    pub lost_callbacks: bool,
}

/// Where agents' standard error goes, and the seed of the decision times.
pub struct Env {
    pub log_dir: PathBuf,
    pub seed: u64,
}

/// What went wrong with the calls themselves (as opposed to their timing).
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// Calls that ended in an error, and the first message.
    pub errors: usize,
    pub first_error: Option<String>,
    /// Calls whose body never ran (and that reported no error).
    pub missing: usize,
    /// Calls whose body ran more than once.
    pub duplicates: usize,
    /// Requests created more than once per call.
    pub extra_creates: usize,
}

impl Checks {
    pub fn clean(&self) -> bool {
        self.errors == 0 && self.missing == 0 && self.duplicates == 0 && self.extra_creates == 0
    }
}

/// Scenario 1's outcome.
#[derive(Debug, Clone)]
pub struct Latency {
    /// From `approve` returning to the body's first line.
    pub latencies: Sample,
    /// The same, for decisions made less than 10 s after the call started.
    pub early: Sample,
    /// How long into its wait each call was decided.
    pub ages: Vec<Duration>,
    /// API requests (creates and reads) per approval.
    pub requests_per_approval: f64,
    /// With push (callbacks reaching the agent): the floor, and where push's time goes.
    pub push_path: Option<PushPath>,
    pub checks: Checks,
}

/// Push's decision → resume beside its floor, and cut into the stretches the emulator's logs
/// show.
#[derive(Debug, Clone)]
pub struct PushPath {
    /// The floor: a callback POST to a bare listener and the GET it makes, bare `reqwest`
    /// ([`crate::floor`]); one at a random moment of the window per decision.
    pub floor: Sample,
    pub floor_errors: usize,
    /// From `approve` returning to the agent's listener answering the callback: sent, received,
    /// verified, its wait woken.
    pub callback_answered: Sample,
    /// From `approve` returning to the woken wait's read reaching the emulator.
    pub read_received: Sample,
    /// From that read reaching the emulator to the body's first line: the record read and
    /// answered, the answer parsed and checked, the body resumed.
    pub read_to_body: Sample,
    /// The agent's reads per approval, by what made them.
    pub reads: ReadShares,
}

/// The agent's reads of scenario 1 with push, per approval, told apart by the emulator's log:
/// when each arrived against the decision, the first callback's answer and the wait's start.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadShares {
    /// Reads of a pending request before the agent answered its first callback: the client
    /// polls until callbacks are seen to reach it.
    pub before_first_callback: f64,
    /// Reads of a pending request after that, less than 13.5 s into the wait, before the safety
    /// net's first read (15 s ± 10 %) can come: polling again after a read found a decision
    /// before its callback.
    pub polling_again: f64,
    /// Reads of a pending request after the first callback, 13.5 s or more into the wait: the
    /// safety net's, mostly.
    pub safety_net: f64,
    /// The read that found the decision.
    pub deciding: f64,
}

impl ReadShares {
    /// All of them.
    pub fn total(&self) -> f64 {
        self.before_first_callback + self.polling_again + self.safety_net + self.deciding
    }
}

/// Scenario 2's outcome.
#[derive(Debug, Clone)]
pub struct Auto {
    pub calls_per_second: f64,
    pub latencies: Sample,
    pub requests_per_call: f64,
    /// Callbacks the emulator POSTed to the agent, per call, over the last 10,000 calls (the
    /// emulator keeps that many deliveries).
    pub callbacks_per_call: f64,
    pub errors: u64,
    /// CPU seconds over the run: the agent's, and this process's (the emulator, mostly).
    pub agent_cpu_seconds: f64,
    /// The agent's CPU time (user + system, `getrusage`) over the measured window per call
    /// measured; this crate's agent only.
    pub cpu_per_call: Option<Duration>,
    pub emulator_cpu_seconds: f64,
    /// The run's wall time, seconds (warm-up and measured window).
    pub wall_seconds: f64,
}

/// Scenario 3's outcome.
#[derive(Debug, Clone)]
pub struct Scale {
    pub calls: u32,
    /// From the agent's start until every request was pending.
    pub create_seconds: f64,
    /// From approving them all until every body ran.
    pub resume_seconds: f64,
    /// Over the whole run.
    pub usage: Usage,
    /// Resident set size once every call was pending, and at the end of the pending window, KiB.
    pub rss_created_kib: u64,
    pub rss_pending_kib: u64,
    /// The most file descriptors (sockets, mostly) the agent held at once, sampled every 250 ms.
    pub peak_fds: u64,
    /// CPU time spent while every call was pending.
    pub cpu_pending_seconds: f64,
    /// Requests it sent per second while every call was pending.
    pub requests_per_second_pending: f64,
    /// Requests it sent per second over the whole run.
    pub requests_per_second: f64,
    /// The heap the agent held at the end of the pending window over what it held before its
    /// first call, per wait, and its peak so far (this crate's agent only).
    pub heap_per_wait: Option<PerThing>,
    pub checks: Checks,
}

/// A heap profile of pending waits: `heaptrack`'s file, and the heap each wait held.
#[derive(Debug, Clone)]
pub struct HeapProfile {
    pub calls: u32,
    /// `heaptrack`'s output (it adds `.zst`); what is left allocated at its end is the heap of
    /// the pending waits.
    pub file: PathBuf,
    /// Per wait, counted by the agent's allocator.
    pub per_wait: PerThing,
}

/// What an agent printed, gathered.
#[derive(Default)]
struct Gathered {
    starts: HashMap<u32, u64>,
    resumed: HashMap<u32, Vec<u64>>,
    errors: HashMap<u32, String>,
    auto: Option<AutoReport>,
    /// The agent's `heap` lines: before its first call, then one per `heap` asked.
    heap: Vec<Live>,
    done: bool,
}

impl Gathered {
    fn take(&mut self, event: Event) {
        match event {
            Event::Start { call, ns } => {
                self.starts.insert(call, ns);
            }
            Event::Resumed { call, ns } => self.resumed.entry(call).or_default().push(ns),
            Event::Error { call, message } => {
                self.errors.insert(call, message);
            }
            Event::Auto(report) => self.auto = Some(report),
            Event::Heap {
                bytes,
                blocks,
                peak_bytes,
            } => self.heap.push(Live {
                bytes,
                blocks,
                peak_bytes,
            }),
            Event::Done => self.done = true,
            Event::Other(line) => eprintln!("  agent: {line}"),
        }
    }

    /// Calls that ended, one way or the other.
    fn ended(&self) -> usize {
        self.resumed.len()
            + self
                .errors
                .keys()
                .filter(|call| !self.resumed.contains_key(call))
                .count()
    }

    fn checks(&self, calls: u32, created: usize) -> Checks {
        let (mut missing, mut duplicates) = (0, 0);
        for call in 0..calls {
            match self.resumed.get(&call).map_or(0, Vec::len) {
                0 if !self.errors.contains_key(&call) => missing += 1,
                0 | 1 => {}
                _ => duplicates += 1,
            }
        }
        let mut errors: Vec<_> = self.errors.iter().collect();
        errors.sort();
        Checks {
            errors: self.errors.len(),
            first_error: errors
                .first()
                .map(|(call, message)| format!("call {call}: {message}")),
            missing,
            duplicates,
            extra_creates: created.saturating_sub(calls as usize),
        }
    }
}

/// The agent and what it printed so far.
struct Run {
    process: AgentProcess,
    gathered: Gathered,
    log: PathBuf,
}

impl Run {
    fn start(
        contender: &Contender,
        args: &AgentArgs,
        env: &Env,
        scenario: &str,
    ) -> Result<Run, String> {
        let log = env
            .log_dir
            .join(format!("{scenario}-{}.log", contender.name));
        let process = AgentProcess::spawn(&contender.program, args, &log)
            .map_err(|e| format!("the agent did not start: {e}"))?;
        Ok(Run {
            process,
            gathered: Gathered::default(),
            log,
        })
    }

    /// Reads events until `ready` holds (checked at least every 50 ms), for at most `limit`.
    async fn wait_for(
        &mut self,
        limit: Duration,
        what: &str,
        mut ready: impl FnMut(&Gathered) -> bool,
    ) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        while !ready(&self.gathered) {
            if Instant::now() >= deadline {
                return Err(self.failure(&format!("no {what} within {limit:?}")));
            }
            match self.process.next_within(Duration::from_millis(50)).await {
                Ok(Some(event)) => self.gathered.take(event),
                Ok(None) => return Err(self.failure(&format!("the agent exited before {what}"))),
                Err(()) => {}
            }
        }
        Ok(())
    }

    /// Reads events for `span`.
    async fn gather_for(&mut self, span: Duration) {
        let deadline = Instant::now() + span;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            match self.process.next_within(left).await {
                Ok(Some(event)) => self.gathered.take(event),
                Ok(None) => tokio::time::sleep(left).await,
                Err(()) => return,
            }
        }
    }

    /// Asks the agent for its heap and returns what it holds over its heap before the first call,
    /// per one of `calls` waits, with its peak so far.
    async fn heap_per_wait(&mut self, calls: u32) -> Result<PerThing, String> {
        let asked = self.gathered.heap.len().max(1);
        self.process
            .tell("heap")
            .await
            .map_err(|e| format!("the agent could not be asked for its heap: {e}"))?;
        self.wait_for(Duration::from_secs(30), "heap reading", |gathered| {
            gathered.heap.len() > asked
        })
        .await?;
        let (base, now) = (self.gathered.heap[0], self.gathered.heap[asked]);
        Ok(now.per(base, calls))
    }

    fn failure(&mut self, what: &str) -> String {
        let exited = if self.process.is_running() {
            ""
        } else {
            " (it has exited)"
        };
        let first_error = self
            .gathered
            .errors
            .iter()
            .next()
            .map(|(call, message)| format!("; first error, call {call}: {message}"))
            .unwrap_or_default();
        format!(
            "{what}{exited}{first_error}; its stderr: {}",
            self.log.display()
        )
    }
}

fn emulator_error(error: std::io::Error) -> String {
    format!("the emulator did not start: {error}")
}

/// How many callback deliveries the emulator keeps for `Emulator::callbacks`.
const KEPT_DELIVERIES: usize = 10_000;

/// The `call` parameter each request carries in its details.
fn call_of(details: &serde_json::Value) -> Option<u32> {
    details.get("call")?.as_u64()?.try_into().ok()
}

/// API requests the agent made: creates and reads (and short-wait calls, which none makes).
fn api_requests(emulator: &Emulator) -> usize {
    emulator.call_count(Route::Any)
}

/// Reads the floor made ([`FLOOR_MARK`]), which the emulator counts with the agent's.
fn floor_reads(emulator: &Emulator) -> usize {
    emulator
        .calls()
        .iter()
        .filter(|call| call.idempotency_key.as_deref() == Some(FLOOR_MARK))
        .count()
}

/// Scenario 1: `calls` gated calls pending at once; the reviewer approves each at a random moment
/// within the window; how long from `approve` returning to the body's first line.
pub async fn latency(contender: &Contender, plan: &Plan, env: &Env) -> Result<Latency, String> {
    let calls = plan.latency_calls;
    let emulator = Arc::new(
        Emulator::builder()
            .webhook_secret(WEBHOOK_SECRET)
            .start()
            .await
            .map_err(emulator_error)?,
    );
    let args = AgentArgs {
        scenario: AgentScenario::Gated,
        url: emulator.url(),
        calls,
        concurrency: 0,
        seconds: 0.0,
        warmup: 0.0,
        ramp: 0.0,
        push: contender.push,
        lost_callbacks: contender.lost_callbacks,
        poll_gap: None,
    };
    let mut run = Run::start(contender, &args, env, "latency")?;
    run.wait_for(
        Duration::from_secs(120),
        "request for every call",
        |gathered| emulator.created_count() + gathered.errors.len() >= calls as usize,
    )
    .await?;

    // Every request is pending: each gets a moment within the window, at random.
    let mut rng = fastrand::Rng::with_seed(env.seed);
    let mut schedule: Vec<(Duration, String, u32)> = emulator
        .requests()
        .into_iter()
        .filter(|record| record.status == Status::Pending)
        .filter_map(|record| {
            let call = call_of(&record.details)?;
            let at = plan.latency_window.mul_f64(rng.f64());
            Some((at, record.id, call))
        })
        .collect();
    schedule.sort();
    let ids: HashMap<u32, String> = schedule
        .iter()
        .map(|(_, id, call)| (*call, id.clone()))
        .collect();
    let floor = if contender.push && !contender.lost_callbacks {
        let floor = Floor::start(emulator.url())
            .await
            .map_err(|e| format!("the floor's listener did not start: {e}"))?;
        Some(tokio::spawn(sample_floor(
            floor,
            ids.values().cloned().collect(),
            plan.latency_window,
            env.seed,
        )))
    } else {
        None
    };
    let reviewer = Arc::clone(&emulator);
    let decider = tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        let mut approved_at = HashMap::new();
        for (at, id, call) in schedule {
            tokio::time::sleep_until(start + at).await;
            if reviewer.approve(&id).is_ok() {
                approved_at.insert(call, monotonic_ns());
            }
        }
        approved_at
    });

    let limit = plan.latency_window + Duration::from_secs(60);
    run.wait_for(limit, "end of every call", |gathered| {
        gathered.done && gathered.ended() >= calls as usize
    })
    .await?;
    let approved_at = decider
        .await
        .map_err(|e| format!("the reviewer failed: {e}"))?;

    let mut latencies = Vec::new();
    let mut early = Vec::new();
    let mut ages = Vec::new();
    for (call, approved) in &approved_at {
        let Some(resumed) = run
            .gathered
            .resumed
            .get(call)
            .and_then(|stamps| stamps.first())
        else {
            continue;
        };
        let latency = Duration::from_nanos(resumed.saturating_sub(*approved));
        latencies.push(latency);
        let started = run.gathered.starts.get(call).copied().unwrap_or(*approved);
        let age = Duration::from_nanos(approved.saturating_sub(started));
        if age < Duration::from_secs(10) {
            early.push(latency);
        }
        ages.push(age);
    }
    let checks = run.gathered.checks(calls, emulator.created_count());
    let push_path = match floor {
        Some(floor) => {
            let (floor, floor_errors) = floor
                .await
                .map_err(|e| format!("the floor's sampler failed: {e}"))?;
            Some(push_path(
                &emulator,
                &approved_at,
                &ids,
                &run.gathered,
                floor,
                floor_errors,
            ))
        }
        None => None,
    };
    // The agent's: the floor's reads go to the same emulator.
    let requests = api_requests(&emulator) - floor_reads(&emulator);
    run.process.finish().await;
    Ok(Latency {
        latencies: Sample::new(latencies),
        early: Sample::new(early),
        ages,
        requests_per_approval: requests as f64 / approved_at.len().max(1) as f64,
        push_path,
        checks,
    })
}

/// One floor sample per id, each at a random moment of `window`, made while the scenario's own
/// decisions go on; the samples and how many failed.
async fn sample_floor(
    floor: Floor,
    ids: Vec<String>,
    window: Duration,
    seed: u64,
) -> (Vec<Duration>, usize) {
    let mut rng = fastrand::Rng::with_seed(seed.wrapping_add(1));
    let mut moments: Vec<(Duration, String)> = ids
        .into_iter()
        .map(|id| (window.mul_f64(rng.f64()), id))
        .collect();
    moments.sort();
    let start = tokio::time::Instant::now();
    let (mut samples, mut errors) = (Vec::new(), 0);
    for (at, id) in moments {
        tokio::time::sleep_until(start + at).await;
        match floor.sample(&id).await {
            Ok(took) => samples.push(took),
            Err(_) => errors += 1,
        }
    }
    (samples, errors)
}

/// Where push's decision → resume went, from the emulator's logs of its callbacks (when the
/// receiver answered) and of the reads (when each arrived), beside the floor.
fn push_path(
    emulator: &Emulator,
    approved_at: &HashMap<u32, u64>,
    ids: &HashMap<u32, String>,
    gathered: &Gathered,
    floor: Vec<Duration>,
    floor_errors: usize,
) -> PushPath {
    let clocks = WallToMonotonic::now();
    let answered: HashMap<String, u64> = emulator
        .callbacks()
        .into_iter()
        .map(|delivery| {
            (
                delivery.approval_id,
                clocks.monotonic_ns(delivery.finished_at),
            )
        })
        .collect();
    let mut reads: HashMap<&str, Vec<u64>> = HashMap::new();
    let calls = emulator.calls();
    for call in &calls {
        if call.method == "GET"
            && call.idempotency_key.as_deref() != Some(FLOOR_MARK)
            && let Some(id) = call.path.strip_prefix("/api/approvals/")
        {
            reads
                .entry(id)
                .or_default()
                .push(clocks.monotonic_ns(call.at));
        }
    }
    let since = |from: u64, to: u64| Duration::from_nanos(to.saturating_sub(from));
    let (mut callback_answered, mut read_received, mut read_to_body) =
        (Vec::new(), Vec::new(), Vec::new());
    for (call, &approved) in approved_at {
        let Some(id) = ids.get(call) else { continue };
        if let Some(&at) = answered.get(id) {
            callback_answered.push(since(approved, at));
        }
        let read = reads
            .get(id.as_str())
            .and_then(|stamps| stamps.iter().copied().find(|&at| at >= approved));
        let resumed = gathered.resumed.get(call).and_then(|stamps| stamps.first());
        if let Some(read) = read {
            read_received.push(since(approved, read));
            if let Some(&resumed) = resumed {
                read_to_body.push(since(read, resumed));
            }
        }
    }
    let first_callback = answered.values().copied().min().unwrap_or(u64::MAX);
    let mut shares = ReadShares::default();
    for (call, &approved) in approved_at {
        let Some(id) = ids.get(call) else { continue };
        let started = gathered.starts.get(call).copied().unwrap_or(approved);
        let mut found = false;
        for &at in reads
            .get(id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let share = if at >= approved && !found {
                found = true;
                &mut shares.deciding
            } else if at < first_callback {
                &mut shares.before_first_callback
            } else if since(started, at) < Duration::from_millis(13_500) {
                &mut shares.polling_again
            } else {
                &mut shares.safety_net
            };
            *share += 1.0;
        }
    }
    let approvals = approved_at.len().max(1) as f64;
    for share in [
        &mut shares.before_first_callback,
        &mut shares.polling_again,
        &mut shares.safety_net,
        &mut shares.deciding,
    ] {
        *share /= approvals;
    }
    PushPath {
        floor: Sample::new(floor),
        floor_errors,
        callback_answered: Sample::new(callback_answered),
        read_received: Sample::new(read_received),
        read_to_body: Sample::new(read_to_body),
        reads: shares,
    }
}

/// Scenario 2: every request approved at creation by a rule; `concurrency` calls in flight,
/// gated (`AgentScenario::Auto`) or the bare floor (`AgentScenario::Floor`).
pub async fn auto(
    contender: &Contender,
    scenario: AgentScenario,
    plan: &Plan,
    env: &Env,
) -> Result<Auto, String> {
    let emulator = Emulator::builder()
        .webhook_secret(WEBHOOK_SECRET)
        .auto_approve_below(0.9)
        .start()
        .await
        .map_err(emulator_error)?;
    let args = AgentArgs {
        scenario,
        url: emulator.url(),
        calls: 0,
        concurrency: plan.auto_concurrency,
        seconds: plan.auto_seconds,
        warmup: plan.auto_warmup,
        ramp: 0.0,
        push: contender.push,
        lost_callbacks: contender.lost_callbacks,
        poll_gap: None,
    };
    let emulator_before = Usage::of(std::process::id()).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let log = match scenario {
        AgentScenario::Floor => "auto-floor",
        _ => "auto",
    };
    let mut run = Run::start(contender, &args, env, log)?;
    let limit = Duration::from_secs_f64(plan.auto_warmup + plan.auto_seconds + 60.0);
    run.wait_for(limit, "report", |gathered| gathered.done)
        .await?;
    let report = run
        .gathered
        .auto
        .take()
        .ok_or_else(|| "the agent printed no report".to_owned())?;
    let requests = api_requests(&emulator);
    let created = emulator.created_count();
    let callbacks = emulator.callbacks().len();
    let wall_seconds = started.elapsed().as_secs_f64();
    let agent = run.process.usage().map_err(|e| e.to_string())?;
    let emulator_after = Usage::of(std::process::id()).map_err(|e| e.to_string())?;
    run.process.finish().await;
    let measured = report.latencies_us.len();
    Ok(Auto {
        cpu_per_call: report
            .cpu_seconds
            .map(|cpu| Duration::from_secs_f64(cpu / measured.max(1) as f64)),
        calls_per_second: measured as f64 / report.seconds,
        latencies: Sample::new(
            report
                .latencies_us
                .into_iter()
                .map(Duration::from_micros)
                .collect(),
        ),
        requests_per_call: requests as f64 / created.max(1) as f64,
        callbacks_per_call: callbacks as f64 / created.clamp(1, KEPT_DELIVERIES) as f64,
        errors: report.errors,
        agent_cpu_seconds: agent.cpu_seconds,
        emulator_cpu_seconds: emulator_after.cpu_seconds - emulator_before.cpu_seconds,
        wall_seconds,
    })
}

/// Scenario 3: `calls` gated calls pending at once for a while, then all approved; the agent's
/// memory, CPU time and request rate, and that each body ran once.
pub async fn scale(
    contender: &Contender,
    calls: u32,
    plan: &Plan,
    env: &Env,
) -> Result<Scale, String> {
    let emulator = Emulator::builder()
        .webhook_secret(WEBHOOK_SECRET)
        .start()
        .await
        .map_err(emulator_error)?;
    let args = AgentArgs {
        scenario: AgentScenario::Gated,
        url: emulator.url(),
        calls,
        concurrency: 0,
        seconds: 0.0,
        warmup: 0.0,
        ramp: plan.scale_ramp,
        push: contender.push,
        lost_callbacks: contender.lost_callbacks,
        poll_gap: plan.scale_poll_gap,
    };
    let started = Instant::now();
    let mut run = Run::start(contender, &args, env, "scale")?;
    let timeline = env
        .log_dir
        .join(format!("scale-{}-timeline.tsv", contender.name));
    let peak_fds = Arc::new(AtomicU64::new(0));
    let sampler = tokio::spawn(sample(run.process.pid(), timeline, Arc::clone(&peak_fds)));
    run.wait_for(
        Duration::from_secs(300),
        "request for every call",
        |gathered| emulator.created_count() + gathered.errors.len() >= calls as usize,
    )
    .await?;
    let create_seconds = started.elapsed().as_secs_f64();
    let rss_created_kib = run.process.usage().map_err(|e| e.to_string())?.rss_kib;

    let usage_before = run.process.usage().map_err(|e| e.to_string())?;
    let requests_before = api_requests(&emulator);
    let pending_since = Instant::now();
    run.gather_for(plan.scale_pending).await;
    let pending_seconds = pending_since.elapsed().as_secs_f64();
    let requests_pending = api_requests(&emulator) - requests_before;
    let usage_pending = run.process.usage().map_err(|e| e.to_string())?;
    let heap_per_wait = match contender.program {
        AgentProgram::Python { .. } => None,
        _ => Some(run.heap_per_wait(calls).await?),
    };

    let approving = Instant::now();
    for record in emulator.requests() {
        if record.status == Status::Pending {
            let _ = emulator.approve(&record.id);
        }
    }
    run.wait_for(Duration::from_secs(300), "end of every call", |gathered| {
        gathered.done && gathered.ended() >= calls as usize
    })
    .await?;
    let resume_seconds = approving.elapsed().as_secs_f64();
    let wall_seconds = started.elapsed().as_secs_f64();
    let usage = run.process.usage().map_err(|e| e.to_string())?;
    let requests = api_requests(&emulator);
    let checks = run.gathered.checks(calls, emulator.created_count());
    sampler.abort();
    run.process.finish().await;
    Ok(Scale {
        rss_created_kib,
        rss_pending_kib: usage_pending.rss_kib,
        peak_fds: peak_fds.load(Ordering::Relaxed).max(usage.open_fds),
        calls,
        create_seconds,
        resume_seconds,
        usage,
        cpu_pending_seconds: usage_pending.cpu_seconds - usage_before.cpu_seconds,
        requests_per_second_pending: requests_pending as f64 / pending_seconds,
        requests_per_second: requests as f64 / wall_seconds,
        heap_per_wait,
        checks,
    })
}

/// Scenario 3 under `heaptrack`, up to the end of the pending window, where the agent is told to
/// exit: what is then left allocated, by call stack, is what the pending waits hold.
pub async fn heap_profile(
    contender: &Contender,
    calls: u32,
    plan: &Plan,
    env: &Env,
) -> Result<HeapProfile, String> {
    let AgentProgram::Rust { exe } = &contender.program else {
        return Err("only this crate's agent is profiled".into());
    };
    let file = env
        .log_dir
        .join(format!("scale-{}.heaptrack", contender.name));
    let profiled = Contender {
        program: AgentProgram::HeapProfiled {
            exe: exe.clone(),
            output: file.clone(),
        },
        ..contender.clone()
    };
    let emulator = Emulator::builder()
        .webhook_secret(WEBHOOK_SECRET)
        .start()
        .await
        .map_err(emulator_error)?;
    let args = AgentArgs {
        scenario: AgentScenario::Gated,
        url: emulator.url(),
        calls,
        concurrency: 0,
        seconds: 0.0,
        warmup: 0.0,
        ramp: plan.scale_ramp,
        push: contender.push,
        lost_callbacks: contender.lost_callbacks,
        poll_gap: plan.scale_poll_gap,
    };
    let mut run = Run::start(&profiled, &args, env, "scale-heap")?;
    run.wait_for(
        Duration::from_secs(600),
        "request for every call",
        |gathered| emulator.created_count() + gathered.errors.len() >= calls as usize,
    )
    .await?;
    run.gather_for(plan.scale_pending).await;
    let per_wait = run.heap_per_wait(calls).await?;
    run.process
        .tell("exit")
        .await
        .map_err(|e| format!("the agent could not be told to exit: {e}"))?;
    // heaptrack reads and compresses its trace once the agent has exited.
    run.process.finish_within(Duration::from_secs(600)).await;
    Ok(HeapProfile {
        calls,
        file,
        per_wait,
    })
}

/// Samples the agent's memory and open file descriptors every 250 ms into a TSV file (seconds,
/// RSS KiB, descriptors), keeping the most descriptors seen in `peak_fds`, until aborted or the
/// process is gone.
async fn sample(pid: u32, timeline: PathBuf, peak_fds: Arc<AtomicU64>) {
    use std::io::Write as _;
    let started = Instant::now();
    let mut file = std::fs::File::create(&timeline).ok();
    if let Some(file) = &mut file {
        let _ = writeln!(file, "seconds\trss_kib\tfds");
    }
    while let Ok(usage) = Usage::of(pid) {
        peak_fds.fetch_max(usage.open_fds, Ordering::Relaxed);
        if let Some(file) = &mut file {
            let _ = writeln!(
                file,
                "{:.2}\t{}\t{}",
                started.elapsed().as_secs_f64(),
                usage.rss_kib,
                usage.open_fds
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_floors_reads_are_not_counted_as_the_agents() {
        let emulator = Emulator::builder().start().await.unwrap();
        let floor = Floor::start(emulator.url()).await.unwrap();
        // No such request: the floor's read is answered 404, and made all the same.
        assert!(floor.sample("req_none").await.is_err());
        assert_eq!(api_requests(&emulator), 1);
        assert_eq!(floor_reads(&emulator), 1);
    }
}
