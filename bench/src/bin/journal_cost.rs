//! `cargo run --release -p cheqpoint-bench --bin journal-cost`: what the journal costs a gated
//! call. The same load — auto-decided calls, 64 in flight, each through `Client::guard` with a
//! key of its own — without a journal, with a SQLite journal (a file in a temporary directory),
//! and with a PostgreSQL journal (a server the bench starts on loopback from Debian's
//! `postgresql` package; left out, saying why, when it is not installed), in rounds that take
//! them in turn (none, SQLite, PostgreSQL, none, …) so that the machine's load moves all three
//! alike. The emulator runs in this process. Prints, for each run and as medians over the
//! rounds, per-call latency (p50, p99), calls per second, what each journal adds to the p50 and
//! keeps of the throughput, and the CPU time per call of every process involved: this one (the
//! client and the emulator, `getrusage`) and PostgreSQL's server processes (`/proc`, the
//! postmaster with the children it reaped and those still running). The journal's added CPU per
//! call, against the runs without one, is the figure a loaded machine moves least. The targets
//! are set against the disk's own sync time (measured first, in the directory the journals write
//! to, and printed beside them): SQLite adds at most one `fdatasync` + 1 ms to the p50 and keeps
//! at least 80 % of the throughput, PostgreSQL adds at most one `fdatasync` + 3 ms and keeps at
//! least 50 %. For PostgreSQL it also prints what the server counted per call: commits, rows
//! written, WAL syncs.

#[path = "../../../tests/tests/journal/postgres.rs"]
#[allow(dead_code)] // the tests' server, of which the bench needs the start
mod postgres;
#[path = "../stats.rs"]
#[allow(dead_code)] // the main bench's percentiles, of which this needs two
mod stats;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use cheqpoint::{ApprovalRequest, Client, Journal, PollPolicy};
use cheqpoint_emulator::Emulator;
use clap::Parser;
use serde_json::json;
use tokio::task::JoinSet;

use postgres::Postgres;
use stats::Sample;

#[derive(Parser)]
#[command(about = "What the journal costs a gated call: none, SQLite, PostgreSQL")]
struct Cli {
    /// Calls in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How long each journal is measured, seconds (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Calls made first and not counted, seconds.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// How many times each journal is measured, in turn with the others.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

/// One journal's run.
struct Measured {
    name: &'static str,
    calls_per_second: f64,
    latency: Sample,
    /// Every call made, warm-up included.
    calls: u64,
    /// CPU time per call made (warm-up included, as the calls are), seconds: this process's
    /// (the client and the emulator) and PostgreSQL's server processes'.
    cpu_this: f64,
    cpu_server: f64,
}

/// How many ops the disk's sync time is measured over.
const SYNC_OPS: u32 = 200;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let scratch =
        std::env::temp_dir().join(format!("cheqpoint-journal-cost-{}", std::process::id()));
    std::fs::create_dir_all(scratch.join("postgres"))?;
    let outcome = run(&cli, &scratch).await;
    let _ = std::fs::remove_dir_all(&scratch);
    outcome
}

async fn run(cli: &Cli, scratch: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    // The disk is measured before and after the journals, since other work on the machine moves
    // it; the targets take the median of both.
    let sync_before = fdatasync_times(scratch, SYNC_OPS)?;
    let server = Postgres::start(&scratch.join("postgres"));
    if server.is_none() {
        eprintln!("PostgreSQL left out: it is not installed");
    }
    let postmaster = server
        .as_ref()
        .and_then(|_| postmaster_pid(&scratch.join("postgres")));
    let mut rounds = Vec::new();
    let mut server_counts = None;
    for round in 0..cli.rounds.max(1) {
        let mut results = vec![measure(cli, "none", None, postmaster).await?];
        let sqlite = Journal::sqlite(scratch.join(format!("journal-{round}.db")))?;
        results.push(measure(cli, "SQLite", Some(sqlite), postmaster).await?);
        if let Some(server) = &server {
            let journal = Journal::postgres(&server.url).await?;
            // After the journal made its table, whose catalog rows are not the calls'.
            let before = ServerCounts::read(&server.url).await?;
            let measured = measure(cli, "PostgreSQL", Some(journal), postmaster).await?;
            // The journal's connections are closed by now: their server processes flushed
            // their counters as they ended.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let after = ServerCounts::read(&server.url).await?;
            server_counts = Some(after.minus(&before).per_call(measured.calls));
            results.push(measured);
        }
        println!(
            "round {} of {}:\n{}",
            round + 1,
            cli.rounds,
            table(cli, None, &results)
        );
        rounds.push(results);
    }
    let sync_after = fdatasync_times(scratch, SYNC_OPS)?;
    let sync = (sync_before.p50().unwrap_or_default() + sync_after.p50().unwrap_or_default()) / 2;
    println!(
        "medians of {} rounds:\n{}",
        rounds.len(),
        table(cli, Some(sync), &medians(&rounds))
    );
    let micros = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1e6);
    for (when, times) in [("before", &sync_before), ("after", &sync_after)] {
        println!(
            "the disk, {when} the runs: fdatasync p50 {:.0} µs, p99 {:.0} µs ({SYNC_OPS} writes of \
             8 KiB, each synced, in {})",
            micros(times.p50()),
            micros(times.p99()),
            scratch.display()
        );
    }
    if let Some(counts) = server_counts {
        println!("PostgreSQL, per call of its last run (the server's counters): {counts}");
    }
    Ok(())
}

/// Each journal's run of the median calls per second, with the medians of its latency and CPU
/// per call across the rounds put in its place.
fn medians(rounds: &[Vec<Measured>]) -> Vec<Measured> {
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    (0..rounds[0].len())
        .map(|at| {
            let runs: Vec<&Measured> = rounds.iter().map(|round| &round[at]).collect();
            let mut by_p50: Vec<&Measured> = runs.clone();
            by_p50.sort_by_key(|run| run.latency.p50());
            Measured {
                name: runs[0].name,
                calls_per_second: median(runs.iter().map(|r| r.calls_per_second).collect()),
                latency: by_p50[by_p50.len() / 2].latency.clone(),
                calls: runs.iter().map(|r| r.calls).sum(),
                cpu_this: median(runs.iter().map(|r| r.cpu_this).collect()),
                cpu_server: median(runs.iter().map(|r| r.cpu_server).collect()),
            }
        })
        .collect()
}

/// The PostgreSQL server's main process, from its data directory's `postmaster.pid`.
fn postmaster_pid(dir: &std::path::Path) -> Option<u32> {
    let file = std::fs::read_to_string(dir.join("data").join("postmaster.pid")).ok()?;
    file.lines().next()?.trim().parse().ok()
}

/// CPU seconds so far: this process's (`getrusage`, user + system), and the PostgreSQL server's
/// (its postmaster, the children it has reaped, and those still running, from `/proc`).
fn cpu_now(postmaster: Option<u32>) -> (f64, f64) {
    // SAFETY: getrusage writes into the struct it is given, which is zeroed and ours.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
    let this = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    let Some(postmaster) = postmaster else {
        return (this, 0.0);
    };
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut server = 0_u64;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command name: state (3), ppid (4), …, utime (14), stime (15),
        // cutime (16), cstime (17).
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<u64> = stat[close + 1..]
            .split_whitespace()
            .skip(1)
            .map(|field| field.parse().unwrap_or(0))
            .collect();
        let (Some(&ppid), Some(&utime), Some(&stime), Some(&cutime), Some(&cstime)) = (
            fields.first(),
            fields.get(10),
            fields.get(11),
            fields.get(12),
            fields.get(13),
        ) else {
            continue;
        };
        if pid == postmaster {
            server += utime + stime + cutime + cstime;
        } else if ppid == u64::from(postmaster) {
            server += utime + stime;
        }
    }
    (this, server as f64 / ticks)
}

/// How long `fdatasync` takes in `dir`: `ops` writes of 8 KiB to one block of a file, each
/// synced (what `pg_test_fsync` calls "write, fdatasync"), one by one.
fn fdatasync_times(dir: &std::path::Path, ops: u32) -> std::io::Result<Sample> {
    use std::io::{Seek, Write};
    let path = dir.join("fdatasync-probe");
    let mut file = std::fs::File::create(&path)?;
    let block = [0x5a_u8; 8 << 10];
    file.write_all(&block)?;
    file.sync_all()?;
    let mut times = Vec::new();
    for _ in 0..ops {
        let started = Instant::now();
        file.rewind()?;
        file.write_all(&block)?;
        file.sync_data()?;
        times.push(started.elapsed());
    }
    std::fs::remove_file(&path)?;
    Ok(Sample::new(times))
}

/// What a PostgreSQL server counted: its database's commits and rows written, and its WAL.
#[derive(Debug, Clone, Copy)]
struct ServerCounts {
    commits: f64,
    inserted: f64,
    updated: f64,
    /// Updates that wrote the row alone, no index entry (heap-only).
    hot_updated: f64,
    deleted: f64,
    wal_records: f64,
    wal_syncs: f64,
}

impl ServerCounts {
    async fn read(url: &str) -> Result<ServerCounts, Box<dyn std::error::Error>> {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        let driver = tokio::spawn(connection);
        let database = client
            .query_one(
                "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted \
                 FROM pg_stat_database WHERE datname = current_database()",
                &[],
            )
            .await?;
        let wal = client
            .query_one("SELECT wal_records, wal_sync FROM pg_stat_wal", &[])
            .await?;
        let hot = client
            .query_opt(
                "SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'cheqpoint_journal'",
                &[],
            )
            .await?;
        drop(client);
        let _ = driver.await;
        let float = |value: i64| value as f64;
        Ok(ServerCounts {
            commits: float(database.try_get(0)?),
            inserted: float(database.try_get(1)?),
            updated: float(database.try_get(2)?),
            hot_updated: match hot {
                Some(row) => float(row.try_get(0)?),
                None => 0.0,
            },
            deleted: float(database.try_get(3)?),
            wal_records: float(wal.try_get(0)?),
            wal_syncs: float(wal.try_get(1)?),
        })
    }

    fn minus(self, before: &ServerCounts) -> ServerCounts {
        ServerCounts {
            commits: self.commits - before.commits,
            inserted: self.inserted - before.inserted,
            updated: self.updated - before.updated,
            hot_updated: self.hot_updated - before.hot_updated,
            deleted: self.deleted - before.deleted,
            wal_records: self.wal_records - before.wal_records,
            wal_syncs: self.wal_syncs - before.wal_syncs,
        }
    }

    fn per_call(self, calls: u64) -> ServerCounts {
        let calls = calls.max(1) as f64;
        ServerCounts {
            commits: self.commits / calls,
            inserted: self.inserted / calls,
            updated: self.updated / calls,
            hot_updated: self.hot_updated / calls,
            deleted: self.deleted / calls,
            wal_records: self.wal_records / calls,
            wal_syncs: self.wal_syncs / calls,
        }
    }
}

impl std::fmt::Display for ServerCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2} commits, {:.2} rows inserted, {:.2} updated ({:.2} heap-only), {:.2} deleted, \
             {:.2} WAL records, {:.3} WAL syncs",
            self.commits,
            self.inserted,
            self.updated,
            self.hot_updated,
            self.deleted,
            self.wal_records,
            self.wal_syncs
        )
    }
}

/// Keeps `concurrency` gated calls in flight through `journal` for the warm-up and the window.
async fn measure(
    cli: &Cli,
    name: &'static str,
    journal: Option<Journal>,
    postmaster: Option<u32>,
) -> Result<Measured, Box<dyn std::error::Error>> {
    eprintln!(
        "{name}: {} in flight for {} s …",
        cli.concurrency, cli.seconds
    );
    let emulator = Emulator::builder().auto_approve_below(1.0).start().await?;
    let mut builder = Client::builder()
        .api_key("cq_test_bench")
        .base_url(emulator.url())
        .poll(PollPolicy::fixed(Duration::from_millis(20)));
    if let Some(journal) = journal {
        builder = builder.journal(journal);
    }
    let client = builder.build()?;
    let cpu_before = cpu_now(postmaster);
    let started = Instant::now();
    let counted_from = started + Duration::from_secs_f64(cli.warmup);
    let until = counted_from + Duration::from_secs_f64(cli.seconds);
    let run = Arc::new(format!("{name}-{}", fastrand::u64(..)));
    let calls = Arc::new(AtomicU64::new(0));
    let mut workers = JoinSet::new();
    for worker in 0..cli.concurrency {
        let (client, run, calls) = (client.clone(), Arc::clone(&run), Arc::clone(&calls));
        workers.spawn(async move {
            let mut latencies = Vec::new();
            for call in 0.. {
                let began = Instant::now();
                if began >= until {
                    break;
                }
                let key = format!("{run}-{worker}-{call}");
                let request = ApprovalRequest::new("bench_call", "A call of the journal bench")
                    .details(json!({"call": key}))
                    .risk(0.2)
                    .key(key);
                calls.fetch_add(1, Ordering::Relaxed);
                client.guard(request, |_| async {}).await?;
                if began >= counted_from {
                    latencies.push(began.elapsed());
                }
            }
            Ok::<_, cheqpoint::Error>(latencies)
        });
    }
    let mut latencies = Vec::new();
    while let Some(worker) = workers.join_next().await {
        latencies.extend(worker??);
    }
    let cpu_after = cpu_now(postmaster);
    let calls = calls.load(Ordering::Relaxed);
    let per_call = |before: f64, after: f64| (after - before) / calls.max(1) as f64;
    Ok(Measured {
        name,
        calls_per_second: latencies.len() as f64 / cli.seconds,
        latency: Sample::new(latencies),
        calls,
        cpu_this: per_call(cpu_before.0, cpu_after.0),
        cpu_server: per_call(cpu_before.1, cpu_after.1),
    })
}

/// The results as a Markdown table, and the targets when `sync` (the disk's `fdatasync` time)
/// is given.
fn table(cli: &Cli, sync: Option<Duration>, results: &[Measured]) -> String {
    let base = &results[0];
    let ms = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    let mut out = format!(
        "journal cost per gated call: auto-decided, {} in flight, {} s each\n\n\
         | journal | calls/s | p50 ms | p99 ms | p50 added | throughput kept | CPU µs per call: this process / PostgreSQL | CPU added per call | target |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
        cli.concurrency, cli.seconds
    );
    for result in results {
        let added = ms(result.latency.p50()) - ms(base.latency.p50());
        let kept = result.calls_per_second / base.calls_per_second * 100.0;
        let cpu_added =
            (result.cpu_this + result.cpu_server - base.cpu_this - base.cpu_server) * 1e6;
        let target = match (result.name, sync) {
            (_, None) => String::new(),
            ("SQLite", Some(sync)) => {
                let budget = sync.as_secs_f64() * 1000.0 + 1.0;
                verdict(
                    added <= budget && kept >= 80.0,
                    &format!("≤ {budget:.2} ms added (one fdatasync + 1 ms), ≥ 80 % kept"),
                )
            }
            ("PostgreSQL", Some(sync)) => {
                let budget = sync.as_secs_f64() * 1000.0 + 3.0;
                verdict(
                    added <= budget && kept >= 50.0,
                    &format!("≤ {budget:.2} ms added (one fdatasync + 3 ms), ≥ 50 % kept"),
                )
            }
            _ => "baseline".to_owned(),
        };
        out.push_str(&format!(
            "| {} | {:.0} | {:.2} | {:.2} | {:+.2} ms | {:.0} % | {:.1} / {:.1} | {:+.1} µs | {} |\n",
            result.name,
            result.calls_per_second,
            ms(result.latency.p50()),
            ms(result.latency.p99()),
            added,
            kept,
            result.cpu_this * 1e6,
            result.cpu_server * 1e6,
            cpu_added,
            target
        ));
    }
    out
}

fn verdict(met: bool, target: &str) -> String {
    format!("{} ({target})", if met { "met" } else { "MISSED" })
}
