//! The one table: both clients side by side with ratios, the requests of a 5-minute wait from the
//! poll schedules, and each target of the issue, met or not.

use std::fmt::Write as _;
use std::time::Duration;

use crate::scenarios::{Auto, Checks, HeapProfile, Latency, Plan, PushPath, Scale};
use crate::schedule::{Schedule, python_delay_after, python_requests};
use crate::stats::{Sample, duration};

/// One scenario's outcome for one client: not run, failed (why), or its numbers.
pub type Outcome<T> = Option<Result<T, String>>;

/// Everything one client did.
#[derive(Debug, Default)]
pub struct Column {
    pub latency: Outcome<Latency>,
    /// Scenario 1 again with every callback lost (push only).
    pub latency_lost: Outcome<Latency>,
    pub auto: Outcome<Auto>,
    pub scale: Outcome<Scale>,
}

/// The whole run.
#[derive(Debug)]
pub struct Results {
    pub plan: Plan,
    pub poll: Column,
    pub push: Column,
    pub python: Column,
    /// Why the Python client was not measured, when it was not.
    pub python_missing: Option<String>,
    /// Scenario 2's runs of the bare floor and this crate polling, one after the other.
    pub floor_rounds: Vec<FloorRound>,
    pub wall: Duration,
}

/// One round of scenario 2 against its floor: the bare `reqwest` loop, then the gated calls
/// (polling), each with a fresh emulator.
#[derive(Debug)]
pub struct FloorRound {
    pub floor: Result<Auto, String>,
    pub gated: Result<Auto, String>,
}

impl FloorRound {
    /// How many times the floor's calls per second the gated calls' are below it, and the gated
    /// calls' CPU per call over the floor's.
    fn ratios(&self) -> Option<(f64, Option<f64>)> {
        let (floor, gated) = (self.floor.as_ref().ok()?, self.gated.as_ref().ok()?);
        let speed = floor.calls_per_second / gated.calls_per_second;
        let cpu = floor
            .cpu_per_call
            .zip(gated.cpu_per_call)
            .map(|(floor, gated)| gated.as_secs_f64() / floor.as_secs_f64());
        Some((speed, cpu))
    }
}

/// The median of `values` (the upper one of an even count); `None` when empty.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

/// Which way is better for a metric.
#[derive(Clone, Copy)]
enum Better {
    Lower,
    Higher,
    /// A fact, not compared.
    Neither,
}

/// A metric of one client: how it reads in the table, and the number compared.
struct Cell {
    text: String,
    value: Option<f64>,
}

impl Cell {
    fn of<T>(outcome: &Outcome<T>, show: impl Fn(&T) -> (String, Option<f64>)) -> Cell {
        match outcome {
            None => Cell {
                text: "not run".into(),
                value: None,
            },
            Some(Err(_)) => Cell {
                text: "failed".into(),
                value: None,
            },
            Some(Ok(numbers)) => {
                let (text, value) = show(numbers);
                Cell { text, value }
            }
        }
    }
}

fn dash() -> Cell {
    Cell {
        text: "–".into(),
        value: None,
    }
}

fn p50_p99(sample: &Sample) -> String {
    format!("{} / {}", duration(sample.p50()), duration(sample.p99()))
}

fn ms(value: Option<Duration>) -> Option<f64> {
    value.map(|value| value.as_secs_f64() * 1e3)
}

fn latency_cell(sample: &Sample, pick: fn(&Sample) -> Option<Duration>) -> (String, Option<f64>) {
    (duration(pick(sample)), ms(pick(sample)))
}

fn checks_text(checks: &Checks) -> String {
    if checks.clean() {
        return "0 / 0 / 0".into();
    }
    let mut text = format!(
        "{} / {} / {}",
        checks.errors, checks.missing, checks.duplicates
    );
    if checks.extra_creates > 0 {
        let _ = write!(text, ", {} extra creates", checks.extra_creates);
    }
    text
}

/// How many times better `rust` is than `python` (`×2.0`: twice as good), for metrics that are
/// compared.
fn ratio(rust: Option<f64>, python: Option<f64>, better: Better) -> String {
    let (Some(rust), Some(python)) = (rust, python) else {
        return String::new();
    };
    let times = match better {
        Better::Lower => python / rust,
        Better::Higher => rust / python,
        Better::Neither => return String::new(),
    };
    if !times.is_finite() || times <= 0.0 {
        return String::new();
    }
    if times >= 10.0 {
        format!("×{times:.0}")
    } else {
        format!("×{times:.2}")
    }
}

struct Table {
    rows: Vec<[String; 7]>,
}

impl Table {
    fn row(&mut self, group: &str, metric: &str, better: Better, cells: [Cell; 3]) {
        let [poll, push, python] = cells;
        self.rows.push([
            group.to_owned(),
            metric.to_owned(),
            ratio(poll.value, python.value, better),
            ratio(push.value, python.value, better),
            poll.text,
            push.text,
            python.text,
        ]);
    }

    fn render(&self) -> String {
        let header = [
            "scenario",
            "metric",
            "polling vs Py",
            "push vs Py",
            "cheqpoint polling",
            "cheqpoint push",
            "Python 0.2.0",
        ];
        // Columns in reading order: names, the three clients, then the ratios.
        let order = [0, 1, 4, 5, 6, 2, 3];
        let mut widths = [0; 7];
        for row in std::iter::once(&header.map(str::to_owned)).chain(&self.rows) {
            for (column, cell) in row.iter().enumerate() {
                widths[column] = widths[column].max(cell.chars().count());
            }
        }
        let line = |cells: &[String; 7]| {
            let mut out = String::from("|");
            for &column in &order {
                let cell = &cells[column];
                let pad = widths[column] - cell.chars().count();
                if column <= 1 {
                    let _ = write!(out, " {cell}{} |", " ".repeat(pad));
                } else {
                    let _ = write!(out, " {}{cell} |", " ".repeat(pad));
                }
            }
            out.push('\n');
            out
        };
        let mut out = line(&header.map(str::to_owned));
        out.push('|');
        for &column in &order {
            let dashes = "-".repeat(widths[column]);
            if column <= 1 {
                let _ = write!(out, " {dashes} |");
            } else {
                let _ = write!(out, "{dashes}-:|");
            }
        }
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

fn per_thousand(value: f64, calls: u32) -> f64 {
    value * 1_000.0 / f64::from(calls.max(1))
}

/// The table and everything after it.
pub fn render(results: &Results) -> String {
    let plan = &results.plan;
    let columns = [&results.poll, &results.push, &results.python];
    let mut table = Table { rows: Vec::new() };

    let group = format!(
        "1. decision → resume ({} pending, decided within {} s)",
        plan.latency_calls,
        plan.latency_window.as_secs_f64()
    );
    let lat = |show: &dyn Fn(&Latency) -> (String, Option<f64>)| {
        columns.map(|column| Cell::of(&column.latency, show))
    };
    table.row(
        &group,
        "p50",
        Better::Lower,
        lat(&|l| latency_cell(&l.latencies, Sample::p50)),
    );
    table.row(
        "",
        "p99",
        Better::Lower,
        lat(&|l| latency_cell(&l.latencies, Sample::p99)),
    );
    table.row(
        "",
        "max",
        Better::Lower,
        lat(&|l| latency_cell(&l.latencies, Sample::max)),
    );
    table.row(
        "",
        "p50, decided < 10 s into the wait",
        Better::Lower,
        lat(&|l| {
            let (text, value) = latency_cell(&l.early, Sample::p50);
            (format!("{text} (n={})", l.early.len()), value)
        }),
    );
    let schedule = Schedule::of_default();
    let predicted = |column: usize, early_only: bool| -> Cell {
        let outcome = &columns[column].latency;
        Cell::of(outcome, |l| {
            let mut rng = fastrand::Rng::with_seed(11);
            let delays: Vec<Duration> = l
                .ages
                .iter()
                .filter(|age| !early_only || **age < Duration::from_secs(10))
                .filter_map(|age| {
                    let age = age.as_secs_f64();
                    let delay = match column {
                        0 => schedule?.delay_after(age, &mut rng),
                        2 => python_delay_after(age),
                        _ => return None,
                    };
                    Some(Duration::from_secs_f64(delay))
                })
                .collect();
            latency_cell(&Sample::new(delays), Sample::p50)
        })
    };
    table.row(
        "",
        "p50 from the poll schedule alone",
        Better::Lower,
        [
            predicted(0, false),
            Cell {
                text: "–".into(),
                value: None,
            },
            predicted(2, false),
        ],
    );
    table.row(
        "",
        "the same, decided < 10 s",
        Better::Lower,
        [
            predicted(0, true),
            Cell {
                text: "–".into(),
                value: None,
            },
            predicted(2, true),
        ],
    );
    table.row(
        "",
        "requests per approval",
        Better::Lower,
        lat(&|l| {
            (
                format!("{:.2}", l.requests_per_approval),
                Some(l.requests_per_approval),
            )
        }),
    );
    table.row(
        "",
        "errors / not run / run twice",
        Better::Neither,
        lat(&|l| (checks_text(&l.checks), None)),
    );
    let path = |show: fn(&PushPath) -> String| {
        let push = Cell::of(&results.push.latency, |l| match &l.push_path {
            Some(path) => (show(path), None),
            None => ("–".into(), None),
        });
        [dash(), push, dash()]
    };
    table.row(
        "",
        "floor: callback POST + GET, bare reqwest, p50 / p99",
        Better::Neither,
        path(|p| {
            let errors = if p.floor_errors > 0 {
                format!(" ({} failed)", p.floor_errors)
            } else {
                String::new()
            };
            format!(
                "{} / {}{errors}",
                duration(p.floor.p50()),
                duration(p.floor.p99())
            )
        }),
    );
    table.row(
        "",
        "reads per approval: before the first callback / polling again / safety net / \
         the deciding read",
        Better::Neither,
        path(|p| {
            let r = &p.reads;
            format!(
                "{:.2} / {:.2} / {:.2} / {:.2} (all {:.2})",
                r.before_first_callback,
                r.polling_again,
                r.safety_net,
                r.deciding,
                r.total()
            )
        }),
    );
    table.row(
        "",
        "approve → callback answered, p50 / p99",
        Better::Neither,
        path(|p| p50_p99(&p.callback_answered)),
    );
    table.row(
        "",
        "approve → read reaches the emulator, p50 / p99",
        Better::Neither,
        path(|p| p50_p99(&p.read_received)),
    );
    table.row(
        "",
        "read reaches the emulator → body, p50 / p99",
        Better::Neither,
        path(|p| p50_p99(&p.read_to_body)),
    );
    let lost = |pick: fn(&Sample) -> Option<Duration>| {
        let none = || Cell {
            text: "–".into(),
            value: None,
        };
        let push = Cell::of(&results.push.latency_lost, |l| {
            latency_cell(&l.latencies, pick)
        });
        [none(), push, none()]
    };
    table.row(
        "",
        "p50, every callback lost",
        Better::Neither,
        lost(Sample::p50),
    );
    table.row(
        "",
        "p99, every callback lost",
        Better::Neither,
        lost(Sample::p99),
    );
    let lost_checks = Cell::of(&results.push.latency_lost, |l| {
        (checks_text(&l.checks), None)
    });
    let none = || Cell {
        text: "–".into(),
        value: None,
    };
    table.row(
        "",
        "errors / not run / run twice, every callback lost",
        Better::Neither,
        [none(), lost_checks, none()],
    );

    let group = format!(
        "2. auto-decided ({} in flight, {} s)",
        plan.auto_concurrency, plan.auto_seconds
    );
    let auto = |show: &dyn Fn(&Auto) -> (String, Option<f64>)| {
        columns.map(|column| Cell::of(&column.auto, show))
    };
    table.row(
        &group,
        "calls per second",
        Better::Higher,
        auto(&|a| {
            (
                format!("{:.0}", a.calls_per_second),
                Some(a.calls_per_second),
            )
        }),
    );
    table.row(
        "",
        "latency p50",
        Better::Lower,
        auto(&|a| latency_cell(&a.latencies, Sample::p50)),
    );
    table.row(
        "",
        "latency p99",
        Better::Lower,
        auto(&|a| latency_cell(&a.latencies, Sample::p99)),
    );
    table.row(
        "",
        "requests per call",
        Better::Lower,
        auto(&|a| {
            (
                format!("{:.2}", a.requests_per_call),
                Some(a.requests_per_call),
            )
        }),
    );
    table.row(
        "",
        "CPU s: agent / emulator / of 2 cores",
        Better::Neither,
        auto(&|a| {
            (
                format!(
                    "{:.1} / {:.1} / {:.0}",
                    a.agent_cpu_seconds,
                    a.emulator_cpu_seconds,
                    2.0 * a.wall_seconds
                ),
                None,
            )
        }),
    );
    table.row(
        "",
        "callbacks received per call (last 10k)",
        Better::Neither,
        auto(&|a| (format!("{:.2}", a.callbacks_per_call), None)),
    );
    table.row(
        "",
        "errors",
        Better::Neither,
        auto(&|a| (a.errors.to_string(), None)),
    );

    let group = format!(
        "3. scale ({} pending for {} s, then all approved)",
        plan.scale_calls,
        plan.scale_pending.as_secs_f64()
    );
    let scale = |show: &dyn Fn(&Scale) -> (String, Option<f64>)| {
        columns.map(|column| Cell::of(&column.scale, show))
    };
    table.row(
        &group,
        "pending calls",
        Better::Neither,
        scale(&|s| (s.calls.to_string(), None)),
    );
    table.row(
        "",
        "peak RSS of the agent",
        Better::Neither,
        scale(&|s| {
            (
                format!("{:.1} MiB", s.usage.peak_rss_kib as f64 / 1024.0),
                None,
            )
        }),
    );
    table.row(
        "",
        "peak RSS per 1,000 waits",
        Better::Lower,
        scale(&|s| {
            let value = per_thousand(s.usage.peak_rss_kib as f64 / 1024.0, s.calls);
            (format!("{value:.1} MiB"), Some(value))
        }),
    );
    table.row(
        "",
        "RSS once all pending / end of window",
        Better::Neither,
        scale(&|s| {
            let mib = |kib: u64| kib as f64 / 1024.0;
            (
                format!(
                    "{:.0} / {:.0} MiB",
                    mib(s.rss_created_kib),
                    mib(s.rss_pending_kib)
                ),
                None,
            )
        }),
    );
    table.row(
        "",
        "heap per pending wait (bytes / blocks)",
        Better::Neither,
        scale(&|s| match s.heap_per_wait {
            Some(heap) => (format!("{:.0} B / {:.1}", heap.bytes, heap.blocks), None),
            None => ("–".into(), None),
        }),
    );
    table.row(
        "",
        "heap at its peak so far, per wait",
        Better::Neither,
        scale(&|s| match s.heap_per_wait {
            Some(heap) => (format!("{:.0} B", heap.peak_bytes), None),
            None => ("–".into(), None),
        }),
    );
    table.row(
        "",
        "most open sockets (fds) at once",
        Better::Neither,
        scale(&|s| (s.peak_fds.to_string(), None)),
    );
    table.row(
        "",
        "agent threads at the end",
        Better::Neither,
        scale(&|s| (s.usage.threads.to_string(), None)),
    );
    table.row(
        "",
        "CPU s, whole run",
        Better::Neither,
        scale(&|s| (format!("{:.2}", s.usage.cpu_seconds), None)),
    );
    table.row(
        "",
        "CPU s per 1,000 waits",
        Better::Lower,
        scale(&|s| {
            let value = per_thousand(s.usage.cpu_seconds, s.calls);
            (format!("{value:.2}"), Some(value))
        }),
    );
    table.row(
        "",
        "CPU s while pending",
        Better::Neither,
        scale(&|s| (format!("{:.2}", s.cpu_pending_seconds), None)),
    );
    table.row(
        "",
        "requests/s while pending",
        Better::Neither,
        scale(&|s| (format!("{:.0}", s.requests_per_second_pending), None)),
    );
    table.row(
        "",
        "requests/s per 1,000 waits, pending",
        Better::Lower,
        scale(&|s| {
            let value = per_thousand(s.requests_per_second_pending, s.calls);
            (format!("{value:.1}"), Some(value))
        }),
    );
    table.row(
        "",
        "requests/s, whole run",
        Better::Neither,
        scale(&|s| (format!("{:.0}", s.requests_per_second), None)),
    );
    table.row(
        "",
        "time to create all",
        Better::Neither,
        scale(&|s| (format!("{:.1} s", s.create_seconds), None)),
    );
    table.row(
        "",
        "approve all → last body ran",
        Better::Neither,
        scale(&|s| (format!("{:.2} s", s.resume_seconds), Some(s.resume_seconds))),
    );
    table.row(
        "",
        "errors / not run / run twice",
        Better::Neither,
        scale(&|s| (checks_text(&s.checks), None)),
    );

    let mut out = table.render();
    out.push_str(
        "\n×N: how many times better the Rust client is (lower latency, requests, memory or CPU; \
         more calls per second); below ×1 it is worse. Scale ratios compare per 1,000 waits, \
         since the Python run may have fewer.\n",
    );
    for (name, column) in [
        ("polling", &results.poll),
        ("push", &results.push),
        ("Python", &results.python),
    ] {
        for (scenario, failure) in [
            (
                "scenario 1",
                column.latency.as_ref().and_then(|o| o.as_ref().err()),
            ),
            (
                "scenario 2",
                column.auto.as_ref().and_then(|o| o.as_ref().err()),
            ),
            (
                "scenario 3",
                column.scale.as_ref().and_then(|o| o.as_ref().err()),
            ),
        ] {
            if let Some(failure) = failure {
                let _ = writeln!(out, "{name}, {scenario} failed: {failure}");
            }
        }
        let first_errors = [
            column
                .latency
                .as_ref()
                .and_then(|o| o.as_ref().ok())
                .and_then(|l| l.checks.first_error.clone()),
            column
                .scale
                .as_ref()
                .and_then(|o| o.as_ref().ok())
                .and_then(|s| s.checks.first_error.clone()),
        ];
        for error in first_errors.into_iter().flatten() {
            let _ = writeln!(out, "{name}: first error: {error}");
        }
    }
    if let Some(why) = &results.python_missing {
        let _ = writeln!(out, "Python client not measured: {why}");
    }
    if let Some(python_scale) = ok(&results.python.scale)
        && python_scale.calls < plan.scale_calls
    {
        let _ = writeln!(
            out,
            "Python ran scenario 3 with {} waits (one thread each), not {}.",
            python_scale.calls, plan.scale_calls
        );
    }

    out.push('\n');
    out.push_str(&floor_section(&results.floor_rounds));
    out.push('\n');
    out.push_str(&schedule_section());
    out.push('\n');
    out.push_str(&targets_section(results));
    let _ = writeln!(
        out,
        "\nwall time of the run: {:.0} s",
        results.wall.as_secs_f64()
    );
    out
}

/// Scenario 2 against its floor, round by round, and the medians of the ratios.
fn floor_section(rounds: &[FloorRound]) -> String {
    let mut out = String::from(
        "Auto-decided against its floor (a bare reqwest loop making the same create + read, same concurrency):\n",
    );
    if rounds.is_empty() {
        out.push_str("  not run\n");
        return out;
    }
    let cpu = |auto: &Auto| {
        auto.cpu_per_call.map_or("–".into(), |cpu| {
            format!("{:.1} µs", cpu.as_secs_f64() * 1e6)
        })
    };
    let show = |outcome: &Result<Auto, String>| match outcome {
        Ok(auto) => format!(
            "{:>7.0} calls/s, CPU {:>9} per call, p50 {}",
            auto.calls_per_second,
            cpu(auto),
            duration(auto.latencies.p50())
        ),
        Err(why) => format!("failed: {why}"),
    };
    for (number, round) in rounds.iter().enumerate() {
        let _ = writeln!(out, "  round {}: floor {}", number + 1, show(&round.floor));
        let _ = writeln!(out, "           gated {}", show(&round.gated));
        if let Some((speed, cpu)) = round.ratios() {
            let cpu = cpu.map_or("–".into(), |cpu| format!("×{cpu:.2}"));
            let _ = writeln!(
                out,
                "           the floor's calls/s ×{speed:.2} the gated; gated CPU per call {cpu} the floor's"
            );
        }
    }
    let (speed, cpu) = floor_medians(rounds);
    let _ = writeln!(
        out,
        "  medians of {} rounds: calls/s ×{}, CPU per call ×{}",
        rounds.len(),
        speed.map_or("–".into(), |x| format!("{x:.2}")),
        cpu.map_or("–".into(), |x| format!("{x:.2}"))
    );
    out
}

/// The medians over the rounds of the floor's calls/s over the gated, and of the gated CPU per
/// call over the floor's.
fn floor_medians(rounds: &[FloorRound]) -> (Option<f64>, Option<f64>) {
    let ratios: Vec<_> = rounds.iter().filter_map(FloorRound::ratios).collect();
    (
        median(ratios.iter().map(|(speed, _)| *speed).collect()),
        median(ratios.iter().filter_map(|(_, cpu)| *cpu).collect()),
    )
}

/// Requests of one wait, by the two schedules.
fn schedule_section() -> String {
    let mut out =
        String::from("Requests per wait from the poll schedules (create + reads; polling only):\n");
    let Some(schedule) = Schedule::of_default() else {
        out.push_str("  PollPolicy::default() could not be read\n");
        return out;
    };
    let _ = writeln!(
        out,
        "  PollPolicy::default(): first gap {:?}, ×{}, up to {:?} ({:?} after {:?}), ±10 % jitter; Python: every {:?}",
        schedule.first,
        schedule.factor,
        schedule.max,
        schedule.late_max,
        schedule.late_after,
        crate::schedule::PYTHON_GAP
    );
    for (label, decided_at) in [
        ("decided at 10 s", Some(10.0)),
        ("decided at 30 s", Some(30.0)),
        ("decided at 60 s", Some(60.0)),
        ("decided at 120 s", Some(120.0)),
        ("decided at 240 s", Some(240.0)),
        ("timed out at 300 s", None),
    ] {
        let rust = schedule.mean_requests(decided_at, 300.0, 2_000, 7);
        let python = python_requests(decided_at, 300.0);
        let _ = writeln!(
            out,
            "  {label:>18}: cheqpoint {rust:6.1}   Python {python:4}"
        );
    }
    out
}

/// A target: what it asks, what was measured, and whether it was met.
fn target(out: &mut String, name: &str, verdict: Option<(bool, String)>) {
    let _ = match verdict {
        Some((true, measured)) => writeln!(out, "  [met]     {name}: {measured}"),
        Some((false, measured)) => writeln!(out, "  [MISSED]  {name}: {measured}"),
        None => writeln!(out, "  [not run] {name}"),
    };
}

fn ok<T>(outcome: &Outcome<T>) -> Option<&T> {
    outcome.as_ref()?.as_ref().ok()
}

fn targets_section(results: &Results) -> String {
    let mut out = String::from("Targets:\n");
    let push = ok(&results.push.latency);
    target(
        &mut out,
        "push: decision → resume p99 ≤ 20 ms",
        push.and_then(|l| l.latencies.p99())
            .map(|p99| (p99 <= Duration::from_millis(20), duration(Some(p99)))),
    );
    target(
        &mut out,
        "push: decision → resume p99 ≤ 1.5 × the floor's p99 (callback POST + GET, bare reqwest)",
        push.and_then(|l| {
            let p99 = l.latencies.p99()?;
            let floor = l.push_path.as_ref()?.floor.p99()?;
            Some((
                p99.as_secs_f64() <= 1.5 * floor.as_secs_f64(),
                format!(
                    "{} against 1.5 × {} = {}",
                    duration(Some(p99)),
                    duration(Some(floor)),
                    duration(Some(floor.mul_f64(1.5)))
                ),
            ))
        }),
    );
    target(
        &mut out,
        "push: ≤ 3 requests per approval",
        push.map(|l| {
            (
                l.requests_per_approval <= 3.0,
                format!("{:.2}", l.requests_per_approval),
            )
        }),
    );
    target(
        &mut out,
        "push, every callback lost: resume p99 within one polling gap (3 s) of polling's",
        ok(&results.push.latency_lost)
            .zip(ok(&results.poll.latency))
            .and_then(|(lost, poll)| {
                let (lost, poll) = (lost.latencies.p99()?, poll.latencies.p99()?);
                Some((
                    lost <= poll + Duration::from_secs(3),
                    format!("{} against {}", duration(Some(lost)), duration(Some(poll))),
                ))
            }),
    );
    target(
        &mut out,
        "polling: no more requests than the official client over a 5-minute wait",
        Schedule::of_default().map(|schedule| {
            let rust = schedule.mean_requests(None, 300.0, 2_000, 7);
            let python = python_requests(None, 300.0);
            (
                rust <= f64::from(python),
                format!("{rust:.1} against {python} (a wait that runs its 5 minutes; from the schedules)"),
            )
        }),
    );
    let poll = ok(&results.poll.latency);
    let python = ok(&results.python.latency);
    target(
        &mut out,
        "polling: decision → resume p50 no worse than the official client's",
        poll.zip(python).and_then(|(poll, python)| {
            let (rust, py) = (poll.latencies.p50()?, python.latencies.p50()?);
            Some((
                rust <= py,
                format!("{} against {}", duration(Some(rust)), duration(Some(py))),
            ))
        }),
    );
    target(
        &mut out,
        "polling: decisions within the first 10 s resumed in ≤ 250 ms p50",
        poll.and_then(|l| l.early.p50())
            .map(|p50| (p50 <= Duration::from_millis(250), duration(Some(p50)))),
    );
    let (speed, cpu) = floor_medians(&results.floor_rounds);
    target(
        &mut out,
        "auto-decided (polling): calls/s within 1.5× of a bare reqwest loop's (median of the rounds)",
        speed.map(|x| (x <= 1.5, format!("the loop ×{x:.2} the gated"))),
    );
    target(
        &mut out,
        "auto-decided (polling): CPU per call within 1.5× of a bare reqwest loop's (median of the rounds)",
        cpu.map(|x| (x <= 1.5, format!("×{x:.2}"))),
    );
    let python_auto = ok(&results.python.auto);
    for (name, column) in [("polling", &results.poll), ("push", &results.push)] {
        target(
            &mut out,
            &format!("auto-decided ({name}): ≥ 4× the official client's calls per second"),
            ok(&column.auto).zip(python_auto).map(|(rust, py)| {
                let times = rust.calls_per_second / py.calls_per_second;
                (
                    times >= 4.0,
                    format!(
                        "×{times:.1} ({:.0} against {:.0} calls/s)",
                        rust.calls_per_second, py.calls_per_second
                    ),
                )
            }),
        );
    }
    for (name, column) in [("polling", &results.poll), ("push", &results.push)] {
        target(
            &mut out,
            &format!(
                "{} pending waits ({name}): ≤ 50 MB peak RSS",
                results.plan.scale_calls
            ),
            ok(&column.scale).map(|s| {
                let megabytes = s.usage.peak_rss_kib as f64 * 1024.0 / 1e6;
                (megabytes <= 50.0, format!("{megabytes:.1} MB"))
            }),
        );
        target(
            &mut out,
            &format!(
                "{} pending waits ({name}): ≤ {} bytes of heap per wait",
                results.plan.scale_calls,
                crate::heap::TARGET_BYTES_PER_WAIT
            ),
            ok(&column.scale).and_then(|s| s.heap_per_wait).map(|heap| {
                (
                    heap.bytes <= crate::heap::TARGET_BYTES_PER_WAIT as f64,
                    format!("{:.0} bytes", heap.bytes),
                )
            }),
        );
        target(
            &mut out,
            &format!(
                "{} pending waits ({name}): every body ran exactly once, 0 errors",
                results.plan.scale_calls
            ),
            ok(&column.scale).map(|s| {
                (
                    s.checks.clean(),
                    format!("{} (errors / not run / run twice)", checks_text(&s.checks)),
                )
            }),
        );
    }
    out
}

/// What `--heap-profile` found for one client.
pub fn heap_profile(client: &str, profile: &Result<HeapProfile, String>) -> String {
    match profile {
        Err(why) => format!("{client}: no heap profile: {why}"),
        Ok(profile) => format!(
            "{client}: {} pending waits hold {:.0} bytes in {:.1} blocks each, {:.0} bytes at the \
             peak so far (counted by the agent's allocator)\n  what is left allocated at the end of {}.zst is theirs, by \
             call stack: heaptrack_print --print-leaks 1 --print-peaks 0 --print-allocators 0 \
             --print-temporary 0 {}.zst",
            profile.calls,
            profile.per_wait.bytes,
            profile.per_wait.blocks,
            profile.per_wait.peak_bytes,
            profile.file.display(),
            profile.file.display(),
        ),
    }
}
