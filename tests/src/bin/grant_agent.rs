//! The agent the grant race runs as a process of its own: tries to take a use of a grant
//! covering `process_refund` a number of times through a SQLite or PostgreSQL journal, and
//! records each use it took as a line of the runs file, as a gated body would run.
//!
//! ```text
//! grant_agent <sqlite:PATH | postgres:URL> <attempts> <runs file>
//! ```
//!
//! It ends with one line: `took N`, or `error MESSAGE`.

use std::{io::Write, path::Path};

use cheqpoint::{Error, GrantCall, Journal};
use serde_json::json;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(took) => println!("took {took}"),
        Err(error) => println!("error {error}"),
    }
}

async fn run(args: &[String]) -> Result<usize, Error> {
    let [journal, attempts, runs] = args else {
        return Err(Error::Config(
            "usage: grant_agent <sqlite:PATH|postgres:URL> <attempts> <runs file>".into(),
        ));
    };
    let attempts: usize = attempts
        .parse()
        .map_err(|_| Error::Config(format!("not a number of attempts: {attempts}")))?;
    let journal = match journal.split_once(':') {
        Some(("sqlite", path)) => Journal::sqlite(path)?,
        Some(("postgres", url)) => Journal::postgres(url).await?,
        _ => return Err(Error::Config(format!("not a journal: {journal}"))),
    };
    let arguments = json!({"amount_cents": 100});
    let mut took = 0;
    for _ in 0..attempts {
        let call = GrantCall::new("process_refund", &arguments, Path::new("/"));
        if let Some(used) = journal.use_grant(call).await? {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(runs)
                .expect("the runs file opens");
            // One write of the whole line: `writeln!` writes it in pieces, and another
            // process's append could land between them.
            let line = format!("{} {}\n", used.grant_id, std::process::id());
            file.write_all(line.as_bytes())
                .expect("the run is recorded");
            took += 1;
        }
    }
    Ok(took)
}
