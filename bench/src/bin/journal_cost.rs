//! `cargo run --release -p cheqpoint-bench --bin journal-cost`: what the journal costs a gated
//! call. The same load three times — auto-decided calls, 64 in flight, each through
//! `Client::guard` with a key of its own — without a journal, with a SQLite journal (a file in
//! a temporary directory), and with a PostgreSQL journal (a server the bench starts on loopback
//! from Debian's `postgresql` package; left out, saying why, when it is not installed). The
//! emulator runs in this process. Prints per-call latency (p50, p99), calls per second, what each
//! journal adds to the p50 and keeps of the throughput, and the targets, which are set against
//! the disk's own sync time (measured first, in the directory the journals write to, and printed
//! beside them): SQLite adds at most one `fdatasync` + 1 ms to the p50 and keeps at least 80 % of
//! the throughput, PostgreSQL adds at most one `fdatasync` + 3 ms and keeps at least 50 %. For
//! PostgreSQL it also prints what the server counted per call: commits, rows written, WAL syncs.

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
}

/// One journal's run.
struct Measured {
    name: &'static str,
    calls_per_second: f64,
    latency: Sample,
    /// Every call made, warm-up included.
    calls: u64,
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
    let mut results = vec![measure(cli, "none", None).await?];
    let sqlite = Journal::sqlite(scratch.join("journal.db"))?;
    results.push(measure(cli, "SQLite", Some(sqlite)).await?);
    let mut server_counts = None;
    match Postgres::start(&scratch.join("postgres")) {
        Some(server) => {
            let journal = Journal::postgres(&server.url).await?;
            // After the journal made its table, whose catalog rows are not the calls'.
            let before = ServerCounts::read(&server.url).await?;
            let measured = measure(cli, "PostgreSQL", Some(journal)).await?;
            // The journal's connections are closed by now: their server processes flushed
            // their counters as they ended.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let after = ServerCounts::read(&server.url).await?;
            server_counts = Some(after.minus(&before).per_call(measured.calls));
            results.push(measured);
        }
        None => eprintln!("PostgreSQL left out: it is not installed"),
    }
    let sync_after = fdatasync_times(scratch, SYNC_OPS)?;
    let sync = (sync_before.p50().unwrap_or_default() + sync_after.p50().unwrap_or_default()) / 2;
    println!("{}", table(cli, sync, &results));
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
    for result in &results {
        println!(
            "{}: {} calls made, warm-up included",
            result.name, result.calls
        );
    }
    if let Some(counts) = server_counts {
        println!("PostgreSQL, per call (the server's counters): {counts}");
    }
    Ok(())
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
        drop(client);
        let _ = driver.await;
        let float = |value: i64| value as f64;
        Ok(ServerCounts {
            commits: float(database.try_get(0)?),
            inserted: float(database.try_get(1)?),
            updated: float(database.try_get(2)?),
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
            "{:.2} commits, {:.2} rows inserted, {:.2} updated, {:.2} deleted, {:.2} WAL records, \
             {:.3} WAL syncs",
            self.commits,
            self.inserted,
            self.updated,
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
    Ok(Measured {
        name,
        calls_per_second: latencies.len() as f64 / cli.seconds,
        latency: Sample::new(latencies),
        calls: calls.load(Ordering::Relaxed),
    })
}

/// The results and the targets (set against `sync`, the disk's `fdatasync` time) as a Markdown
/// table.
fn table(cli: &Cli, sync: Duration, results: &[Measured]) -> String {
    let sync_ms = sync.as_secs_f64() * 1000.0;
    let base = &results[0];
    let ms = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    let mut out = format!(
        "journal cost per gated call: auto-decided, {} in flight, {} s each\n\n\
         | journal | calls/s | p50 ms | p99 ms | p50 added | throughput kept | target |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | --- |\n",
        cli.concurrency, cli.seconds
    );
    for result in results {
        let added = ms(result.latency.p50()) - ms(base.latency.p50());
        let kept = result.calls_per_second / base.calls_per_second * 100.0;
        let target = match result.name {
            "SQLite" => verdict(
                added <= sync_ms + 1.0 && kept >= 80.0,
                &format!(
                    "≤ {:.2} ms added (one fdatasync + 1 ms), ≥ 80 % kept",
                    sync_ms + 1.0
                ),
            ),
            "PostgreSQL" => verdict(
                added <= sync_ms + 3.0 && kept >= 50.0,
                &format!(
                    "≤ {:.2} ms added (one fdatasync + 3 ms), ≥ 50 % kept",
                    sync_ms + 3.0
                ),
            ),
            _ => "baseline".to_owned(),
        };
        out.push_str(&format!(
            "| {} | {:.0} | {:.2} | {:.2} | {:+.2} ms | {:.0} % | {} |\n",
            result.name,
            result.calls_per_second,
            ms(result.latency.p50()),
            ms(result.latency.p99()),
            added,
            kept,
            target
        ));
    }
    out
}

fn verdict(met: bool, target: &str) -> String {
    format!("{} ({target})", if met { "met" } else { "MISSED" })
}
