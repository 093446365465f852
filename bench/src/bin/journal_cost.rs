//! `cargo run --release -p cheqpoint-bench --bin journal-cost`: what the journal costs a gated
//! call. The same load three times — auto-decided calls, 64 in flight, each through
//! `Client::guard` with a key of its own — without a journal, with a SQLite journal (a file in
//! a temporary directory), and with a PostgreSQL journal (a server the bench starts on loopback
//! from Debian's `postgresql` package; left out, saying why, when it is not installed). The
//! emulator runs in this process. Prints per-call latency (p50, p99), calls per second, what each
//! journal adds to the p50 and keeps of the throughput, and the targets: SQLite adds at most
//! 2 ms to the p50 and keeps at least 50 % of the throughput, PostgreSQL adds at most 3 ms.

#[path = "../../../tests/tests/journal/postgres.rs"]
#[allow(dead_code)] // the tests' server, of which the bench needs the start
mod postgres;
#[path = "../stats.rs"]
#[allow(dead_code)] // the main bench's percentiles, of which this needs two
mod stats;

use std::{
    sync::Arc,
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
}

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
    let mut results = vec![measure(cli, "none", None).await?];
    let sqlite = Journal::sqlite(scratch.join("journal.db"))?;
    results.push(measure(cli, "SQLite", Some(sqlite)).await?);
    match Postgres::start(&scratch.join("postgres")) {
        Some(server) => {
            let journal = Journal::postgres(&server.url).await?;
            results.push(measure(cli, "PostgreSQL", Some(journal)).await?);
        }
        None => eprintln!("PostgreSQL left out: it is not installed"),
    }
    println!("{}", table(cli, &results));
    Ok(())
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
    let mut workers = JoinSet::new();
    for worker in 0..cli.concurrency {
        let (client, run) = (client.clone(), Arc::clone(&run));
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
    })
}

/// The results and the targets as a Markdown table.
fn table(cli: &Cli, results: &[Measured]) -> String {
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
            "SQLite" => verdict(added <= 2.0 && kept >= 50.0, "≤ 2 ms added, ≥ 50 % kept"),
            "PostgreSQL" => verdict(added <= 3.0, "≤ 3 ms added"),
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
