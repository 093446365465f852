//! `cargo run --release -p cheqpoint-bench --bin grant-use`: what a grant costs a call at a
//! door, on SQLite (a file in a temporary directory) and on PostgreSQL (a server the bench starts
//! on loopback from Debian's `postgresql` package; left out, saying why, when it is not
//! installed). Three cases, each `--calls` times after `--warmup`, one call at a time, each
//! timed alone: a covered call that takes a use (read the live grants, decide the bounds, take
//! the use and record it, synced to disk), a call no live grant covers (the read only: what every
//! call with a journal pays), and a call outside a live grant's bounds (the read and the
//! decision). Prints p50, p99 and the most of each.

#[path = "../../../tests/tests/journal/postgres.rs"]
#[allow(dead_code)] // the tests' server, of which the bench needs the start
mod postgres;
#[path = "../stats.rs"]
#[allow(dead_code)] // the main bench's percentiles, of which this needs two
mod stats;

use std::{
    path::Path,
    time::{Duration, Instant},
};

use cheqpoint::{GrantCall, Journal, policy::grants::Grant};
use clap::Parser;
use serde_json::json;
use stats::{Sample, duration};

use postgres::Postgres;

#[derive(Parser)]
#[command(about = "What a grant costs a call: taking a use, and finding none")]
struct Cli {
    /// Calls per case, each timed.
    #[arg(long, default_value_t = 2_000)]
    calls: usize,
    /// Calls per case first, untimed.
    #[arg(long, default_value_t = 200)]
    warmup: usize,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let scratch = std::env::temp_dir().join(format!("cheqpoint-grant-use-{}", std::process::id()));
    std::fs::create_dir_all(scratch.join("postgres"))?;
    let outcome = run(&cli, &scratch).await;
    let _ = std::fs::remove_dir_all(&scratch);
    outcome
}

async fn run(cli: &Cli, scratch: &Path) -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "{:<11} {:<24} {:>9} {:>9} {:>9}",
        "journal", "case", "p50", "p99", "max"
    );
    let sqlite = Journal::sqlite(scratch.join("journal.db"))?;
    measure("SQLite", &sqlite, cli).await?;
    match Postgres::start(&scratch.join("postgres")) {
        Some(server) => {
            let journal = Journal::postgres(&server.url).await?;
            measure("PostgreSQL", &journal, cli).await?;
        }
        None => eprintln!("PostgreSQL left out: it is not installed (apt-get install postgresql)"),
    }
    Ok(())
}

/// The three cases on `journal`.
async fn measure(
    name: &str,
    journal: &Journal,
    cli: &Cli,
) -> Result<(), Box<dyn std::error::Error>> {
    let cwd = Path::new("/");
    let grant = Grant::new("bench.refund")
        .conditions(json!({"amount_cents": {"max": 5000}, "currency": {"one_of": ["EUR", "USD"]}}))
        .lasting(Duration::from_secs(3600))
        .uses(u32::MAX);
    journal.keep_grant(&grant, &grant, None).await?;
    let within = json!({"amount_cents": 1200, "currency": "EUR"});
    let outside = json!({"amount_cents": 9000, "currency": "EUR"});
    let cases = [
        ("covered: takes a use", "bench.refund", &within, true),
        ("no live grant", "bench.other", &within, false),
        ("outside the bounds", "bench.refund", &outside, false),
    ];
    for (case, action, arguments, covered) in cases {
        let mut times = Vec::with_capacity(cli.calls);
        for n in 0..cli.warmup + cli.calls {
            let started = Instant::now();
            let used = journal
                .use_grant(GrantCall::new(action, arguments, cwd))
                .await?;
            let took = started.elapsed();
            assert_eq!(used.is_some(), covered, "{case}");
            if n >= cli.warmup {
                times.push(took);
            }
        }
        let sample = Sample::new(times);
        println!(
            "{name:<11} {case:<24} {:>9} {:>9} {:>9}",
            duration(sample.p50()),
            duration(sample.p99()),
            duration(sample.max())
        );
    }
    Ok(())
}
